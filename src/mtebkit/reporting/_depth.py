"""Reranker depth curves: main score against ``--rerank-top-k``, per task and reranker.

Two-stage results record ``settings.reranker`` (the cross-encoder, ``top_k``, and the fixed
candidates' ``first_stage.sha256`` if any). Results that differ only in ``top_k`` form one
curve: one row per (task, first stage, reranker), one column per depth. The first stage is the
embedder the results are filed under, or the candidates file (name + sha256 prefix).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mtebkit.reporting._figures import panel_row, png_bytes
from mtebkit.reporting._table import Image, Report, Table
from mtebkit.results import ResultSet, ScoreRow, mean_score, preferred_split

__all__ = ["DepthCurve", "add_depth_curves", "depth_curve_figure", "depth_curves"]

_DEPTH_PART = re.compile(r"(^|__)rerank_top_k_\d+(?=__|$)")


@dataclass
class DepthCurve:
    """Main score (0-1) by depth for one task, first stage and reranker."""

    task: str
    first_stage: str
    reranker: str
    metric: str
    scores: dict[int, float] = field(default_factory=dict)


def _first_stage(row: ScoreRow, rr: Mapping[str, Any]) -> str:
    fixed = rr.get("first_stage")
    if isinstance(fixed, Mapping):
        return f"{fixed.get('file', 'run')} ({str(fixed.get('sha256', ''))[:12]})"
    return row.model


def _curve_key(row: ScoreRow) -> tuple[str, str, str, str, int] | None:
    """(task, first stage, reranker, the settings apart from depth, depth), or None."""
    rr = (row.settings or {}).get("reranker")
    if not isinstance(rr, Mapping) or not isinstance(rr.get("top_k"), int):
        return None
    # the experiment folder names every setting that changes scores: without its depth, it
    # names the curve (provenance fields, which may differ between runs, are not in it)
    same = f"{row.revision}/{_DEPTH_PART.sub('', row.experiment or '')}"
    name = str(rr.get("model", "?"))
    return row.task, _first_stage(row, rr), name, same, int(rr["top_k"])


def depth_curves(rs: ResultSet) -> list[DepthCurve]:
    """Every curve with at least two depths, sorted by task, first stage and reranker."""
    groups: dict[tuple[str, str, str, str], dict[int, list[ScoreRow]]] = {}
    for row in rs.rows:
        key = _curve_key(row)
        if key is not None:
            groups.setdefault(key[:4], {}).setdefault(key[4], []).append(row)
    curves = []
    for (task, first, reranker, _), by_depth in sorted(groups.items()):
        if len(by_depth) < 2:
            continue
        any_rows = [r for rows in by_depth.values() for r in rows]
        split = preferred_split({r.split for r in any_rows}, task)
        metric = next((r.main_metric for r in any_rows if r.main_metric), None) or "main_score"
        curve = DepthCurve(task, first, reranker, metric)
        for depth, rows in sorted(by_depth.items()):
            score = mean_score(rows, split)
            if score is not None:
                curve.scores[depth] = score
        if len(curve.scores) >= 2:
            curves.append(curve)
    return curves


def depth_curve_table(curves: Sequence[DepthCurve]) -> Table:
    """One row per curve, one column per depth (points; ``-`` where a depth was not run)."""
    depths = sorted({d for c in curves for d in c.scores})
    rows: list[list[object]] = [
        [c.task, c.first_stage, c.reranker, c.metric, *(_pts(c.scores.get(d)) for d in depths)]
        for c in curves
    ]
    table = Table(
        ["Task", "First stage", "Reranker", "Metric", *(f"top {d}" for d in depths)],
        rows,
        title="Reranker depth curves",
        note="main score x100 after reranking the first stage's top k; best depth in bold",
        align_left=4,
    )
    for ri, row in enumerate(rows):
        vals = [(v, ci) for ci, v in enumerate(row) if ci >= 4 and isinstance(v, float)]
        best = max(v for v, _ in vals)
        table.bold |= {(ri, ci) for v, ci in vals if v == best}
    return table


def _pts(v: float | None) -> float | None:
    return None if v is None else 100 * v


def depth_curve_figure(curves: Sequence[DepthCurve], *, title: str = "", dpi: int = 120) -> bytes:
    """PNG: one panel per task, one line per (first stage, reranker), log-scaled depth."""
    tasks = sorted({c.task for c in curves})
    fig, axes = panel_row(len(tasks), width=4.5, height=3.6, dpi=dpi)
    for ax, task in zip(axes, tasks, strict=True):
        for c in (c for c in curves if c.task == task):
            xs = sorted(c.scores)
            ax.plot(
                xs,
                [100 * c.scores[x] for x in xs],
                marker="o",
                label=f"{c.reranker} / {c.first_stage}",
            )
        depths = sorted({d for c in curves if c.task == task for d in c.scores})
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_xticks(depths, [str(d) for d in depths])
        ax.set_xlabel("rerank top k")
        ax.set_ylabel(next(c.metric for c in curves if c.task == task))
        ax.set_title(task)
        # below the axes: a legend inside would hide the points
        ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.22))
    return png_bytes(fig, title)


def add_depth_curves(report: Report, rs: ResultSet, *, plot: bool = True) -> Table | None:
    """Add the depth-curve table (and a plot) when ``rs`` has a sweep; the table, else None."""
    curves = depth_curves(rs)
    if not curves:
        return None
    table = depth_curve_table(curves)
    report.add(table)
    if plot:
        png = depth_curve_figure(curves, title="main score by rerank depth")
        report.add(Image("Reranker depth curves", png, filename="rerank_depth.png"))
    return table
