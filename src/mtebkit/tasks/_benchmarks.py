"""Benchmarks: mteb's benchmark definitions, mtebkit's short aliases, and their task lists.

The task list of a benchmark (each task's type, evaluation splits and subsets, and the
components of an aggregate task such as CQADupstack) comes from mteb itself
(``mteb.get_benchmark``). mtebkit adds short aliases (``C-MTEB``, ``zh``, ``mteb-en``, ...).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from mtebkit._util.registry import did_you_mean
from mtebkit.errors import MirrorMissingError, UnknownNameError
from mtebkit.tasks._discovery import resolve_data_dir
from mtebkit.tasks._mirror import apply_mirror, mirror_is_optional, missing_from_mirror

if TYPE_CHECKING:
    from mteb.abstasks.abstask import AbsTask

__all__ = [
    "BENCHMARK_ALIASES",
    "BenchmarkTask",
    "benchmark_tasks",
    "canonical_benchmark",
    "get_benchmark_task",
    "get_benchmark_tasks",
    "list_benchmarks",
]

# short names people type -> mteb's benchmark name
BENCHMARK_ALIASES: dict[str, str] = {
    "mteb": "MTEB(eng, v1)",
    "mteb(eng)": "MTEB(eng, v1)",
    "mteb(eng, classic)": "MTEB(eng, v1)",
    "mteb-en": "MTEB(eng, v1)",
    "en": "MTEB(eng, v1)",
    "c-mteb": "MTEB(cmn, v1)",
    "cmteb": "MTEB(cmn, v1)",
    "mteb(chinese)": "MTEB(cmn, v1)",
    "mteb(cmn)": "MTEB(cmn, v1)",
    "zh": "MTEB(cmn, v1)",
}
# names answered without importing mteb (the two the bge cards report)
_WELL_KNOWN = ("MTEB(eng, v1)", "MTEB(cmn, v1)")


def _squash(name: str) -> str:
    return name.strip().lower().replace(" ", "")


def list_benchmarks() -> list[str]:
    """Every benchmark name mteb knows, sorted."""
    import mteb

    return sorted(b.name for b in mteb.get_benchmarks())


def canonical_benchmark(name: str) -> str:
    """mteb's name for ``name`` (exact, an alias, or the same name spaced or cased otherwise).

    Raises :class:`UnknownNameError` with "did you mean" for an unknown name.
    """
    key = name.strip()
    for known in _WELL_KNOWN:
        if _squash(known) == _squash(key):
            return known
    alias = BENCHMARK_ALIASES.get(key.lower())
    if alias:
        return alias
    names = list_benchmarks()
    if key in names:
        return key
    for cand in names:
        if _squash(cand) == _squash(key):
            return cand
    raise UnknownNameError(
        f"Unknown benchmark {name!r}.{did_you_mean(name, [*names, *BENCHMARK_ALIASES])} "
        "(`mtebkit benchmarks` lists them)"
    )


@dataclass(frozen=True)
class BenchmarkTask:
    """One task of a benchmark and where its score comes from."""

    name: str
    type: str
    main_score: str
    splits: tuple[str, ...]
    subsets: tuple[str, ...]
    components: tuple[str, ...] = ()  # for aggregate tasks: the tasks averaged into it


@cache
def benchmark_tasks(name: str) -> tuple[BenchmarkTask, ...]:
    """The tasks of benchmark ``name`` (an alias is fine), with splits and subsets, from mteb."""
    import mteb
    from mteb.abstasks.aggregated_task import AbsTaskAggregate

    bench = mteb.get_benchmark(canonical_benchmark(name))
    out = []
    for t in bench.tasks:
        meta = t.metadata
        components: tuple[str, ...] = ()
        if isinstance(t, AbsTaskAggregate):
            components = tuple(x.metadata.name for x in t.tasks)
        out.append(
            BenchmarkTask(
                name=meta.name,
                type=str(meta.type),
                main_score=str(meta.main_score),
                splits=tuple(t.eval_splits),
                subsets=tuple(t.hf_subsets),
                components=components,
            )
        )
    return tuple(out)


def get_benchmark_tasks(benchmark: str, *, data_dir: Path | None = None) -> list[AbsTask]:
    """Copies of an mteb benchmark's tasks (its split / language filters kept), mirror-aware."""
    import mteb

    root = resolve_data_dir(data_dir)
    bench = mteb.get_benchmark(canonical_benchmark(benchmark))
    # benchmark task objects are shared module globals: never hand them out
    tasks: list[AbsTask] = [copy.deepcopy(t) for t in bench.tasks]
    if root is not None:
        missing = missing_from_mirror(tasks, root)  # every absent dataset, not just the first
        if missing is not None and not mirror_is_optional():
            raise MirrorMissingError(f"benchmark {bench.name}: {missing}")
        tasks = [apply_mirror(t, root) for t in tasks]
    return tasks


def get_benchmark_task(benchmark: str, name: str, *, data_dir: Path | None = None) -> AbsTask:
    """A copy of one task of a benchmark, with the benchmark's split and language filters."""
    import mteb

    root = resolve_data_dir(data_dir)
    bench = mteb.get_benchmark(canonical_benchmark(benchmark))
    for t in bench.tasks:
        if t.metadata.name == name:
            task: AbsTask = copy.deepcopy(t)
            return apply_mirror(task, root) if root is not None else task
    names = [t.metadata.name for t in bench.tasks]
    raise UnknownNameError(
        f"benchmark {bench.name} has no task {name!r}.{did_you_mean(name, names)}"
    )
