"""Comparing reproduced scores with published ones (a model card or a folder of mteb results).

Per (task, split, subset) present in both: the metric is the task's mteb 2 main score, looked up
in the published numbers under its current or historical name. ``delta = 100 × (reproduced -
published)`` in points; a row is within tolerance when ``|delta| <= tolerance`` (points). A
row where only one of the published and reproduced values is defined (not missing, not NaN)
is never within tolerance; where neither is, there is nothing to compare.

A published row without the main score (a model card that lists, say, only ``cos_sim_pearson``
for an STS task) is compared on the first of its metrics that mteb also reported for the task
(under any name, see :func:`~mtebkit.results.metric_value`); the row says so (``main_metric``).
When mteb reported none of them, the row keeps the card's metrics (``published_metrics``) and
the summary names them rather than "published None".

Mirror fidelity (``fidelity``: task -> :class:`~mtebkit.tasks.MirrorFidelity`, computed from the
mirror the task ran on): a row whose task's mirror is ``approximate`` (its data differs from
what mteb describes, so from the data the published number came from) is shown with its delta
and the reason but is not gated, unless ``strict_mirror``. Exact, near and unknown rows gate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from mtebkit._util.registry import did_you_mean
from mtebkit.errors import ResultsError
from mtebkit.reporting._table import Table
from mtebkit.results import (
    ResultSet,
    ScoreRow,
    canonical_metric,
    load_model_card,
    load_results,
    metric_value,
)

if TYPE_CHECKING:
    from mtebkit.tasks import MirrorFidelity

__all__ = [
    "ReproduceReport",
    "ReproduceRow",
    "load_published",
    "reproduce",
    "select_published",
]


@dataclass(frozen=True)
class ReproduceRow:
    task: str
    split: str
    subset: str
    metric: str
    published: float | None  # 0-1
    reproduced: float | None  # 0-1
    # set when ``metric`` is not mteb's main score: the published side lacks it (a card metric)
    main_metric: str | None = None
    # the published side's metrics, when none of them could be compared
    published_metrics: tuple[str, ...] = ()

    def undefined_reason(self) -> str:
        """Why this row has no delta, in words (for the summary)."""
        if self.published is None and self.published_metrics:
            return (
                f"published has {', '.join(self.published_metrics)}, not {self.metric}; "
                f"mteb reported none of them"
            )
        return f"undefined: published {self.published}, reproduced {self.reproduced}"

    @property
    def delta(self) -> float | None:
        """Reproduced minus published, in points (×100)."""
        if self.published is None or self.reproduced is None:
            return None
        return 100.0 * (self.reproduced - self.published)

    def within(self, tolerance: float) -> bool | None:
        """None when neither side has a defined value (nothing to compare, e.g. a split
        without labels); False when only one has, or the delta is beyond ``tolerance``."""
        defined = [v is not None and math.isfinite(v) for v in (self.published, self.reproduced)]
        if not any(defined):
            return None
        d = self.delta
        # False for NaN: a gate must not pass on an undefined value
        return all(defined) and d is not None and abs(d) <= tolerance + 1e-9


@dataclass(frozen=True)
class ReproduceReport:
    model: str
    tolerance: float
    rows: tuple[ReproduceRow, ...]
    missing: tuple[str, ...]  # published tasks with no reproduced result
    require_all: bool = False
    fidelity: Mapping[str, MirrorFidelity] = field(default_factory=dict)
    strict_mirror: bool = False

    def _approximate(self, r: ReproduceRow) -> bool:
        f = self.fidelity.get(r.task)
        return f is not None and f.level == "approximate"

    @property
    def ungated(self) -> list[ReproduceRow]:
        """Rows off tolerance on an approximate mirror, not counted (without strict_mirror)."""
        if self.strict_mirror:
            return []
        return [r for r in self.rows if r.within(self.tolerance) is False and self._approximate(r)]

    @property
    def failures(self) -> list[ReproduceRow]:
        skip = {id(r) for r in self.ungated}
        return [r for r in self.rows if r.within(self.tolerance) is False and id(r) not in skip]

    def _mirror_cell(self, r: ReproduceRow) -> str | None:
        f = self.fidelity.get(r.task)
        if f is None:
            return None
        if f.level == "approximate":
            return f"approximate: mirror differs from the published data ({f.reason})"
        return f.level

    @property
    def passed(self) -> bool:
        return not self.failures and not (self.require_all and self.missing)

    def table(self) -> Table:
        table = self._table()
        if not self.fidelity:  # no mirror checked: the table as before
            return table
        return Table(
            column_digits=table.column_digits,
            columns=[*table.columns, "Mirror"],
            rows=[
                [*row, self._mirror_cell(r)] for row, r in zip(table.rows, self.rows, strict=True)
            ],
            title=table.title,
            align_left=table.align_left,
        )

    def _table(self) -> Table:
        return Table(
            # tolerances go down to 0.01 points: show the scores to 1e-4 points
            column_digits={"Published": 4, "Reproduced": 4, "Delta": 4},
            columns=[
                "Task",
                "Split",
                "Subset",
                "Metric",
                "Published",
                "Reproduced",
                "Delta",
                "Within tolerance",
            ],
            rows=[
                [
                    r.task,
                    r.split,
                    r.subset,
                    r.metric,
                    None if r.published is None else 100 * r.published,
                    None if r.reproduced is None else 100 * r.reproduced,
                    r.delta,
                    r.within(self.tolerance),
                ]
                for r in self.rows
            ],
            title=f"Reproduction of {self.model} (points ×100, tolerance {self.tolerance:g})",
            align_left=4,
        )

    def summary(self) -> str:
        n_ok = sum(1 for r in self.rows if r.within(self.tolerance))
        s = f"{n_ok}/{len(self.rows)} compared scores within ±{self.tolerance:g} points"
        if self.failures:
            s += "; off: " + ", ".join(
                f"{r.task} ({r.delta:+.2f})"
                if r.delta is not None and math.isfinite(r.delta)
                else f"{r.task} ({r.undefined_reason()})"
                for r in self.failures
            )
        other = [r for r in self.rows if r.main_metric is not None]
        if other:
            s += "; compared on the published metric, not mteb's main score: " + ", ".join(
                f"{r.task} {r.metric} (main: {r.main_metric})" for r in other
            )
        if self.ungated:
            s += f"; {len(self.ungated)} not gated (mirror differs from the published data: " + (
                ", ".join(f"{r.task} ({r.delta:+.2f})" for r in self.ungated if r.delta is not None)
                + "; --strict-mirror gates them)"
            )
        if self.missing:
            shown = ", ".join(self.missing[:8]) + (
                f", ... ({len(self.missing) - 8} more)" if len(self.missing) > 8 else ""
            )
            s += f"; {len(self.missing)} published task(s) not reproduced: {shown}"
            s += " (a failure)" if self.require_all else " (not a failure without --require-all)"
        return s


def load_published(source: str | Path, *, model: str | None = None) -> ResultSet:
    """A model card (README.md with ``model-index``, or its folder) or a folder of mteb result JSON."""
    p = Path(source)
    if not p.exists():
        raise ResultsError(f"published source {p} does not exist")
    if p.is_file() and p.suffix.lower() in (".md", ".markdown", ".yaml", ".yml"):
        return load_model_card(p, model=model)
    if p.is_dir() and (p / "README.md").is_file() and not any(p.rglob("*.json")):
        return load_model_card(p / "README.md", model=model)
    return load_results(p)


def select_published(
    published: ResultSet, *, tasks: list[str] | None = None, skip: list[str] | None = None
) -> ResultSet:
    """The published rows of ``tasks`` (all when None) minus ``skip``. A name that is not a
    published task is a :class:`ResultsError` with "did you mean"."""
    known = published.tasks()
    where = f" in {published.source}" if published.source else ""
    for option, names in (("--tasks", tasks), ("--skip", skip)):
        for name in names or ():
            if name not in known:
                raise ResultsError(
                    f"{option}: {name!r} is not a published task{where}."
                    f"{did_you_mean(name, known)} Published tasks: {', '.join(known)}"
                )
    wanted = set(tasks if tasks is not None else known) - set(skip or ())
    if not wanted:
        raise ResultsError("--tasks / --skip leave no published task to compare")
    return published.filter(tasks=wanted)


def _on_published_metric(
    r: ScoreRow, p: ScoreRow
) -> tuple[str | None, float | None, float | None, tuple[str, ...]]:
    """The published row lacks the main score: (metric, published, reproduced) on the first of
    its metrics mteb also reported, else Nones and the published metrics."""
    for name in p.scores:
        mine = metric_value(r.scores, name)
        theirs = metric_value(p.scores, name)
        if mine is not None and theirs is not None:
            return canonical_metric(name), theirs, mine, ()
    return None, None, None, tuple(p.scores)


def _key(r: ScoreRow) -> tuple[str, str, str]:
    return (r.task, r.split, r.subset)


def reproduce(
    published: ResultSet,
    reproduced: ResultSet,
    *,
    model: str | None = None,
    experiment: str | None = None,
    tolerance: float = 0.01,
    require_all: bool = False,
    fidelity: Mapping[str, MirrorFidelity] | None = None,
    strict_mirror: bool = False,
) -> ReproduceReport:
    """Match reproduced against published scores; see the module docstring for the rule."""
    if not (math.isfinite(tolerance) and tolerance >= 0):
        raise ResultsError(f"--tolerance must be a number of points >= 0, not {tolerance}")
    repro = reproduced.run(model, experiment=experiment)
    name = repro.models()[0]
    pub_models = published.models()
    pub = published.run(name if len(pub_models) > 1 else pub_models[0] if pub_models else name)
    by_key = {_key(r): r for r in pub.rows}
    rows: list[ReproduceRow] = []
    reproduced_tasks: set[str] = set()
    for r in sorted(repro.rows, key=_key):
        p = by_key.get(_key(r))
        if p is None:
            continue
        metric = r.main_metric or p.main_metric or "main_score"
        pv = p.value(metric) if r.main_metric else p.main_score
        row = ReproduceRow(r.task, r.split, r.subset, metric, pv, r.main_score)
        # a card listing another metric of the task; a published value that is there but
        # undefined (NaN) stays undefined: the gate fails on it
        if pv is None and p.scores and not ({metric, "main_score"} & set(p.scores)):
            other, theirs, mine, listed = _on_published_metric(r, p)
            if other is not None and other != metric:
                row = replace(row, metric=other, published=theirs, reproduced=mine)
                row = replace(row, main_metric=metric)
            elif listed and metric_value(p.scores, metric) is None:
                row = replace(row, published_metrics=listed)
        rows.append(row)
        reproduced_tasks.add(r.task)
    missing = tuple(sorted({p.task for p in pub.rows} - reproduced_tasks))
    return ReproduceReport(
        name, tolerance, tuple(rows), missing, require_all, dict(fidelity or {}), strict_mirror
    )
