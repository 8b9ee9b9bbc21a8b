"""The tasks a run selects and their evaluation splits, known before any model is configured."""

from __future__ import annotations

from mtebkit.evaluation._config import RunConfig
from mtebkit.evaluation._plan import _tasks

__all__ = ["task_splits"]


def task_splits(config: RunConfig) -> dict[str, tuple[str, ...]]:
    """Each task ``config`` selects (by name, in run order) and the splits it evaluates (its
    mteb metadata's ``eval_splits``, or its spec's; after ``config``'s ``splits`` filter)."""
    return {ref.name: tuple(ref.eval_splits or task.eval_splits) for ref, task in _tasks(config)}
