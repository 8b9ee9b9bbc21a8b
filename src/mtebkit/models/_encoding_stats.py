"""What one job's encoding did: texts, distinct texts, cache hits, truncation, tokens, time.

The engine fills an :class:`EncodingTally` per kind of text (mteb's ``PromptType``: ``query``,
``document``; ``text`` when the task has neither) as it encodes; :class:`EncodingStats` holds
the tallies of one job and turns them into the ``"encoding"`` record of a result's provenance.

Definitions (per kind):

* ``texts``: texts handed to the encoder, repeats included;
* ``distinct``: distinct texts among them;
* ``cached``: distinct texts whose vector came from the cache (written by an earlier task or run) the
  first time they were asked for in this job;
* ``encoded``: texts put through the model (each distinct text once per call, once per job
  when the cache is on);
* ``truncated``: encoded texts whose token count, special tokens included, exceeds the max
  length in force for them (:func:`count_truncated`); cache hits are not re-tokenised;
* ``tokens``: tokens put through the model (after truncation, special tokens included);
* ``seconds``: wall time of tokenising and forward passes; ``texts_per_s = encoded /
  seconds``, ``tokens_per_s = tokens / seconds``, None when nothing was encoded (a warm run
  has no speed).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EncodingStats", "EncodingTally", "count_truncated", "prompt_kind"]


def prompt_kind(prompt: str | None) -> str:
    """The tally a text goes to: ``query`` / ``document`` (mteb's PromptType), else ``text``."""
    return prompt if prompt in ("query", "document") else "text"


def count_truncated(
    tokenizer: Any, texts: Sequence[str], ids: Sequence[Sequence[int]], max_length: int
) -> int:
    """How many of ``texts`` have more than ``max_length`` tokens (special tokens included).

    ``ids`` are their token ids as encoded, truncated at ``max_length``: only the texts that
    reach the limit can have been cut, so only those are tokenised again, untruncated.
    """
    at_limit = [texts[i] for i, x in enumerate(ids) if len(x) >= max_length]
    if not at_limit:
        return 0
    full = tokenizer(
        at_limit,
        truncation=False,
        padding=False,
        return_attention_mask=False,
        return_token_type_ids=False,
        verbose=False,  # "sequence longer than the maximum": that is what is being counted
    )["input_ids"]
    return sum(1 for x in full if len(x) > max_length)


@dataclass
class EncodingTally:
    """Counts for one kind of text within one job (see the module docstring)."""

    texts: int = 0
    cached: int = 0
    encoded: int = 0
    truncated: int = 0
    tokens: int = 0
    seconds: float = 0.0
    max_lengths: set[int] = field(default_factory=set)
    _seen: set[str] = field(default_factory=set, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def looked_up(self, n_texts: int, keys: Iterable[str], hits: set[str], max_length: int) -> None:
        """One encode call: ``n_texts`` texts, their distinct cache ``keys``, those found cached."""
        with self._lock:
            self.texts += n_texts
            self.max_lengths.add(max_length)
            for k in keys:
                if k not in self._seen:
                    self._seen.add(k)
                    self.cached += k in hits

    def forwarded(self, n_texts: int, n_tokens: int, n_truncated: int, seconds: float) -> None:
        """``n_texts`` texts of ``n_tokens`` tokens went through the model in ``seconds``."""
        with self._lock:
            self.encoded += n_texts
            self.tokens += n_tokens
            self.truncated += n_truncated
            self.seconds += seconds

    @property
    def distinct(self) -> int:
        return len(self._seen)

    def as_dict(self) -> dict[str, Any]:
        lengths = sorted(self.max_lengths)
        return _record(
            texts=self.texts,
            distinct=self.distinct,
            cached=self.cached,
            encoded=self.encoded,
            truncated=self.truncated,
            max_length=lengths[0] if len(lengths) == 1 else lengths or None,
            tokens=self.tokens,
            seconds=self.seconds,
        )


def _record(
    *,
    texts: int,
    distinct: int,
    cached: int,
    encoded: int,
    truncated: int,
    max_length: Any,
    tokens: int,
    seconds: float,
) -> dict[str, Any]:
    fast = encoded > 0 and seconds > 0
    return {
        "texts": texts,
        "distinct": distinct,
        "cached": cached,
        "encoded": encoded,
        "truncated": truncated,
        "max_length": max_length,
        "tokens": tokens,
        "seconds": round(seconds, 3),
        "texts_per_s": round(encoded / seconds, 1) if fast else None,
        "tokens_per_s": round(tokens / seconds, 1) if fast else None,
    }


class EncodingStats:
    """The tallies of one job, by kind of text."""

    def __init__(self) -> None:
        self.kinds: dict[str, EncodingTally] = {}
        self._lock = threading.Lock()

    def tally(self, kind: str) -> EncodingTally:
        with self._lock:
            return self.kinds.setdefault(kind, EncodingTally())

    def as_dict(self, *, devices: Sequence[str], dtype: str) -> dict[str, Any]:
        """The ``"encoding"`` provenance record: per kind, their sum (``all``), and the device."""
        kinds = {k: t.as_dict() for k, t in sorted(self.kinds.items())}
        lengths = sorted({n for t in self.kinds.values() for n in t.max_lengths})
        total = _record(
            texts=sum(t.texts for t in self.kinds.values()),
            distinct=sum(t.distinct for t in self.kinds.values()),
            cached=sum(t.cached for t in self.kinds.values()),
            encoded=sum(t.encoded for t in self.kinds.values()),
            truncated=sum(t.truncated for t in self.kinds.values()),
            max_length=lengths[0] if len(lengths) == 1 else lengths or None,
            tokens=sum(t.tokens for t in self.kinds.values()),
            seconds=sum(t.seconds for t in self.kinds.values()),
        )
        return {"device": ",".join(devices), "dtype": dtype, "kinds": kinds, "all": total}
