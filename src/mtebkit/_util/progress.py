"""The one progress protocol: what an encoding (or reranking) call reports while it works.

Declared here, the lowest layer, so that ``models`` reports progress without importing
``evaluation``: the engine and the reranker call a :class:`Progress`; a user's
``show_progress_bar=True`` gets a :class:`TqdmProgress`; a run's reporter
(``evaluation.ProgressReporter.encoding``) implements the same protocol for its status line.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

__all__ = ["Progress", "TqdmProgress"]


class Progress(Protocol):
    """One call's progress: ``start``, then ``update`` per batch (from any thread), ``close``.

    An object may serve many calls in turn (one ``start`` … ``close`` each).
    """

    @property
    def counts_tokens(self) -> bool:
        """Whether ``start`` wants the call's total tokens: counting them costs a tokenizer
        pass, worth it only for an ETA by tokens (the longest texts are encoded first)."""
        ...

    def start(self, total: int, tokens: int | None = None) -> None:
        """A call of ``total`` items (``tokens`` tokens after truncation, when counted) starts."""
        ...

    def update(self, n: int, tokens: int = 0) -> None:
        """``n`` more items (``tokens`` more tokens) are done; may be called from worker threads."""
        ...

    def close(self) -> None:
        """The call is over (also after an error)."""
        ...


class TqdmProgress:
    """A tqdm bar per call (``tqdm.auto``: a widget in notebooks), gone when the call ends."""

    counts_tokens = False

    def __init__(self, desc: str = "Encoding", unit: str = "text", **tqdm_kwargs: Any) -> None:
        self.desc, self.unit, self.tqdm_kwargs = desc, unit, tqdm_kwargs
        self._bar: Any = None
        self._lock = threading.Lock()

    def start(self, total: int, tokens: int | None = None) -> None:
        from tqdm.auto import tqdm  # tqdm is heavy-ish: only when a bar is drawn

        kwargs: dict[str, Any] = {"leave": False, **self.tqdm_kwargs}
        self._bar = tqdm(total=total, desc=self.desc, unit=self.unit, **kwargs)

    def update(self, n: int, tokens: int = 0) -> None:
        with self._lock:  # tqdm's update is not thread-safe
            if self._bar is not None:
                self._bar.update(n)

    def close(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
