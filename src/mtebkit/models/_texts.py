"""Checking the texts handed to an encoder, and joining corpus records as mteb joins them."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from mtebkit.errors import InputTextError

__all__ = ["join_doc", "validate_texts"]

logger = logging.getLogger(__name__)


def join_doc(doc: Mapping[str, Any] | str, position: int) -> str:
    """A corpus record as mteb joins it: ``"title text"`` stripped, or the text alone."""
    if isinstance(doc, str):
        return doc
    if not isinstance(doc, Mapping) or "text" not in doc:
        raise InputTextError(f"corpus[{position}] must be a string or a mapping with a 'text' key")
    title = doc.get("title") or ""
    text = doc["text"]
    if not isinstance(text, str):
        raise InputTextError(f"corpus[{position}]['text'] is {type(text).__name__}, not a string")
    return f"{title} {text}".strip() if title else text.strip()


def validate_texts(
    texts: Sequence[Any], *, allow_empty: bool, what: str = "sentences"
) -> list[str]:
    """Every item a string; empty ones only with ``allow_empty`` (then counted in a warning)."""
    out: list[str] = []
    empty = 0
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise InputTextError(
                f"{what}[{i}] is {t!r} ({type(t).__name__}); every input must be a string"
            )
        if not t.strip():
            if not allow_empty:
                raise InputTextError(
                    f"{what}[{i}] is an empty string; pass allow_empty=True to encode it as "
                    "the model's special tokens only"
                )
            empty += 1
        out.append(t)
    if empty:
        logger.warning(
            "%d empty text(s) among %d %s: encoded as special tokens only", empty, len(out), what
        )
    return out
