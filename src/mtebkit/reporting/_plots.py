"""Positive vs negative similarity distributions, with the thresholds that best separate them.

Positives: pair-classification pairs labelled 1; STS pairs whose normalised gold score is >=
``sts_threshold`` (default 0.5, the upper half of the scale); retrieval: relevant retrieved
documents (from the bounded sample kept in the item-scores file). Negatives: the rest.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mtebkit.errors import ResultsError
from mtebkit.reporting._stats import best_accuracy_threshold, best_f1_threshold
from mtebkit.reporting._table import Image, Report, Table
from mtebkit.results import (
    ITEM_KINDS,
    OutdatedItemScoresError,
    ResultSet,
    RunKey,
    item_scores_for,
    load_item_scores,
    preferred_split,
)

logger = logging.getLogger(__name__)

__all__ = [
    "FIGURE_FORMATS",
    "Distribution",
    "Thresholds",
    "add_similarity_plots",
    "best_thresholds",
    "collect_distributions",
    "similarity_figure",
    "thresholds_table",
]


@dataclass(frozen=True)
class Thresholds:
    """Rule ``predict positive iff score > threshold``; the best threshold for F1 and for
    accuracy, found as mteb finds them (so they equal mteb's ``*_threshold`` on the same scores)."""

    f1_threshold: float
    max_f1: float
    accuracy_threshold: float
    max_accuracy: float


def best_thresholds(pos: Sequence[float], neg: Sequence[float]) -> Thresholds:
    """Best F1 and accuracy thresholds over the pooled scores (label 1 = ``pos``).

    mteb's rule (:func:`mtebkit.reporting._stats.best_accuracy_threshold` and
    :func:`~mtebkit.reporting._stats.best_f1_threshold`): candidate thresholds are the midpoints
    between adjacent distinct scores, tied scores are never split, the first best cut from the
    top wins. Raises on an empty side.
    """
    if not pos or not neg:
        raise ResultsError(f"need both positive and negative pairs (got {len(pos)} and {len(neg)})")
    scores = np.asarray([*pos, *neg], dtype=np.float64)
    labels = np.asarray([1.0] * len(pos) + [0.0] * len(neg))
    acc, acc_t = best_accuracy_threshold(scores, labels)
    f1, _, _, f1_t = best_f1_threshold(scores, labels)
    return Thresholds(f1_t, f1, acc_t, acc)


@dataclass(frozen=True)
class Distribution:
    label: str
    task: str
    split: str
    subset: str
    positives: list[float]
    negatives: list[float]

    @property
    def thresholds(self) -> Thresholds:
        return best_thresholds(self.positives, self.negatives)


def collect_distributions(
    rs: ResultSet,
    task: str,
    *,
    split: str | None = None,
    subset: str | None = None,
    sts_threshold: float = 0.5,
    runs: Sequence[RunKey] | None = None,
) -> list[Distribution]:
    """One distribution per run that kept item scores for ``task``."""
    out = []
    for key in runs or rs.runs():
        rows = [
            r
            for r in rs.rows
            if r.task == task and r.model == key.model and r.experiment == key.experiment
        ]
        if not rows:
            continue
        sp = split or preferred_split({r.split for r in rows}, task)
        row = next((r for r in rows if r.split == sp and r.path is not None), None)
        if row is None or row.path is None:
            continue
        p = item_scores_for(row.path)
        if p is None:
            continue
        try:
            items = load_item_scores(p)
        except OutdatedItemScoresError as exc:  # a plot can do without; say so once per file
            logger.warning("%s", exc)
            continue
        sub = subset or next((e.subset for e in items.entries if e.split == sp), "default")
        e = items.entry(sp, sub)
        pos, neg = e.positives_negatives(
            sts_threshold,
            binary=items.kind in ITEM_KINDS and ITEM_KINDS[items.kind].plot_binary,
            column=e.plot_column(items.main),
        )
        if pos and neg:
            out.append(Distribution(key.label, task, sp, sub, pos, neg))
    return out


FIGURE_FORMATS = ("png", "svg", "pdf")


def similarity_figure(
    dists: Sequence[Distribution], *, title: str = "", dpi: int = 150, fmt: str = "png"
) -> bytes:
    """The figure as ``fmt`` bytes (png, svg or pdf): one panel per model (+ an overlay panel
    for several), thresholds marked, legends below the data. A panel is 5 x 4 inches (750 x 600
    px as PNG at the default dpi); SVG and PDF keep text as text (editable in a paper)."""
    import matplotlib

    if fmt not in FIGURE_FORMATS:
        raise ResultsError(f"figure format must be one of {', '.join(FIGURE_FORMATS)}, not {fmt!r}")
    fig = similarity_plot(dists, title=title, dpi=dpi)
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "pdf.fonttype": 42}):
        # "tight" keeps the legends below the axes inside the file
        fig.savefig(buf, format=fmt, bbox_inches="tight", metadata=_METADATA[fmt])
    return buf.getvalue()


def similarity_plot(dists: Sequence[Distribution], *, title: str = "", dpi: int = 150) -> Any:
    """The matplotlib ``Figure`` of :func:`similarity_figure`."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not dists:
        raise ResultsError("nothing to plot: no item scores with both positive and negative pairs")
    n_panels = len(dists) + (1 if len(dists) > 1 else 0)
    fig = Figure(figsize=(5.0 * n_panels, 4.0), dpi=dpi)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, n_panels, squeeze=False)[0]
    colors = ["C0", "C1", "C2", "C3", "C4", "C5", "C6", "C7"]
    lo = min(min(d.positives + d.negatives) for d in dists)
    hi = max(max(d.positives + d.negatives) for d in dists)
    bins = [lo + (hi - lo) * k / 40 for k in range(41)] if hi > lo else 20

    def finish(ax: Any, panel_title: str, ncol: int) -> None:
        ax.set_title(panel_title, fontsize=10)
        ax.set_xlabel("model similarity score", fontsize=9)
        ax.set_ylabel("density (share of pairs per unit score)", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.25, linewidth=0.5)
        # below the axes, never over the histograms
        ax.legend(
            fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=ncol, frameon=False
        )

    for ax, d in zip(axes, dists, strict=False):
        th = d.thresholds
        ax.hist(
            d.negatives,
            bins=bins,
            density=True,
            alpha=0.55,
            color="tab:red",
            label=f"negative (n={len(d.negatives)})",
        )
        ax.hist(
            d.positives,
            bins=bins,
            density=True,
            alpha=0.55,
            color="tab:green",
            label=f"positive (n={len(d.positives)})",
        )
        ax.axvline(
            th.f1_threshold,
            color="k",
            linestyle="--",
            linewidth=1,
            label=f"max F1 {th.max_f1:.3f} @ {th.f1_threshold:.3f}",
        )
        ax.axvline(
            th.accuracy_threshold,
            color="k",
            linestyle=":",
            linewidth=1,
            label=f"max acc {th.max_accuracy:.3f} @ {th.accuracy_threshold:.3f}",
        )
        finish(ax, d.label, ncol=2)
    if len(dists) > 1:
        ax = axes[-1]
        for i, d in enumerate(dists):
            c = colors[i % len(colors)]
            ax.hist(
                d.positives,
                bins=bins,
                density=True,
                histtype="step",
                color=c,
                linewidth=1.6,
                label=f"{d.label}: positive",
            )
            ax.hist(
                d.negatives,
                bins=bins,
                density=True,
                histtype="step",
                color=c,
                linewidth=1.2,
                linestyle="--",
                label=f"{d.label}: negative",
            )
        finish(ax, "all models (solid: positive, dashed: negative)", ncol=1)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


# no creation date in the files: the same results give the same bytes
_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Date": None},
    "pdf": {"CreationDate": None},
}


def thresholds_table(dists: Sequence[Distribution]) -> Table:
    rows = []
    for d in dists:
        th = d.thresholds
        rows.append(
            [
                d.label,
                d.task,
                d.split,
                len(d.positives),
                len(d.negatives),
                th.f1_threshold,
                th.max_f1,
                th.accuracy_threshold,
                th.max_accuracy,
            ]
        )
    return Table(
        [
            "Model",
            "Task",
            "Split",
            "Positives",
            "Negatives",
            "F1 threshold",
            "Max F1",
            "Accuracy threshold",
            "Max accuracy",
        ],
        rows,
        title="Best separating thresholds",
        digits=4,
        align_left=3,
    )


def add_similarity_plots(
    report: Report,
    rs: ResultSet,
    *,
    tasks: Sequence[str] | None = None,
    sts_threshold: float = 0.5,
    max_tasks: int = 12,
) -> int:
    """Add a plot + thresholds table for each task with item scores; return how many were added."""
    names = (
        list(tasks)
        if tasks
        else sorted(
            {r.task for r in rs.rows if r.path is not None and item_scores_for(r.path) is not None}
        )
    )
    all_dists = []
    added = 0
    for task in names[:max_tasks]:
        dists = collect_distributions(rs, task, sts_threshold=sts_threshold)
        if not dists:
            continue
        png = similarity_figure(dists, title=f"{task}: positive vs negative scores")
        report.add(Image(f"{task}: score distributions", png, filename=f"similarity_{task}.png"))
        all_dists += dists
        added += 1
    if all_dists:
        report.add(thresholds_table(all_dists))
    return added
