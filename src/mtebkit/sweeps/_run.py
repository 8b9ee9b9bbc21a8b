"""``run_sweep``: evaluate every checkpoint of a training run, choose one on a dev split,
test the choice, confirm it once, and write ``sweep.json``.

Each checkpoint is a model of an ordinary run (:func:`~mtebkit.evaluation.run_evaluation`),
filed under its folder name and weights fingerprint in ``<results>/candidates/``; what is done
is skipped there as in any run, so sweeping a training still in progress again evaluates only
its new checkpoints. The chosen checkpoint's confirmation tasks go to ``<results>/confirm/``
(a task of both sets has a dev-only result and a full one: two folders keep both).
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from mtebkit.errors import CheckpointError, ConfigError, MtebkitError, SplitMissingError
from mtebkit.evaluation import (
    Executor,
    RunConfig,
    TaskRecord,
    VariantOptions,
    make_executor,
    run_evaluation,
    task_splits,
)
from mtebkit.reporting import compare_runs
from mtebkit.results import (
    CANDIDATES_DIR,
    CONFIRM_DIR,
    ResultSet,
    SweepCandidate,
    SweepFile,
    SweepTest,
    load_results,
    preferred_split,
    write_sweep_file,
)
from mtebkit.sweeps._config import SweepConfig
from mtebkit.sweeps._discover import Checkpoint, Skipped, find_checkpoints

__all__ = [
    "SweepOutcome",
    "check_select_split",
    "evaluate_checkpoint",
    "run_sweep",
    "task_scores",
    "write_sweep",
]

logger = logging.getLogger(__name__)

METRIC = "main score, mean over tasks"
# what a checkpoint can fail with while it is planned, loaded or evaluated: it is recorded and
# the sweep goes on (torch and transformers report an unloadable checkpoint as these)
_CHECKPOINT_FAILURES = (MtebkitError, OSError, ValueError, RuntimeError, KeyError)


@dataclass
class SweepOutcome:
    """What a sweep did: ``file`` (as written to ``path``), the folders skipped, the records
    of this call per step (``ran`` / ``skipped``) and the confirmation's."""

    file: SweepFile
    path: Path
    skipped: list[Skipped] = field(default_factory=list)
    records: dict[int, list[TaskRecord]] = field(default_factory=dict)
    confirm_records: list[TaskRecord] = field(default_factory=list)
    polls: int = 0


def _one_configuration(run: RunConfig) -> None:
    if run.runtime.dry_run or run.output.json_lines:
        # the estimate plans one run; a sweep's steps appear as checkpoints land
        raise ConfigError("--dry-run / --json are options of `mtebkit run`, not of a sweep")
    if run.variants != VariantOptions() or run.rerank.reranker is not None:
        raise ConfigError(
            "a sweep compares checkpoints on one configuration: variants (--dim, --precision, "
            "--instruction-ablation) and --reranker are not for sweeps"
        )


def check_select_split(run: RunConfig, split: str) -> list[str]:
    """The task names of ``run``; :class:`SplitMissingError` naming every task that does not
    have ``split`` among its evaluation splits (its mteb metadata, or its spec)."""
    splits = task_splits(run.replace(splits=None))
    missing = {name: list(s) for name, s in splits.items() if split not in s}
    if missing:
        lines = "; ".join(f"{t} has {', '.join(s) or 'none'}" for t, s in sorted(missing.items()))
        raise SplitMissingError(
            f"--select-on {split}: {len(missing)} task(s) have no {split!r} split ({lines}); "
            "choose tasks with a dev split, or another split",
            missing,
        )
    return sorted(splits)


def task_scores(records: Sequence[TaskRecord], split: str | None) -> dict[str, float]:
    """Each task's main score on ``split`` (None: the task's preferred split), the mean over
    its subsets; tasks without a finite score are left out."""
    by_task: dict[str, dict[str, list[float]]] = {}
    for r in records:
        if r.experiment is None and math.isfinite(r.main_score):
            by_task.setdefault(r.task, {}).setdefault(r.split, []).append(r.main_score)
    out = {}
    for task, splits in by_task.items():
        chosen = split if split is not None else preferred_split(splits, task)
        if chosen in splits:
            out[task] = sum(splits[chosen]) / len(splits[chosen])
    return out


def _evaluate(
    run: RunConfig,
    checkpoint: Checkpoint,
    tasks: Sequence[str] | None,
    split: str | None,
    executor: Executor,
) -> tuple[SweepCandidate, list[TaskRecord]]:
    options: dict[str, object] = {"models": [str(checkpoint.path)]}
    if split is not None:
        options["splits"] = [split]
    try:
        records = run_evaluation(run.replace(**options), executor=executor)
    except _CHECKPOINT_FAILURES as exc:
        logger.warning("%s: %s", checkpoint.path, exc)
        failed = SweepCandidate(checkpoint.step, str(checkpoint.path), "failed", error=str(exc))
        return failed, list(getattr(exc, "records", []))
    scores = task_scores(records, split)
    first = next((r for r in records if r.experiment is None), None)
    model = first.model if first else None
    revision = first.path.parent.name if first else None
    wanted = set(tasks) if tasks is not None else {r.task for r in records}
    lacking = sorted(wanted - set(scores))
    if lacking or not scores:
        error = f"no score for {', '.join(lacking) or 'any task'}"
        return SweepCandidate(
            checkpoint.step, str(checkpoint.path), "failed", model, revision, None, scores, error
        ), records
    average = sum(scores.values()) / len(scores)
    return SweepCandidate(
        checkpoint.step, str(checkpoint.path), "evaluated", model, revision, average, scores
    ), records


def _winner(candidates: Sequence[SweepCandidate]) -> SweepCandidate | None:
    scored = [c for c in candidates if c.average is not None]
    # the earliest of equal averages: no later checkpoint is kept for nothing
    return max(scored, key=lambda c: (c.average, -c.step)) if scored else None


def _tests(
    results: Path,
    winner: SweepCandidate,
    candidates: Sequence[SweepCandidate],
    tasks: Sequence[str],
    *,
    method: Literal["bootstrap", "randomisation"],
    resamples: int,
) -> list[SweepTest]:
    """Paired tests of the winner vs the first and the last evaluated checkpoint, per task."""
    scored = [c for c in candidates if c.average is not None]
    others = {"first": scored[0], "last": scored[-1]}
    if not any(o.step != winner.step for o in others.values()):
        return []
    with warnings.catch_warnings():  # foreign files are not ours to report here
        warnings.simplefilter("ignore")
        rs = load_results(results)

    def view(c: SweepCandidate) -> ResultSet:
        return rs.run(model=c.model, revision=c.revision)

    out: list[SweepTest] = []
    for against, other in others.items():
        if other.step == winner.step:
            continue
        cmp = compare_runs(
            [("other", view(other)), ("winner", view(winner))],
            method=method,
            n_resamples=resamples,
            tasks=list(tasks),
        )
        for task in cmp.tasks:
            cell = cmp.cells.get(("winner", task))
            if cell is None:
                continue
            for t in cell.tests:
                out.append(
                    SweepTest(
                        against,
                        other.step,
                        task,
                        cell.split,
                        t.delta,
                        t.p_value,
                        t.ci_low,
                        t.ci_high,
                        t.method,
                    )
                )
    return out


def run_sweep(
    config: SweepConfig,
    *,
    executor: Executor | None = None,
    on_checkpoint: Callable[[SweepCandidate, list[TaskRecord]], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SweepOutcome:
    """Evaluate the checkpoints of ``config.sweep.directory``, choose, test, confirm.

    Every checkpoint runs on the run options' tasks (on ``select_on`` only, when given: refused
    before anything runs if a task lacks it); one that fails is recorded as failed and the sweep
    goes on. The winner has the best average over the tasks; it is tested against the first
    and the last checkpoint (paired tests on item scores) and alone evaluated on ``confirm``.
    With ``watch``, the folder is looked at again every ``watch`` seconds (``sleep``), up to
    ``max_polls`` times; ``sweep.json`` is rewritten after each look.

    :raises CheckpointError: no checkpoint can be evaluated (each skipped folder named).
    :raises SplitMissingError: a task lacks the ``select_on`` split.
    """
    opts, run = config.sweep, config.run
    _one_configuration(run)
    results = run.output.results_dir
    candidates_run = run.replace(results_dir=results / CANDIDATES_DIR)
    executor = executor or make_executor(candidates_run)
    outcome: SweepOutcome | None = None
    candidates: dict[int, SweepCandidate] = {}
    records: dict[int, list[TaskRecord]] = {}
    skipped: dict[Path, Skipped] = {}
    # refused before any checkpoint is looked at: no work is lost to a split a task lacks
    tasks = check_select_split(candidates_run, opts.select_on) if opts.select_on else None
    polls = 0
    while True:
        polls += 1
        found = find_checkpoints(opts.directory, opts.glob)
        for s in found.skipped:
            if s.path not in skipped:
                logger.warning("skipped %s: %s", s.path, s.reason)
            skipped[s.path] = s
        for ckpt in found.checkpoints:
            if ckpt.step in candidates:
                continue
            cand, recs = _evaluate(candidates_run, ckpt, tasks, opts.select_on, executor)
            candidates[ckpt.step] = cand
            records[ckpt.step] = recs
            if tasks is None and cand.status == "evaluated":
                tasks = sorted(cand.scores)
            if on_checkpoint is not None:
                on_checkpoint(cand, recs)
        if candidates:
            outcome = _write(config, executor, candidates, skipped, records, tasks, polls)
        if opts.watch is None or (opts.max_polls is not None and polls >= opts.max_polls):
            break
        sleep(opts.watch)
    if outcome is None:
        reasons = "; ".join(f"{s.path.name}: {s.reason}" for s in skipped.values())
        raise CheckpointError(f"{opts.directory}: no checkpoint to evaluate ({reasons})")
    if opts.confirm and outcome is not None and outcome.file.winner is not None:
        outcome = _write(config, executor, candidates, skipped, records, tasks, polls, confirm=True)
    assert outcome is not None  # the loop ran at least once
    return outcome


def evaluate_checkpoint(
    config: SweepConfig, checkpoint: Checkpoint, *, executor: Executor | None = None
) -> tuple[SweepCandidate, list[TaskRecord]]:
    """Evaluate one checkpoint as :func:`run_sweep` evaluates each: filed under
    ``<results>/candidates/`` (its folder name and weights fingerprint), scored on ``select_on``
    (refused, before anything runs, when a task lacks it). A checkpoint that fails is a
    ``failed`` candidate (its error recorded), not an exception.

    :raises SplitMissingError: a task lacks the ``select_on`` split.
    """
    opts, run = config.sweep, config.run
    _one_configuration(run)
    candidates_run = run.replace(results_dir=run.output.results_dir / CANDIDATES_DIR)
    tasks = check_select_split(candidates_run, opts.select_on) if opts.select_on else None
    chosen = executor or make_executor(candidates_run)
    return _evaluate(candidates_run, checkpoint, tasks, opts.select_on, chosen)


def write_sweep(
    config: SweepConfig, candidates: Sequence[SweepCandidate], tasks: Sequence[str]
) -> SweepOutcome:
    """Write ``sweep.json`` for ``candidates`` (one per step, evaluated by
    :func:`evaluate_checkpoint`): the winner chosen and tested as :func:`run_sweep` does; no
    confirmation (that needs the winner's weights)."""
    by_step = {c.step: c for c in candidates}
    return _write(config, None, by_step, {}, {}, list(tasks), 0)


def _write(
    config: SweepConfig,
    executor: Executor | None,
    by_step: dict[int, SweepCandidate],
    skipped: dict[Path, Skipped],
    records: dict[int, list[TaskRecord]],
    tasks: list[str] | None,
    polls: int,
    *,
    confirm: bool = False,
) -> SweepOutcome:
    opts, run = config.sweep, config.run
    results = run.output.results_dir
    candidates = [by_step[s] for s in sorted(by_step)]
    candidates += [
        SweepCandidate(s.step if s.step is not None else -1, str(s.path), "skipped", error=s.reason)
        for s in skipped.values()
    ]
    winner = _winner(candidates)
    tests = (
        _tests(
            results / CANDIDATES_DIR,
            winner,
            candidates,
            tasks or [],
            method=opts.method,
            resamples=opts.resamples,
        )
        if winner is not None and tasks
        else []
    )
    confirm_records: list[TaskRecord] = []
    confirm_scores: dict[str, float] = {}
    if confirm and winner is not None and opts.confirm:
        assert executor is not None  # run_sweep passes its own
        confirm_run = run.replace(
            models=[winner.path], tasks=list(opts.confirm), results_dir=results / CONFIRM_DIR
        )
        confirm_records = run_evaluation(confirm_run, executor=executor)
        confirm_scores = task_scores(confirm_records, None)
    sweep = SweepFile(
        directory=str(opts.directory),
        tasks=list(tasks or []),
        split=opts.select_on,
        metric=METRIC,
        candidates=candidates,
        winner_step=winner.step if winner is not None else None,
        tests=tests,
        confirm_tasks=list(opts.confirm or []) if confirm else [],
        confirm_scores=confirm_scores,
    )
    path = write_sweep_file(results, sweep)
    return SweepOutcome(sweep, path, list(skipped.values()), records, confirm_records, polls)
