"""The report's truncation and throughput table: per task and run, from each result's
provenance (see :mod:`mtebkit.results._throughput`)."""

from __future__ import annotations

from typing import Any

from mtebkit.reporting._table import Table
from mtebkit.results import (
    ResultSet,
    RunKey,
    encoding_of,
    tokens_per_s_cell,
    truncation_cell,
    truncation_note,
)

__all__ = ["encoding_table"]


def encoding_table(rs: ResultSet) -> Table | None:
    """Task, run, texts encoded / cached, truncated share (queries and documents apart),
    tokens/s and device; a note names every task with more than 5% of its documents cut.
    None when no result has an encoding record (mteb's files, older mtebkit runs)."""
    seen: set[tuple[RunKey, str]] = set()
    rows: list[list[object]] = []
    notes: list[str] = []
    for r in sorted(rs.rows, key=lambda r: (r.task, r.model, r.experiment or "")):
        key = (RunKey(r.model, r.experiment), r.task)
        if key in seen or r.path is None:
            continue
        seen.add(key)
        enc = encoding_of(r.path)
        if enc is None:
            continue
        total: dict[str, Any] = enc.get("all") or {}
        rows.append(
            [
                r.task,
                key[0].label,
                total.get("encoded"),
                total.get("cached"),
                truncation_cell(enc),
                tokens_per_s_cell(enc),
                str(enc.get("device", "-")),
            ]
        )
        note = truncation_note(f"{key[0].label} / {r.task}", enc)
        if note:
            notes.append(f"note: {note}")
    if not rows:
        return None
    return Table(
        ["Task", "Run", "Encoded", "Cached", "Truncated", "Tokens/s", "Device"],
        rows,
        title="Truncation and throughput (provenance: never part of a result's identity)",
        note="\n".join(notes),
        align_left=2,
    )
