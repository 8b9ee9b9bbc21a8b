"""The dims x precision table of a model run with ``--dim`` / ``--precision``.

Variant results are experiments named ``dim_256``, ``precision_int8``,
``dim_256__precision_int8`` (their settings record ``dim`` / ``precision``); the model's full
vectors are the experiment without those parts. Each table shows, per task and dimension, the
main score of every precision and its relative loss against the full-dimension float32 score:
``loss % = 100 * (full - variant) / full``.
"""

from __future__ import annotations

from collections.abc import Sequence

from mtebkit.reporting._table import Table
from mtebkit.results import ResultSet, ScoreRow, mean_score, preferred_split

__all__ = ["VARIANT_TITLE", "relative_loss", "variant_key", "variant_tables"]

VARIANT_TITLE = "Dimensions x precision"

_PRECISION_ORDER = ("float32", "int8", "binary")


def relative_loss(full: float | None, score: float | None) -> float | None:
    """``100 * (full - score) / full`` (percent of the full score lost); None when undefined."""
    if full is None or score is None or full == 0:
        return None
    return 100 * (full - score) / full


def variant_key(row: ScoreRow) -> tuple[str | None, int | None, str]:
    """(experiment without its dim / precision parts, dim or None for full, precision)."""
    settings = row.settings or {}
    dim = settings.get("dim")
    precision = settings.get("precision", "float32")
    parts = [
        p
        for p in (row.experiment or "").split("__")
        if p and not p.startswith(("dim_", "precision_"))
    ]
    return (
        "__".join(parts) or None,
        dim if isinstance(dim, int) else None,
        str(precision),
    )


def _is_variant(row: ScoreRow) -> bool:
    return bool(row.settings) and ("dim" in row.settings or "precision" in row.settings)  # type: ignore[operator]


def variant_tables(rs: ResultSet) -> list[Table]:
    """One table per (model, base experiment) that has dim / precision variants."""
    groups: dict[tuple[str, str | None], list[ScoreRow]] = {}
    for r in rs.rows:
        base, _, _ = variant_key(r)
        groups.setdefault((r.model, base), []).append(r)
    tables = []
    for (model, base), rows in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        if any(_is_variant(r) for r in rows):
            tables.append(_table(rs, model, base, rows))
    return tables


def _table(rs: ResultSet, model: str, base: str | None, rows: Sequence[ScoreRow]) -> Table:
    full_dim = rs.model_dimension(model)
    keyed: dict[tuple[str, int | None, str], list[ScoreRow]] = {}
    for r in rows:
        _, dim, precision = variant_key(r)
        keyed.setdefault((r.task, dim, precision), []).append(r)
    precisions = sorted(
        {p for _, _, p in keyed},
        key=lambda p: (_PRECISION_ORDER.index(p) if p in _PRECISION_ORDER else 99, p),
    )
    dims = sorted({d for _, d, _ in keyed}, key=lambda d: -(d or 10**9))
    tasks = sorted({t for t, _, _ in keyed})

    def score(task: str, dim: int | None, precision: str) -> float | None:
        found = keyed.get((task, dim, precision), [])
        split = preferred_split({r.split for r in found}, task) if found else "test"
        s = mean_score(list(found), split)
        return None if s is None else 100 * s

    out: list[list[object]] = []
    for task in tasks:
        full = score(task, None, "float32")
        for dim in dims:
            line: list[object] = [task, dim or (f"{full_dim} (full)" if full_dim else "full")]
            for p in precisions:
                s = score(task, dim, p)
                line += [s, relative_loss(full, s)]
            out.append(line)
    columns = ["Task", "Dim"] + [c for p in precisions for c in (p, f"{p} loss %")]
    label = model if base is None else f"{model} [{base}]"
    return Table(
        columns,
        out,
        title=f"{VARIANT_TITLE}: {label}",
        note="main score x100; loss % = 100 * (full float32 - variant) / full float32 "
        "(full: the model's own dimension); one encoding, the variants computed from it",
        align_left=2,
    )
