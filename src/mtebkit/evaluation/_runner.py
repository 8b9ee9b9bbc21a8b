"""``run_evaluation``: plan a run, execute it, return one record per task split.

Every task runs through ``mteb.evaluate``; mtebkit decides which model settings and
instructions apply, skips what is already done, and writes the results atomically.
``mtebkit run`` is a thin layer over this function.
"""

from __future__ import annotations

from collections.abc import Callable

from mtebkit.evaluation._config import RunConfig
from mtebkit.evaluation._execute import Executor, InProcessExecutor, execute
from mtebkit.evaluation._jobs import TaskRecord
from mtebkit.evaluation._plan import plan
from mtebkit.evaluation._progress import ProgressReporter

__all__ = ["run_evaluation"]


def _default_executor(config: RunConfig) -> Executor:
    cache = None
    if config.runtime.use_cache:
        from mtebkit.models import EmbeddingCache

        cache = (
            EmbeddingCache(config.runtime.cache_dir)
            if config.runtime.cache_dir
            else EmbeddingCache()
        )
    progress = ProgressReporter() if config.runtime.show_progress else None
    return InProcessExecutor(cache=cache, progress=progress)


def run_evaluation(
    config: RunConfig,
    *,
    executor: Executor | None = None,
    on_record: Callable[[TaskRecord], None] | None = None,
) -> list[TaskRecord]:
    """Evaluate every model of ``config`` on its tasks; return one record per task split.

    Results are written to ``config.output.results_dir`` as soon as each task finishes. A task already
    done with identical settings is skipped unless ``config.output.overwrite``; one done with different
    settings under the same experiment name is refused, before anything runs, rather than
    silently replaced. ``executor`` defaults to an :class:`InProcessExecutor` with the
    configured embedding cache.
    """
    jobs = plan(config)
    return execute(jobs, executor or _default_executor(config), on_record=on_record)
