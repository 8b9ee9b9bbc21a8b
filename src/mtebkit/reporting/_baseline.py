"""The CI regression gate: pin per-task scores to a baseline file, then check new results against it.

A task FAILS when ``drop = 100 × (baseline - current) > tolerance`` (points; the task's own
tolerance when the baseline sets one, else the command's), or when it has no current result.
When item scores (``<Task>.items.json.gz``) exist for the current run and are embedded in the
baseline, each check also reports a seeded paired-bootstrap p-value and 95% CI of the change.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mtebkit._util.atomic import atomic_write_text
from mtebkit.errors import ResultsError
from mtebkit.reporting._aggregate import get_benchmark_spec
from mtebkit.reporting._stats import paired_bootstrap, statistic_for
from mtebkit.reporting._table import Table
from mtebkit.reporting._verify import verify_main_scores
from mtebkit.results import (
    ITEM_SCORES_SCHEMA_VERSION,
    OutdatedItemScoresError,
    ResultSet,
    ScoreRow,
    item_matrix,
    item_scores_digest,
    item_scores_for,
    items_have_ids,
    load_item_scores,
    mean_score,
    preferred_split,
)

logger = logging.getLogger(__name__)

__all__ = [
    "BASELINE_SCHEMA_VERSION",
    "Baseline",
    "BaselineTask",
    "CheckReport",
    "TaskCheck",
    "check_against_baseline",
    "load_baseline",
    "make_baseline",
    "save_baseline",
]

BASELINE_SCHEMA_VERSION = 1


class BaselineItems(BaseModel):
    """The items of a paired test of the main metric ``metric``: per-query values (retrieval,
    with ``ids``), or per pair a row of oriented score columns plus ``gold`` (pair kinds).
    ``items_schema`` is the item-scores schema they come from; without it (older baselines)
    they are not used, as their per-item metrics could differ from mteb's."""

    model_config = ConfigDict(extra="forbid")
    kind: str
    task_type: str | None = None
    values: list[float] | list[list[float]]
    gold: list[float] | None = None
    ids: list[str] | None = None
    metric: str | None = None
    items_schema: int | None = None
    digest: str


class BaselineTask(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task: str
    split: str
    subsets: list[str]
    metric: str | None
    # NaN would pass every comparison of the gate: refused when a baseline is read or built
    score: float = Field(description="0-1 scale, mean over subsets", allow_inf_nan=False)
    tolerance: float | None = Field(
        default=None,
        ge=0,
        allow_inf_nan=False,
        description="points (x100); overrides the check's --tolerance",
    )
    items: BaselineItems | None = None


class Baseline(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["mtebkit-baseline"] = "mtebkit-baseline"
    schema_version: Literal[1] = 1
    model: str
    experiment: str | None = None
    benchmark: str | None = None
    created: str
    tasks: list[BaselineTask]

    def task_names(self) -> list[str]:
        return [t.task for t in self.tasks]


def _subsets(rows: list[ScoreRow], split: str) -> list[str]:
    return sorted({r.subset for r in rows if r.split == split})


def _items_for(rows: list[ScoreRow], split: str) -> BaselineItems | None:
    """Items of the only subset of ``split`` when a usable ``.items.json.gz`` file is present
    and the main metric has a per-item form."""
    row = next((r for r in rows if r.split == split and r.path is not None), None)
    if row is None or row.path is None:
        return None
    p = item_scores_for(row.path)
    if p is None:
        return None
    try:
        items = load_item_scores(p)
    except OutdatedItemScoresError as exc:
        logger.warning("%s", exc)
        return None
    subsets = _subsets(rows, split)
    if len(subsets) != 1 or items.main is None:  # one subset only would misdescribe the task
        return None
    e = items.entry(split, subsets[0])
    return BaselineItems(
        kind=items.kind,
        task_type=items.task_type,
        values=item_matrix(items, e).tolist(),
        gold=None if items_have_ids(items.kind) else e.gold,
        ids=e.query_ids if items_have_ids(items.kind) else None,
        metric=items.main_metric,
        items_schema=ITEM_SCORES_SCHEMA_VERSION,
        digest=item_scores_digest(p),
    )


def make_baseline(
    rs: ResultSet,
    *,
    model: str | None = None,
    experiment: str | None = None,
    benchmark: str | None = None,
    tolerances: dict[str, float] | None = None,
    embed_items: bool = True,
) -> Baseline:
    """Build a baseline from one run; with ``benchmark``, every benchmark task must be present."""
    run = rs.run(model, experiment=experiment)
    verify_main_scores(run)  # a hand-edited score must not be pinned
    by_task = run.by_task()
    names = sorted(by_task)
    if benchmark is not None:
        spec = get_benchmark_spec(benchmark)
        benchmark = spec.name
        missing = [t.name for t in spec.tasks if t.name not in by_task]
        if missing:
            raise ResultsError(
                f"cannot pin {benchmark}: {len(missing)} task(s) have no result: {', '.join(missing)}"
            )
        names = [t.name for t in spec.tasks]
    tasks = []
    for name in names:
        rows = by_task[name]
        split = preferred_split({r.split for r in rows}, name)
        subsets = _subsets(rows, split)
        score = mean_score(rows, split)
        if score is None or not math.isfinite(score):
            raise ResultsError(f"{name}: no valid main score on split {split} ({rows[0].path})")
        tol = (tolerances or {}).get(name)
        if tol is not None and not (math.isfinite(tol) and tol >= 0):
            raise ResultsError(f"tolerance of {name} must be a number of points >= 0, not {tol}")
        tasks.append(
            BaselineTask(
                task=name,
                split=split,
                subsets=subsets,
                metric=rows[0].main_metric,
                score=score,
                tolerance=tol,
                items=_items_for(rows, split) if embed_items else None,
            )
        )
    return Baseline(
        model=run.models()[0],
        experiment=run.rows[0].experiment,
        benchmark=benchmark,
        created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        tasks=tasks,
    )


def save_baseline(baseline: Baseline, path: Path) -> None:
    atomic_write_text(Path(path), baseline.model_dump_json(indent=1, exclude_none=True) + "\n")


def load_baseline(path: str | Path) -> Baseline:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ResultsError(f"cannot read baseline {p}: {exc}") from exc
    if isinstance(data, dict) and data.get("schema_version") not in (None, BASELINE_SCHEMA_VERSION):
        raise ResultsError(
            f"{p}: unsupported baseline schema_version {data.get('schema_version')!r}"
        )
    try:
        return Baseline.model_validate(data)
    except ValidationError as exc:
        raise ResultsError(f"{p} is not a valid mtebkit baseline: {exc}") from exc


@dataclass(frozen=True)
class TaskCheck:
    task: str
    split: str
    baseline: float
    current: float | None
    tolerance: float
    p_value: float | None = None
    ci_low: float | None = None  # of current - baseline, points
    ci_high: float | None = None
    note: str = ""

    @property
    def drop(self) -> float | None:
        """Points lost (positive = worse than the baseline)."""
        return None if self.current is None else 100.0 * (self.baseline - self.current)

    @property
    def failed(self) -> bool:
        # written so that NaN anywhere fails: ``drop <= tolerance`` is False for NaN
        drop = self.drop
        return drop is None or not drop <= self.tolerance + 1e-9

    @property
    def status(self) -> str:
        if self.current is None:
            return "MISSING"
        return "FAIL" if self.failed else "ok"


@dataclass(frozen=True)
class CheckReport:
    model: str
    checks: tuple[TaskCheck, ...]
    extra_tasks: tuple[str, ...]

    @property
    def failures(self) -> list[TaskCheck]:
        return [c for c in self.checks if c.failed]

    @property
    def passed(self) -> bool:
        return not self.failures

    def table(self) -> Table:
        return Table(
            columns=[
                "Task",
                "Split",
                "Baseline",
                "Current",
                "Drop",
                "Tolerance",
                "p-value",
                "95% CI of change",
                "Status",
            ],
            rows=[
                [
                    c.task,
                    c.split,
                    100 * c.baseline,
                    None if c.current is None else 100 * c.current,
                    c.drop,
                    c.tolerance,
                    c.p_value,
                    None if c.ci_low is None else f"[{c.ci_low:+.2f}, {c.ci_high:+.2f}]",
                    c.status,
                ]
                for c in self.checks
            ],
            title=f"Regression check of {self.model} (points ×100)",
            align_left=2,
            column_digits={"p-value": 4},
        )

    def summary(self) -> str:
        if self.passed:
            return f"PASS: {len(self.checks)} task(s) within tolerance"
        parts = []
        for c in self.failures:
            if c.current is None and c.note != "missing":
                parts.append(f"{c.task}: no defined result ({c.note})")
            elif c.current is None:
                parts.append(f"{c.task}: no result (missing task)")
            else:
                sig = ""
                if c.p_value is not None:
                    sig = f", p={c.p_value:.3g} ({'significant' if c.p_value < 0.05 else 'not significant'} at 0.05)"
                parts.append(
                    f"{c.task}: dropped {c.drop:.2f} points > tolerance {c.tolerance:g}{sig}"
                )
        return f"FAIL: {len(self.failures)} of {len(self.checks)} task(s)\n  " + "\n  ".join(parts)

    def to_junit(self) -> str:
        """JUnit XML: one testcase per task; failures carry the drop and tolerance."""
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<testsuite name={quoteattr("mtebkit check " + self.model)} tests="{len(self.checks)}" '
            f'failures="{len(self.failures)}" errors="0" skipped="0">',
        ]
        for c in self.checks:
            out.append(
                f'  <testcase classname={quoteattr("mtebkit." + self.model)} name={quoteattr(c.task)} time="0">'
            )
            if c.failed:
                msg = (
                    "no result for this task"
                    if c.current is None
                    else f"dropped {c.drop:.3f} points (tolerance {c.tolerance:g})"
                )
                detail = f"baseline={100 * c.baseline:.3f} current=" + (
                    "-" if c.current is None else f"{100 * c.current:.3f}"
                )
                if c.p_value is not None:
                    detail += f" p={c.p_value:.4g}"
                out.append(f"    <failure message={quoteattr(msg)}>{escape(detail)}</failure>")
            out.append("  </testcase>")
        out.append("</testsuite>")
        return "\n".join(out) + "\n"


def _significance(
    base: BaselineTask, rows: list[ScoreRow], *, n_resamples: int, seed: int
) -> tuple[float | None, float | None, float | None, str]:
    if base.items is None:
        return None, None, None, ""
    import numpy as np

    bi = base.items
    if bi.items_schema != ITEM_SCORES_SCHEMA_VERSION:
        return None, None, None, "baseline items from an older mtebkit: re-pin the baseline"
    cur = _items_for(rows, base.split)
    if cur is None:
        return None, None, None, "no current item scores"
    if (bi.kind, bi.metric) != (cur.kind, cur.metric):
        return None, None, None, "item kinds differ"
    if items_have_ids(bi.kind):
        if bi.ids is None or cur.ids is None or set(bi.ids) != set(cur.ids):
            return None, None, None, "different queries"
        cmap = dict(zip(cur.ids, cur.values, strict=True))
        a = np.array(bi.values, dtype=np.float64)
        b = np.array([cmap[q] for q in bi.ids], dtype=np.float64)
        gold = None
    else:
        if bi.gold != cur.gold:
            return None, None, None, "different pairs"
        a, b = np.array(bi.values, dtype=np.float64), np.array(cur.values, dtype=np.float64)
        gold = np.array(bi.gold or [])
        if a.shape != b.shape:
            return None, None, None, "different score columns"
    stat = statistic_for(bi.kind, bi.metric)
    t = paired_bootstrap(a, b, gold, statistic=stat, n_resamples=n_resamples, seed=seed)
    lo = None if t.ci_low is None else 100 * t.ci_low
    hi = None if t.ci_high is None else 100 * t.ci_high
    return t.p_value, lo, hi, ""


def check_against_baseline(
    rs: ResultSet,
    baseline: Baseline,
    *,
    model: str | None = None,
    experiment: str | None = None,
    tolerance: float = 0.5,
    benchmark: str | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
) -> CheckReport:
    """Compare one run with ``baseline`` (see the module docstring). Raises ResultsError when the
    baseline is for another benchmark or shares no task with the results."""
    if not (math.isfinite(tolerance) and tolerance >= 0):
        raise ResultsError(f"--tolerance must be a number of points >= 0, not {tolerance}")
    if benchmark is not None:
        want = get_benchmark_spec(benchmark).name
        if baseline.benchmark != want:
            raise ResultsError(
                f"the baseline pins {baseline.benchmark or 'a task list'}, not benchmark {want}"
            )
    run = rs.run(model or _model_in(rs, baseline.model), experiment=experiment)
    verify_main_scores(run)  # a hand-edited score must not pass the gate
    by_task = run.by_task()
    common = set(by_task) & set(baseline.task_names())
    if not common:
        raise ResultsError(
            f"the baseline ({baseline.benchmark or 'tasks'}: {', '.join(baseline.task_names()[:6])}...) shares no task "
            f"with the results ({', '.join(sorted(by_task)[:6])}...): wrong baseline or results folder?"
        )
    checks = []
    for b in baseline.tasks:
        tol = b.tolerance if b.tolerance is not None else tolerance
        rows = by_task.get(b.task)
        if rows is None:
            checks.append(TaskCheck(b.task, b.split, b.score, None, tol, note="missing"))
            continue
        cur = mean_score(rows, b.split, subsets=b.subsets)
        p = lo = hi = None
        note = ""
        if cur is None or not math.isfinite(cur):
            # the task has a result file, but no defined score where the baseline has one
            cur, note = None, f"undefined or missing main score on {b.split}"
        else:
            p, lo, hi, note = _significance(b, rows, n_resamples=n_resamples, seed=seed)
        checks.append(TaskCheck(b.task, b.split, b.score, cur, tol, p, lo, hi, note))
    extra = tuple(sorted(set(by_task) - set(baseline.task_names())))
    return CheckReport(run.models()[0], tuple(checks), extra)


def _model_in(rs: ResultSet, name: str) -> str | None:
    """The baseline's model when the results hold it, else None (then a single-model folder is fine)."""
    try:
        return rs.resolve_model(name)
    except ResultsError:
        if len(rs.models()) == 1:
            return None
        raise
