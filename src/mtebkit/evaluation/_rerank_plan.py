"""Planning the reranker protocol: depths of a sweep, and fixed first-stage candidates.

Kept apart from :mod:`~mtebkit.evaluation._plan` so that the plan only asks two questions:
which depths, and which candidates per task (checked against the task data here, before
anything is encoded).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mtebkit.errors import ConfigError
from mtebkit.evaluation._first_stage import (
    FirstStageRun,
    candidate_counts,
    check_depth,
    load_candidates,
    match_first_stage,
    validate_candidates,
)
from mtebkit.evaluation._jobs import Job, TaskRef
from mtebkit.models import QUERY_TASK_TYPES

if TYPE_CHECKING:
    from mteb.abstasks.abstask import AbsTask

    from mtebkit.evaluation._config import RunConfig

__all__ = ["check_first_stage", "rerank_depths", "sweep_together"]


DEFAULT_DEPTH = 100


def rerank_depths(top_k: int | Sequence[int] | None) -> list[int]:
    """The depths of ``--rerank-top-k``, ascending and distinct; each a whole number >= 1.

    None is the default depth, 100, which (as before sweeps) reranks a shorter candidate list
    whole; a depth given is checked against every query's list.
    """
    if top_k is None:
        return [DEFAULT_DEPTH]
    values = [top_k] if isinstance(top_k, int) else list(top_k)
    if not values:
        raise ConfigError("--rerank-top-k needs at least one depth")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ConfigError(f"--rerank-top-k must be whole numbers >= 1, not {v!r}")
    return sorted(set(values))


def sweep_together(jobs: Sequence[Job]) -> list[Job]:
    """The jobs of one sweep, each told the depths still to do (computed together)."""
    todo = tuple(j.rerank_top_k for j in jobs if j.status == "todo" and j.rerank_top_k)
    if len(todo) < 2:
        return list(jobs)
    return [dataclasses.replace(j, rerank_sweep=todo) if j.status == "todo" else j for j in jobs]


def check_first_stage(
    config: RunConfig, tasks: Sequence[tuple[TaskRef, AbsTask]], depths: Sequence[int]
) -> dict[str, FirstStageRun]:
    """The fixed candidates of each retrieval / reranking task (``config.rerank.first_stage``), read
    and checked against the task's data: ids, and the deepest depth against every query's list.

    Without fixed candidates, a depth given is checked too: against what the first stage keeps
    per query (the task's largest ``k_values``) and, for reranking tasks, against the task's own
    candidate lists (their data is loaded for it). A corpus smaller than the depth is found
    when the job runs, before it encodes.
    """
    from mteb.abstasks.retrieval import AbsTaskRetrieval

    query_tasks = [(r, t) for r, t in tasks if str(t.metadata.type) in QUERY_TASK_TYPES]
    if config.rerank.rerank_top_k is not None and not config.rerank.reranker:
        raise ConfigError("--rerank-top-k is the reranker's depth: it needs --reranker")
    if not config.rerank.first_stage:
        if config.rerank.reranker and config.rerank.rerank_top_k is not None:
            for ref, task in query_tasks:
                kept = max(getattr(task, "k_values", None) or [max(depths)])
                if max(depths) > kept:
                    raise ConfigError(
                        f"{ref.name}: --rerank-top-k {max(depths)} is deeper than the "
                        f"{kept} candidates per query that the first stage keeps"
                    )
                if str(task.metadata.type) == "Reranking":
                    _check_own_candidates(ref, max(depths))
        return {}
    if not config.rerank.reranker:
        raise ConfigError("--first-stage gives candidates to rerank: it needs --reranker")
    runs = match_first_stage(config.rerank.first_stage, [r.name for r, _ in query_tasks])
    for ref, _ in query_tasks:
        run = runs.get(ref.name)
        if run is None:
            continue
        task = ref.build()
        assert isinstance(task, AbsTaskRetrieval)
        task.load_data()
        try:
            cands, origins = load_candidates(run)
            validate_candidates(run, cands, origins, task)
            if config.rerank.rerank_top_k is not None:
                counts = candidate_counts(task, cands)
                check_depth(counts, max(depths), f"{ref.name} ({run.path})")
        finally:
            task.unload_data()
    return runs


def _check_own_candidates(ref: TaskRef, depth: int) -> None:
    """A reranking task's own candidate lists (its ``top_ranked``) must hold ``depth``."""
    from mteb.abstasks.retrieval import AbsTaskRetrieval

    task = ref.build()
    assert isinstance(task, AbsTaskRetrieval)
    task.load_data()
    try:
        check_depth(candidate_counts(task), depth, f"{ref.name} (its candidate lists)")
    finally:
        task.unload_data()
