"""Comparing reproduced scores with published ones (a model card or a folder of mteb results).

Per (task, split, subset) present in both: the metric is the task's mteb 2 main score, looked up
in the published numbers under its current or historical name. ``delta = 100 × (reproduced -
published)`` in points; a row is within tolerance when ``|delta| <= tolerance`` (points). A
row where only one of the published and reproduced values is defined (not missing, not NaN)
is never within tolerance; where neither is, there is nothing to compare.

Mirror fidelity (``fidelity``: task -> :class:`~mtebkit.tasks.MirrorFidelity`, computed from the
mirror the task ran on): a row whose task's mirror is ``approximate`` (its data differs from
what mteb describes, so from the data the published number came from) is shown with its delta
and the reason but is not gated, unless ``strict_mirror``. Exact, near and unknown rows gate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mtebkit.errors import ResultsError
from mtebkit.reporting._table import Table
from mtebkit.results._loading import ResultSet, ScoreRow, load_results
from mtebkit.results._modelcard import load_model_card

if TYPE_CHECKING:
    from mtebkit.tasks import MirrorFidelity

__all__ = ["ReproduceReport", "ReproduceRow", "load_published", "reproduce"]


@dataclass(frozen=True)
class ReproduceRow:
    task: str
    split: str
    subset: str
    metric: str
    published: float | None  # 0-1
    reproduced: float | None  # 0-1

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
                else f"{r.task} (undefined: published {r.published}, reproduced {r.reproduced})"
                for r in self.failures
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
        rows.append(ReproduceRow(r.task, r.split, r.subset, metric, pv, r.main_score))
        reproduced_tasks.add(r.task)
    missing = tuple(sorted({p.task for p in pub.rows} - reproduced_tasks))
    return ReproduceReport(
        name, tolerance, tuple(rows), missing, require_all, dict(fidelity or {}), strict_mirror
    )
