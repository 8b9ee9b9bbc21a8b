"""The one factory of executors: the run's runtime and executor options decide which, with what.

Both executors get the embedding cache and the progress display from the same options, so a
run on Ray keeps its cache exactly as a run here does.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from mtebkit.evaluation._config import RunConfig
from mtebkit.evaluation._execute import Executor, InProcessExecutor
from mtebkit.evaluation._progress import ProgressReporter

if TYPE_CHECKING:
    from mtebkit.models import EmbeddingCache

__all__ = ["make_executor"]


def _cache(config: RunConfig) -> EmbeddingCache | None:
    if not config.runtime.use_cache:
        return None
    from mtebkit.models import EmbeddingCache

    bound = config.runtime.cache_max_bytes
    return EmbeddingCache(config.runtime.cache_dir, max_bytes=None if bound is None else int(bound))


def make_executor(config: RunConfig) -> Executor:
    """An :class:`InProcessExecutor`, or a :class:`RayExecutor` when ``config.executor`` asks for
    Ray; each with the configured embedding cache and progress display."""
    runtime, options = config.runtime, config.executor
    if not options.on_ray:
        progress = ProgressReporter() if runtime.show_progress else None
        return InProcessExecutor(cache=_cache(config), progress=progress)
    from mtebkit.evaluation._ray import DEFAULT_SHARD_MIN_TEXTS, RayExecutor

    def say(line: str) -> None:
        if runtime.show_progress:
            print(f"  ray {line}", file=sys.stderr)

    # each Ray worker opens the cache itself, by folder (None: the default root on its node)
    return RayExecutor(
        address=options.ray_address,
        num_workers=options.ray_workers,
        cpus_per_worker=options.ray_cpus_per_worker,
        gpus_per_worker=options.ray_gpus_per_worker,
        shard_min_texts=DEFAULT_SHARD_MIN_TEXTS
        if options.ray_shard_min_texts is None
        else options.ray_shard_min_texts,
        use_cache=runtime.use_cache,
        cache_dir=str(runtime.cache_dir) if runtime.cache_dir else None,
        progress=say,
    )
