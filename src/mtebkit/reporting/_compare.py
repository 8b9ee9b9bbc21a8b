"""Comparing runs (checkpoints, models, settings) task by task, with paired significance tests.

The first run is the reference A. For every other run X and task: ``delta = 100 × (X - A)``
points; a win when ``delta > tie`` points, a loss when ``delta < -tie``, else a tie. When both
runs kept item scores for the task, a paired test over those items (bootstrap and/or
randomisation, see :mod:`mtebkit.reporting._stats`) gives a p-value and a 95% CI of the delta.
With both tests, each p-value is shown and a difference counts as significant only when BOTH
are below ``alpha``: taking the smaller of two p-values for one hypothesis would inflate the
false-positive rate.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from mtebkit.errors import ResultsError
from mtebkit.reporting._aggregate import aggregate_benchmark, get_benchmark_spec
from mtebkit.reporting._stats import (
    FloatArray,
    PairedTest,
    Statistic,
    paired_bootstrap,
    randomisation_test,
    statistic_for,
)
from mtebkit.reporting._stats import (
    shared_scale as to_shared_scale,
)
from mtebkit.reporting._table import Paragraph, Report, Table
from mtebkit.results import (
    OutdatedItemScoresError,
    ResultSet,
    ScoreRow,
    item_scores_for,
    load_item_scores,
    mean_score,
    paired_arrays,
    preferred_split,
)

__all__ = [
    "Comparison",
    "PairedItems",
    "TaskComparison",
    "compare_runs",
    "comparison_report",
    "paired_items_for",
    "paired_test_for",
    "paired_tests",
]

logger = logging.getLogger(__name__)

Method = Literal["bootstrap", "randomisation", "both"]


@dataclass(frozen=True)
class TaskComparison:
    task: str
    split: str
    reference: float | None  # 0-1
    other: float | None
    tests: tuple[PairedTest, ...] = ()

    @property
    def delta(self) -> float | None:
        if self.reference is None or self.other is None:
            return None
        return 100.0 * (self.other - self.reference)


def _kind(test: PairedTest) -> str:
    return "bootstrap" if test.method.startswith("paired bootstrap") else "randomisation"


@dataclass(frozen=True)
class Comparison:
    reference: str
    others: tuple[str, ...]
    tasks: tuple[str, ...]
    cells: dict[tuple[str, str], TaskComparison]  # (other label, task) -> comparison
    tie: float
    alpha: float

    def record(self, other: str) -> tuple[int, int, int, int, int]:
        """(wins, ties, losses, significant wins, significant losses) of ``other`` against A."""
        w = t = lo = sw = sl = 0
        for task in self.tasks:
            c = self.cells.get((other, task))
            if c is None or c.delta is None:
                continue
            sig = bool(c.tests) and all(x.p_value < self.alpha for x in c.tests)
            if c.delta > self.tie:
                w += 1
                sw += sig
            elif c.delta < -self.tie:
                lo += 1
                sl += sig
            else:
                t += 1
        return w, t, lo, sw, sl

    def _methods(self, other: str) -> list[str]:
        """The test kinds run for ``other`` ("bootstrap", "randomisation"), in a fixed order."""
        seen = {_kind(t) for (o, _), c in self.cells.items() if o == other for t in c.tests}
        return [m for m in ("bootstrap", "randomisation") if m in seen]

    def aliases(self) -> dict[str, str]:
        """Short column names: A for the reference, then B, C, ... (R27, R28, ... beyond Z)."""
        labels = [self.reference, *self.others]
        return {
            label: chr(ord("A") + i) if i < 26 else f"R{i + 1}" for i, label in enumerate(labels)
        }

    def disagrees(self, c: TaskComparison) -> bool:
        """The bootstrap's 95% CI and the p-values tell different stories: the CI excludes 0
        while a p-value is at or above ``alpha``, or the CI holds 0 while every p is below."""
        ci = next((t for t in c.tests if t.ci_low is not None and t.ci_high is not None), None)
        if ci is None or ci.ci_low is None or ci.ci_high is None:
            return False
        excludes_zero = ci.ci_low > 0 or ci.ci_high < 0
        return excludes_zero != all(t.p_value < self.alpha for t in c.tests)

    def table(self, *, short_labels: bool = False, others: Sequence[str] | None = None) -> Table:
        """The per-task table of ``others`` (default: every run) against the reference;
        ``short_labels`` names the runs A, B, ... so that the table fits a terminal."""
        name = self.aliases() if short_labels else {x: x for x in (self.reference, *self.others)}
        shown = tuple(others) if others is not None else self.others
        cols = ["Task", "Split", name[self.reference]]
        p_cols: list[str] = []
        methods = {o: self._methods(o) for o in shown}
        short_kind = {"bootstrap": "boot", "randomisation": "rand"} if short_labels else {}
        for o in shown:
            n = name[o]
            names = (
                [f"p {short_kind.get(m, m)} {n}" for m in methods[o]]
                if len(methods[o]) > 1
                else [f"p {n}"]
            )
            p_cols += names
            cols += [n, f"Δ {n}", *names, f"95% CI {n}"]
        rows = []
        n_disagree = 0
        for task in self.tasks:
            first = next((self.cells[(o, task)] for o in shown if (o, task) in self.cells), None)
            if first is None:
                continue
            line: list[object] = [
                task,
                first.split,
                None if first.reference is None else 100 * first.reference,
            ]
            for o in shown:
                c = self.cells.get((o, task))
                n_p = max(1, len(methods[o]))
                if c is None:
                    line += [None, None, *([None] * n_p), None]
                    continue
                ci = None
                for t in c.tests:
                    if t.ci_low is not None and t.ci_high is not None:
                        ci = f"[{100 * t.ci_low:+.2f}, {100 * t.ci_high:+.2f}]"
                if ci is not None and self.disagrees(c):
                    ci += "*"
                    n_disagree += 1
                by_method = {_kind(t): t for t in c.tests}
                ps: list[object] = [
                    by_method[m].p_value if m in by_method else None for m in methods[o]
                ] or [None]
                line += [None if c.other is None else 100 * c.other, c.delta, *ps, ci]
            rows.append(line)
        notes = []
        if n_disagree:
            notes.append(
                f"* {n_disagree} CI(s) and p-values disagree: the 95% CI is the percentile "
                "bootstrap's (items resampled), the p-values test 'no difference' (bootstrap "
                "null, randomisation); near the threshold they can fall on different sides. "
                f"Significant here means every p < {self.alpha:g}."
            )
        against = f"{', '.join(name[o] for o in shown)} against" if others is not None else ""
        return Table(
            cols,
            rows,
            title=f"Per-task comparison{': ' + against if against else ' against'} "
            f"{name[self.reference]} (points ×100)",
            note="\n".join(notes),
            align_left=2,
            # 2 decimals would print p = 0.001 as "0.00"; 1/(resamples+1) needs 4
            column_digits=dict.fromkeys(p_cols, 4),
        )

    def record_table(self, *, short_labels: bool = False) -> Table:
        name = self.aliases() if short_labels else {x: x for x in (self.reference, *self.others)}
        rows = [[name[o], *self.record(o)] for o in self.others]
        return Table(
            ["Run", "Wins", "Ties", "Losses", "Significant wins", "Significant losses"],
            rows,
            title=f"Wins / ties / losses against {name[self.reference]} (tie: |Δ| <= {self.tie:g} points; "
            f"significant: p < {self.alpha:g} in every test run)",
        )


@dataclass(frozen=True)
class PairedItems:
    """Two runs' aligned item scores of one task (``a``, ``b``, ``gold``) and the statistic
    that recomputes the task's main score from them."""

    task: str
    kind: str
    metric: str  # the main metric's base name (spearman, ap, ...)
    a: FloatArray
    b: FloatArray
    gold: FloatArray
    statistic: Statistic
    shared_scale: tuple[FloatArray, FloatArray] | None = None  # set: for_randomisation's answer

    def for_randomisation(self) -> tuple[FloatArray, FloatArray]:
        """``a`` and ``b`` on a shared scale, so that swapping items is meaningful (pair tasks:
        similarity scales differ between models, see :func:`pair_items`)."""
        if self.shared_scale is not None:
            return self.shared_scale
        a = to_shared_scale(self.kind, self.a, self.metric)
        return a, to_shared_scale(self.kind, self.b, self.metric)


def paired_items_for(
    a_rows: list[ScoreRow], b_rows: list[ScoreRow], split: str
) -> PairedItems | None:
    """The aligned item scores of B and A on ``split``; None when either lacks them, the main
    metric has no per-item form, or the task has several subsets (a one-subset test would
    misdescribe the task score)."""
    subsets = sorted({r.subset for r in a_rows if r.split == split})
    if len(subsets) != 1:
        return None
    ra = next((r for r in a_rows if r.split == split and r.path), None)
    rb = next((r for r in b_rows if r.split == split and r.path), None)
    if ra is None or rb is None or ra.path is None or rb.path is None:
        return None
    pa, pb = item_scores_for(ra.path), item_scores_for(rb.path)
    if pa is None or pb is None:
        return None
    try:
        ia, ib = load_item_scores(pa), load_item_scores(pb)
    except OutdatedItemScoresError as exc:  # no test rather than a test of another quantity
        logger.warning("%s", exc)
        return None
    if ia.main is None:  # the main metric has no per-item form (e.g. nAUC): no test
        return None
    ea, eb = ia.entry(split, subsets[0]), ib.entry(split, subsets[0])
    a, b, gold = paired_arrays(ia, ea, ib, eb)
    stat = statistic_for(ia.kind, ia.main_metric)
    return PairedItems(ia.task, ia.kind, ia.main.metric, a, b, gold, stat)


def paired_tests(
    items: PairedItems, *, method: Method = "bootstrap", n_resamples: int = 1000, seed: int = 0
) -> tuple[PairedTest, ...]:
    """The paired tests ``method`` asks for, of B vs A on these items; () when the statistic
    is undefined on them (e.g. constant scores)."""
    tests = []
    try:
        if method in ("bootstrap", "both"):
            tests.append(
                paired_bootstrap(
                    items.a,
                    items.b,
                    items.gold,
                    statistic=items.statistic,
                    n_resamples=n_resamples,
                    seed=seed,
                )
            )
        if method in ("randomisation", "both"):
            a, b = items.for_randomisation()
            tests.append(
                randomisation_test(
                    a, b, items.gold, statistic=items.statistic, n_resamples=n_resamples, seed=seed
                )
            )
    except ResultsError as exc:  # e.g. constant scores: the task's row stays, untested
        logger.warning("%s: no paired test: %s", items.task, exc)
        return ()
    return tuple(tests)


def paired_test_for(
    a_rows: list[ScoreRow],
    b_rows: list[ScoreRow],
    split: str,
    *,
    method: Method = "bootstrap",
    n_resamples: int = 1000,
    seed: int = 0,
) -> tuple[PairedTest, ...]:
    """Paired tests of B vs A on ``split`` from their item-score files; () when either lacks them
    or the task has several subsets (see :func:`paired_items_for`)."""
    items = paired_items_for(a_rows, b_rows, split)
    if items is None:
        return ()
    return paired_tests(items, method=method, n_resamples=n_resamples, seed=seed)


def compare_runs(
    runs: Sequence[tuple[str, ResultSet]],
    *,
    method: Method = "bootstrap",
    n_resamples: int = 1000,
    seed: int = 0,
    tie: float = 0.0,
    alpha: float = 0.05,
    tasks: Sequence[str] | None = None,
) -> Comparison:
    """Compare ``runs[1:]`` with ``runs[0]`` (each a label and ONE run's results)."""
    if len(runs) < 2:
        raise ResultsError("compare needs at least two runs")
    labels = [label for label, _ in runs]
    if len(set(labels)) != len(labels):
        raise ResultsError(f"two compared runs have the same label: {labels}")
    by_run = [view.by_task() for _, view in runs]
    names = list(tasks) if tasks else sorted(set(by_run[0]) & set().union(*by_run[1:]))
    if not names:
        raise ResultsError(f"the runs share no task ({', '.join(labels)})")
    ref = by_run[0]
    cells: dict[tuple[str, str], TaskComparison] = {}
    for label, rows in zip(labels[1:], by_run[1:], strict=True):
        for task in names:
            a_rows = ref.get(task, [])
            b_rows = rows.get(task, [])
            if not a_rows and not b_rows:
                continue
            split = preferred_split({r.split for r in a_rows} or {r.split for r in b_rows}, task)
            tests = (
                paired_test_for(
                    a_rows, b_rows, split, method=method, n_resamples=n_resamples, seed=seed
                )
                if a_rows and b_rows
                else ()
            )
            cells[(label, task)] = TaskComparison(
                task, split, mean_score(a_rows, split), mean_score(b_rows, split), tests
            )
    return Comparison(labels[0], tuple(labels[1:]), tuple(names), cells, tie, alpha)


def comparison_report(
    cmp: Comparison,
    *,
    runs: Sequence[tuple[str, ResultSet]],
    benchmark: str | None = None,
    metrics: str = "card",
    short_labels: bool = False,
) -> Report:
    """Category averages (with a benchmark), the per-task table and the win/tie/loss record.

    ``short_labels`` (for a terminal): the runs are named A, B, ... (a legend comes first) and
    the category averages have one row per category, one column per run."""
    rep = Report(f"Comparison against {cmp.reference}")
    if short_labels:
        rep.add(Paragraph("\n".join(f"{a} = {label}" for label, a in cmp.aliases().items())))
    if benchmark is not None:
        spec = get_benchmark_spec(benchmark)
        aggs = [aggregate_benchmark(view, spec.name, metrics=metrics) for _, view in runs]  # type: ignore[arg-type]
        ref_pts = aggs[0].as_points()
        rows: list[list[object]] = []
        alias = cmp.aliases() if short_labels else {}
        for (full, _), agg in zip(runs, aggs, strict=True):
            label = alias.get(full, full)
            pts = agg.as_points()
            rows.append([label, *pts.values()])
            if agg is not aggs[0]:
                deltas: list[object] = []
                for k, v in pts.items():
                    r = ref_pts[k]
                    deltas.append(None if v is None or r is None else v - r)
                rows.append([f"Δ {label}", *deltas])
        title = f"{spec.name}: category averages (points)"
        if short_labels:  # transposed: eight categories as columns do not fit 100 characters
            heads = [str(r[0]) for r in rows]
            cats = list(ref_pts)
            rep.add(
                Table(
                    ["Category", *heads],
                    [[cat, *(r[1 + k] for r in rows)] for k, cat in enumerate(cats)],
                    title=title,
                )
            )
        else:
            rep.add(Table(["Run", *ref_pts], rows, title=title))
    if short_labels:  # one table per run: side by side, two runs already pass 100 characters
        for o in cmp.others:
            rep.add(cmp.table(short_labels=True, others=[o]))
    else:
        rep.add(cmp.table())
    rep.add(cmp.record_table(short_labels=short_labels))
    tested = sum(1 for c in cmp.cells.values() if c.tests)
    methods = sorted({t.method for c in cmp.cells.values() for t in c.tests})
    rep.add(
        Paragraph(
            f"{tested} of {len(cmp.cells)} task comparisons have a paired test over per-item scores"
            f" ({', '.join(methods) or 'no item scores found'}); the CI is the paired bootstrap's;"
            " a difference is significant only when every test run gives p below alpha."
        )
    )
    return rep
