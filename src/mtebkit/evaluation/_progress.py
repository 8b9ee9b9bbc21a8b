"""Progress of a run: which task of how many, texts encoded, texts/s and an ETA.

:class:`ProgressReporter` draws one live status line on a terminal and writes plain
timestamped lines every ``interval`` seconds elsewhere (CI logs, files). The executor calls
:meth:`~ProgressReporter.task_started`; the encoding engine calls
:meth:`~ProgressReporter.encoded` through a plain callback, so models never import this layer.
Totals are per encoding call (mteb encodes queries and corpus separately), so the ETA is that
of the current call. It comes from the tokens still to encode when the engine reports them
(texts are encoded longest first, so a rate in texts/s would overestimate the time left).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["ProgressReporter", "eta", "format_duration"]


def eta(
    elapsed: float,
    done: int,
    total: int,
    done_tokens: int | None = None,
    total_tokens: int | None = None,
) -> float:
    """Seconds left: ``elapsed × left / done``, counted in tokens when both token counts are
    known and some are done, else in texts."""
    if done_tokens and total_tokens is not None:
        return elapsed * max(total_tokens - done_tokens, 0) / done_tokens
    return elapsed * max(total - done, 0) / done if done else float("inf")


def format_duration(seconds: float) -> str:
    """``"42s"``, ``"3m05s"``, ``"1h02m"``."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class ProgressReporter:
    """Reports a run's progress on ``stream`` (default: stderr).

    Args:
        stream: where to write.
        live: redraw one line in place (default: when ``stream`` is a terminal); otherwise write
            a plain line at each task start and at most every ``interval`` seconds.
        interval: seconds between plain lines (live mode redraws at most 5 times a second).
        width: the live line is cut to this many characters.
        clock: seconds, monotonic (tests pass their own).
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        live: bool | None = None,
        interval: float = 30.0,
        width: int = 99,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if live is None:
            isatty = getattr(self.stream, "isatty", None)
            live = bool(isatty and isatty())
        self.live = live
        self.interval = 0.2 if live else interval
        self.width = width
        self.clock = clock
        self._lock = threading.Lock()
        self._task = ""
        self._index = 0
        self._n_tasks = 0
        self._call_start = 0.0
        self._last_write = float("-inf")
        self._drawn = False
        self._noted: set[str] = set()

    # ------------------------------------------------------------------ events
    def note(self, message: str) -> None:
        """A warning from mteb or a library during the current task: printed on its own line
        (never inside the live line), once per task."""
        with self._lock:
            if message in self._noted:
                return
            self._noted.add(message)
            if self.live and self._drawn:
                self.stream.write("\r" + " " * self.width + "\r")
                self._drawn = False
            self.stream.write(f"  warning: {message}\n")
            self.stream.flush()

    def task_started(self, index: int, n_tasks: int, label: str) -> None:
        """Task ``index`` (1-based) of ``n_tasks`` starts."""
        with self._lock:
            self._index, self._n_tasks, self._task = index, n_tasks, label
            self._noted = set()
            self._write(f"[{index}/{n_tasks}] starting  {label}", force=True)

    def encoded(
        self,
        done: int,
        total: int,
        done_tokens: int | None = None,
        total_tokens: int | None = None,
    ) -> None:
        """``done`` of ``total`` texts (``done_tokens`` of ``total_tokens`` tokens, when known)
        of the current encoding call are encoded."""
        self._count(done, total, "encoding", "texts", done_tokens, total_tokens)

    def scored(self, done: int, total: int) -> None:
        """``done`` of ``total`` (query, document) pairs of the current reranker call are scored."""
        self._count(done, total, "reranking", "pairs")

    def _count(
        self,
        done: int,
        total: int,
        verb: str,
        unit: str,
        done_tokens: int | None = None,
        total_tokens: int | None = None,
    ) -> None:
        with self._lock:
            now = self.clock()
            if done == 0:
                self._call_start = now
            last = done >= total
            if not last and now - self._last_write < self.interval:
                return
            elapsed = now - self._call_start
            rate = done / elapsed if elapsed > 0 and done else 0.0
            # the numbers first: a narrow terminal cuts the label, not the ETA
            parts = [f"[{self._index}/{self._n_tasks}] {verb} {done:,}/{total:,} {unit}"]
            if rate:
                parts.append(f"{rate:,.1f} {unit}/s")
                if not last:
                    left = eta(elapsed, done, total, done_tokens, total_tokens)
                    parts.append(f"ETA {format_duration(left)}")
            parts.append(self._task)
            self._write("  ".join(parts), force=last and not self.live)

    def task_finished(self) -> None:
        """The current task is done (its score line is printed by the caller)."""
        self.close()

    def close(self) -> None:
        """Clear the live line so that the next print starts on a clean line."""
        with self._lock:
            if self.live and self._drawn:
                self.stream.write("\r" + " " * self.width + "\r")
                self.stream.flush()
                self._drawn = False

    # ------------------------------------------------------------------ drawing
    def _write(self, line: str, *, force: bool = False) -> None:
        now = self.clock()
        if not force and now - self._last_write < self.interval:
            return
        self._last_write = now
        if self.live:
            self.stream.write("\r" + line[: self.width].ljust(self.width))
            self._drawn = True
        else:
            self.stream.write(f"{time.strftime('%H:%M:%S')} {line}\n")
        self.stream.flush()
