"""A sweep's curves: score vs training step per task and for the average, with bootstrap
intervals from the item scores, the chosen checkpoint marked; and the table beside them (step,
average, rank group, change from the previous checkpoint with its p-value).

Read from ``sweep.json`` and the candidates' results (``mtebkit.sweeps`` writes both). The
interval of a task at a step is the 2.5th-97.5th percentile of the task's statistic over
bootstrap resamples of its items; the average's resamples are the mean of the tasks' (each task
resampled on its own, as the average is of task scores).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mtebkit.reporting._compare import paired_items_for
from mtebkit.reporting._figures import panel_row, png_bytes
from mtebkit.reporting._ranks import rank_labels, rank_steps
from mtebkit.reporting._stats import bootstrap_draws
from mtebkit.reporting._table import Image, Paragraph, Report, Table
from mtebkit.results import (
    CANDIDATES_DIR,
    SWEEP_FILE,
    ResultSet,
    SweepFile,
    load_results,
    preferred_split,
    read_sweep_file,
)

__all__ = ["SweepPoint", "add_sweep_curves", "sweep_curve_figure", "sweep_points"]

AVERAGE = "average"


@dataclass(frozen=True)
class SweepPoint:
    """One curve's point: ``task`` (or ``average``) at ``step``; scores 0-1; the interval is
    None where the step kept no item scores."""

    task: str
    step: int
    score: float
    low: float | None
    high: float | None


def _resampled(view: ResultSet, task: str, n: int, seed: int) -> np.ndarray | None:
    rows = view.by_task().get(task, [])
    if not rows:
        return None
    split = preferred_split({r.split for r in rows}, task)
    items = paired_items_for(rows, rows, split)  # the run against itself: its items, aligned
    if items is None:
        return None
    return bootstrap_draws(items.a, items.gold, statistic=items.statistic, n_resamples=n, seed=seed)


def _interval(draws: np.ndarray | None) -> tuple[float | None, float | None]:
    if draws is None:
        return None, None
    finite = draws[np.isfinite(draws)]
    if not len(finite):
        return None, None
    return float(np.percentile(finite, 2.5)), float(np.percentile(finite, 97.5))


def _views(sweep: SweepFile, rs: ResultSet) -> list[tuple[int, ResultSet]]:
    return [
        (c.step, rs.run(model=c.model, revision=c.revision))
        for c in sorted(sweep.candidates, key=lambda c: c.step)
        if c.status == "evaluated" and c.model is not None
    ]


def sweep_points(
    sweep: SweepFile, rs: ResultSet, *, resamples: int = 200, seed: int = 0
) -> list[SweepPoint]:
    """Every task's point at every evaluated step, then the average's."""
    points = []
    by_step = {c.step: c for c in sweep.candidates}
    for step, view in _views(sweep, rs):
        draws = []
        for task in sweep.tasks:
            d = _resampled(view, task, resamples, seed)
            draws.append(d)
            points.append(SweepPoint(task, step, by_step[step].scores[task], *_interval(d)))
        average = by_step[step].average
        assert average is not None  # evaluated: every task scored
        # the average's interval only where every task kept item scores
        kept = [d for d in draws if d is not None]
        both = np.mean(np.stack(kept), axis=0) if kept and len(kept) == len(draws) else None
        points.append(SweepPoint(AVERAGE, step, average, *_interval(both)))
    return points


def sweep_curve_figure(
    points: Sequence[SweepPoint], winner: int | None, *, title: str = "", dpi: int = 120
) -> bytes:
    """PNG: one panel per task and one for the average, score x100 vs step, the 95% interval
    shaded, the chosen step marked."""
    names = list(dict.fromkeys(p.task for p in points))
    fig, axes = panel_row(len(names), width=4.2, height=3.4, dpi=dpi)
    for ax, name in zip(axes, names, strict=True):
        mine = sorted((p for p in points if p.task == name), key=lambda p: p.step)
        steps = [p.step for p in mine]
        ax.plot(steps, [100 * p.score for p in mine], marker="o")
        shown = [p for p in mine if p.low is not None and p.high is not None]
        if shown:
            ax.fill_between(
                [p.step for p in shown],
                [100 * (p.low or 0.0) for p in shown],
                [100 * (p.high or 0.0) for p in shown],
                alpha=0.25,
                label="95% bootstrap interval",
            )
        chosen = [p for p in mine if p.step == winner]
        if chosen:
            ax.plot(
                [winner], [100 * chosen[0].score], marker="*", markersize=16, color="crimson",
                linestyle="none", label="chosen",
            )  # fmt: skip
        ax.set_xlabel("step")
        ax.set_ylabel("main score x100")
        ax.set_title(name)
        ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.22))
    return png_bytes(fig, title)


def _table(sweep: SweepFile, rs: ResultSet, points: Sequence[SweepPoint], resamples: int) -> Table:
    views = _views(sweep, rs)
    label = {step: f"step {step}" for step, _ in views}
    averages = {p.step: p for p in points if p.task == AVERAGE}
    # rank groups: the ranking by average, each step tested with the next (reporting/_ranks.py)
    ranking = sorted(views, key=lambda sv: -averages[sv[0]].score)
    ranked = [(label[s], v) for s, v in ranking]
    steps = rank_steps(ranked, sweep.tasks, n_resamples=resamples) if len(ranked) > 1 else []
    groups = dict(
        zip((s for s, _ in ranking), rank_labels([st.separated() for st in steps]), strict=True)
    )
    rows: list[list[object]] = []
    previous: tuple[int, ResultSet] | None = None
    for step, view in views:
        avg = averages[step]
        delta = p_value = None
        if previous is not None:
            delta = 100 * (avg.score - averages[previous[0]].score)
            (test,) = rank_steps(
                [(label[step], view), (label[previous[0]], previous[1])],
                sweep.tasks,
                n_resamples=resamples,
            )
            p_value = max((t.p_value for t in test.tests), default=None)
        interval = (
            f"[{100 * avg.low:.2f}, {100 * avg.high:.2f}]"
            if avg.low is not None and avg.high is not None
            else "-"
        )
        rows.append(
            [
                step,
                100 * avg.score,
                interval,
                groups[step],
                delta,
                p_value,
                "*" if step == sweep.winner_step else "",
            ]
        )
        previous = (step, view)
    split = sweep.split or "each task's own splits (not dev-selected)"
    return Table(
        [
            "step",
            "average x100",
            "95% interval",
            "rank group",
            "Δ vs previous",
            "p-value",
            "chosen",
        ],
        rows,
        title="Checkpoint sweep",
        note=f"average of {', '.join(sweep.tasks)} on {split}; rank groups and p-values: paired "
        "tests on the pooled item scores (the larger of bootstrap and randomisation p)",
        column_digits={"p-value": 4},
        align_left=0,
    )


def add_sweep_curves(
    report: Report, results_dir: str | Path, *, resamples: int = 200, plot: bool = True
) -> Table | None:
    """Add the sweep table (and the curves) when ``results_dir`` holds a ``sweep.json``;
    the table, else None."""
    results_dir = Path(results_dir)
    if not (results_dir / SWEEP_FILE).is_file():
        return None
    sweep = read_sweep_file(results_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rs = load_results(results_dir / CANDIDATES_DIR)
    if not _views(sweep, rs):
        return None
    points = sweep_points(sweep, rs, resamples=resamples)
    table = _table(sweep, rs, points, resamples)
    chosen = sweep.winner
    how = f"on {sweep.split}" if sweep.split else "on test splits: not a dev selection"
    if chosen is not None:
        report.add(Paragraph(f"Chosen checkpoint: step {chosen.step} ({chosen.path}), {how}."))
    report.add(table)
    if plot:
        png = sweep_curve_figure(points, sweep.winner_step, title="main score by training step")
        report.add(Image("Checkpoint sweep curves", png, filename="sweep_curves.png"))
    return table
