"""Reading a result's encoding record: truncated shares, throughput, and the truncation note.

The record is written by the evaluation (``models._encoding_stats``) under the result's
``"mtebkit" -> "provenance" -> "encoding"``: provenance, so it never makes two results count
as different. Its ``kinds`` are ``query`` / ``document`` (mteb's PromptType) or ``text`` (a
task whose texts are neither, e.g. STS); each has ``encoded``, ``truncated``, ``tokens``,
``seconds``, ``texts_per_s``, ``tokens_per_s`` and more.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mtebkit.errors import ResultsError
from mtebkit.results._settings import read_mtebkit_block

__all__ = [
    "TRUNCATION_NOTE_SHARE",
    "encoding_of",
    "tokens_per_s_cell",
    "truncated_share",
    "truncation_cell",
    "truncation_note",
]

# More than this share of a task's documents cut at max length gets a visible note: the
# score then describes the first max_length tokens of those documents, not the documents.
TRUNCATION_NOTE_SHARE = 0.05

_SHORT = {"query": "q", "document": "d"}


def encoding_of(path: Path) -> dict[str, Any] | None:
    """The encoding record of a result file; None for files without one (older, or mteb's)."""
    try:
        block = read_mtebkit_block(path)
    except ResultsError:
        return None
    prov = (block or {}).get("provenance")
    enc = prov.get("encoding") if isinstance(prov, Mapping) else None
    return dict(enc) if isinstance(enc, Mapping) else None


def _kinds(encoding: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    kinds = (encoding or {}).get("kinds")
    return {k: v for k, v in kinds.items() if isinstance(v, Mapping)} if kinds else {}


def truncated_share(encoding: Mapping[str, Any] | None, kind: str) -> float | None:
    """``truncated / encoded`` for one kind; None when it encoded nothing (or has no record)."""
    k = _kinds(encoding).get(kind)
    if not k or not k.get("encoded"):
        return None
    return float(k.get("truncated", 0)) / float(k["encoded"])


def truncation_cell(encoding: Mapping[str, Any] | None) -> str:
    """``q 0.0% d 12.3%`` (queries and documents), ``4.1%`` (plain texts); ``cached`` when
    every vector came from the cache; ``-`` without a record."""
    kinds = _kinds(encoding)
    if not kinds:
        return "-"
    parts = []
    order = [*_SHORT, *sorted(set(kinds) - set(_SHORT))]  # queries first, then documents
    for kind in (k for k in order if k in kinds):
        share = truncated_share(encoding, kind)
        text = "cached" if share is None else f"{100 * share:.1f}%"
        parts.append(text if len(kinds) == 1 else f"{_SHORT.get(kind, kind)} {text}")
    return " ".join(parts)


def tokens_per_s_cell(encoding: Mapping[str, Any] | None) -> str:
    """Tokens per second over the task's whole encoding; ``cached`` (a warm run has no speed)
    or ``-`` (no record)."""
    if not encoding or not isinstance(encoding.get("all"), Mapping):
        return "-"
    speed = encoding["all"].get("tokens_per_s")
    return "cached" if speed is None else f"{speed:,.0f}"


def truncation_note(label: str, encoding: Mapping[str, Any] | None) -> str | None:
    """A warning line when more than :data:`TRUNCATION_NOTE_SHARE` of the documents (the
    ``document`` texts, or the ``text`` texts of a task without queries) were truncated."""
    for kind in ("document", "text"):
        share = truncated_share(encoding, kind)
        if share is not None and share > TRUNCATION_NOTE_SHARE:
            k = _kinds(encoding)[kind]
            what = "documents" if kind == "document" else "texts"
            return (
                f"{label}: {100 * share:.1f}% of {what} ({k.get('truncated')} of "
                f"{k.get('encoded')}) were truncated at max_length {k.get('max_length')}"
            )
    return None
