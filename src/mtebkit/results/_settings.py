"""The settings record: what a result file says produced it, built, read and compared here.

The planner builds the record a job should produce (from the configuration) and the executor
the record of what ran (from the loaded model), both with :func:`settings_record`; a job's
result is written only when :func:`differences` between the two is empty, and a result on
disk counts as done only when it is empty between the file's record (:func:`read_settings`)
and the planned one. Key order is the written order: it never changes, so result files stay
byte-identical.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mtebkit.errors import ResultsError

__all__ = [
    "PROVENANCE_SETTINGS",
    "comparable_settings",
    "differences",
    "read_mtebkit_block",
    "read_settings",
    "rerank_settings",
    "settings_record",
]

# Settings that may differ between two runs of the same experiment: provenance only, they do
# not change a score beyond float32 rounding.
PROVENANCE_SETTINGS = frozenset({"model_source", "cpu_kernels"})


def rerank_settings(
    reranker: Mapping[str, Any], top_k: int | None, first_stage: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The reranker's part of a two-stage job's record: its own, the depth, the candidates."""
    out = {**reranker, "top_k": top_k}
    if first_stage is not None:  # only then: results without fixed candidates stay comparable
        out["first_stage"] = dict(first_stage)
    return out


def settings_record(
    embedder: Mapping[str, Any],
    *,
    query_instruction: str | None,
    reranker: Mapping[str, Any] | None = None,
    rerank_top_k: int | None = None,
    first_stage: Mapping[str, Any] | None = None,
    eval_splits: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A job's record.

    ``embedder`` is the embedder's own record (``models.embedder_settings_record`` and its
    vector options; ``cpu_kernels`` is None when planned, known once it runs); ``reranker``
    the reranker's settings (all that change scores: max length, dtype, weights), so a re-run
    with another reranker setting is not mistaken for the same result; ``first_stage`` the
    fixed candidates' record. ``eval_splits`` only when the run chose splits: a partial
    result is never taken for a full one, and full results stay comparable.
    """
    rec = dict(embedder)
    rec["query_instruction"] = query_instruction
    rec["reranker"] = (
        None if reranker is None else rerank_settings(reranker, rerank_top_k, first_stage)
    )
    if eval_splits is not None:
        rec["eval_splits"] = list(eval_splits)
    return rec


def comparable_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` without the provenance fields (also inside the nested reranker record)."""
    out = {k: v for k, v in settings.items() if k not in PROVENANCE_SETTINGS}
    if isinstance(out.get("reranker"), Mapping):
        out["reranker"] = comparable_settings(out["reranker"])
    return out


def differences(planned: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
    """The keys, sorted, whose values differ between two records, provenance aside."""
    a, b = comparable_settings(planned), comparable_settings(actual)
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def read_mtebkit_block(path: Path) -> dict[str, Any] | None:
    """The ``"mtebkit"`` block of a result file, or None for files mteb wrote itself."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"cannot read result file {path}: {exc}") from exc
    block = data.get("mtebkit") if isinstance(data, dict) else None
    return block if isinstance(block, dict) else None


def read_settings(path: Path) -> dict[str, Any] | None:
    """The settings record of a result file; None for a file mtebkit did not write, and
    ``{}`` for an mtebkit block without one (it then differs from any planned record)."""
    block = read_mtebkit_block(path)
    if block is None:
        return None
    settings = block.get("settings", {})
    return dict(settings) if isinstance(settings, Mapping) else {}
