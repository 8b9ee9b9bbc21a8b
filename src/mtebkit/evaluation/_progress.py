"""Progress of a run: which task of how many, texts encoded, texts/s and an ETA.

:class:`ProgressReporter` draws one live status line on a terminal and writes plain
timestamped lines every ``interval`` seconds elsewhere (CI logs, files). The executor calls
:meth:`~ProgressReporter.task_started`; the encoding engine and the reranker report through
:attr:`~ProgressReporter.encoding` and :attr:`~ProgressReporter.scoring`, which implement the
one progress protocol (:class:`mtebkit._util.progress.Progress`), so models never import this
layer.
Totals are per encoding call (mteb encodes queries and corpus separately): the ETA is that of
the current call, from the tokens still to encode when the engine reports them (texts are
encoded longest first, so a rate in texts/s would overestimate the time left). The time left of
the task and of the run comes from each task's size in texts (:meth:`~ProgressReporter.plan`,
:meth:`~ProgressReporter.task_sized`) at the texts/s measured so far. After its last encoding
call a task is scoring; classification's experiments are counted (:meth:`~ProgressReporter.experiment`).
Off a terminal, a task's encoding ends in one ``encoded N texts`` line, whatever its calls.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from mtebkit._util.progress import Progress

__all__ = ["ProgressReporter", "eta", "format_duration"]

# (done, total, done_tokens, total_tokens) of one call, as ProgressReporter.encoded takes them
_Report = Callable[[int, int, int | None, int | None], None]


class _CallProgress:
    """The :class:`~mtebkit._util.progress.Progress` of one of a reporter's counts: the
    engine's increments summed into the running totals the reporter draws from."""

    def __init__(self, report: _Report, *, counts_tokens: bool) -> None:
        self.report, self.counts_tokens = report, counts_tokens
        self._lock = threading.Lock()
        self._total = self._done = self._done_tokens = 0
        self._total_tokens: int | None = None

    def start(self, total: int, tokens: int | None = None) -> None:
        with self._lock:
            self._total, self._total_tokens = total, tokens
            self._done = self._done_tokens = 0
            self._report()

    def update(self, n: int, tokens: int = 0) -> None:
        with self._lock:  # lanes report from their threads; the sums must reach it in order
            self._done += n
            self._done_tokens += tokens
            self._report()

    def close(self) -> None:
        """Nothing to do: the reporter ends the call on its last update."""

    def _report(self) -> None:
        known = self._total_tokens is not None
        self.report(
            self._done, self._total, self._done_tokens if known else None, self._total_tokens
        )


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
        # sizes (texts) of the run's tasks, by 1-based index; None: unknown until it loads
        self._sizes: dict[int, int | None] = {}
        self._task_start = 0.0
        self._started_texts = 0  # texts of this task's encoding calls begun so far
        self._encoded = 0  # texts of this task encoded (finished calls + the current one)
        self._call_done = 0
        self._call_total = 0
        self._call_tokens: tuple[int | None, int | None] = (None, None)
        self._encoding = False  # inside an encoding call (else: loading or scoring)
        self._said_encoded = False  # off a terminal: the task's "encoded N texts" line is out
        self._experiments: tuple[int, int] | None = None
        self._scoring_start = 0.0
        # run-wide throughput (finished calls) and the times of finished tasks
        self._rate_texts = 0
        self._rate_seconds = 0.0
        self._task_encoding_seconds = 0.0
        self._task_seconds: list[float] = []
        self._encoding_progress = _CallProgress(self.encoded, counts_tokens=True)
        self._scoring_progress = _CallProgress(
            lambda done, total, _t, _tt: self.scored(done, total), counts_tokens=False
        )

    # ------------------------------------------------------------------ protocol
    @property
    def encoding(self) -> Progress:
        """The progress of the encoding calls, for the engine (ETA by tokens)."""
        return self._encoding_progress

    @property
    def scoring(self) -> Progress:
        """The progress of the reranker's calls (pairs scored)."""
        return self._scoring_progress

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

    def plan(self, sizes: Sequence[int | None]) -> None:
        """The texts each task of the run will encode, in run order (None: not known yet)."""
        with self._lock:
            self._sizes = {i: n for i, n in enumerate(sizes, start=1)}

    def task_sized(self, texts: int) -> None:
        """The current task's size in texts, counted once its data is loaded."""
        with self._lock:
            self._sizes[self._index] = texts

    def task_started(self, index: int, n_tasks: int, label: str) -> None:
        """Task ``index`` (1-based) of ``n_tasks`` starts."""
        with self._lock:
            self._index, self._n_tasks, self._task = index, n_tasks, label
            self._noted = set()
            self._task_start = self.clock()
            self._started_texts = self._encoded = self._call_done = self._call_total = 0
            self._task_encoding_seconds = 0.0
            self._encoding = self._said_encoded = False
            self._experiments = None
            line = f"[{index}/{n_tasks}] starting  {label}"
            left = self._tasks_left(index, self._rate(self._task_start)) if index > 1 else None
            if left is not None:  # off a terminal, short tasks show no other estimate
                line += f"  run ~{format_duration(left)} left"
            self._write(line, force=True)

    def experiment(self, done: int, total: int) -> None:
        """``done`` of ``total`` scoring experiments of the task are over (classification trains
        one classifier per experiment after encoding: minutes without a text encoded)."""
        with self._lock:
            if self._experiments == (done, total):  # mteb says it twice (log and timer)
                return
            now = self.clock()
            first = self._experiments is None
            if first:
                self._scoring_start = now
                self._say_encoded()
            self._experiments = (done, total)
            line = self._scoring_line(now)
            self._write(line, force=first and not self.live)

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
            texts = unit == "texts"
            if done == 0:
                self._call_start = now
                if texts:
                    self._started_texts += total
                    self._encoding = True
            last = done >= total
            if texts:
                self._encoded += done - self._call_done if done else 0
                self._call_done, self._call_total = (0, 0) if last else (done, total)
                self._call_tokens = (done_tokens, total_tokens)
                if last:
                    self._encoding = False
                    self._rate_texts += total
                    self._rate_seconds += now - self._call_start
                    self._task_encoding_seconds += now - self._call_start
            if not last and now - self._last_write < self.interval:
                return
            elapsed = now - self._call_start
            rate = done / elapsed if elapsed > 0 and done else 0.0
            if last and texts:
                if self.live:  # the call is over: what follows is scoring, unless another call
                    self._write(self._scoring_line(now), force=True)
                return  # off a terminal: one "encoded" line per task (_say_encoded)
            # the numbers first: a narrow terminal cuts the label, not the ETA
            parts = [f"[{self._index}/{self._n_tasks}] {verb} {done:,}/{total:,} {unit}"]
            if rate:
                parts.append(f"{rate:,.1f} {unit}/s")
                if not last:
                    left = eta(elapsed, done, total, done_tokens, total_tokens)
                    parts.append(f"ETA {format_duration(left)}")
            if texts:
                parts.extend(self._time_left(now))
            parts.append(self._task)
            self._write("  ".join(parts), force=last and not self.live)

    def task_finished(self) -> None:
        """The current task is done (its score line is printed by the caller)."""
        with self._lock:
            self._say_encoded()
            self._task_seconds.append(self.clock() - self._task_start)
        self.close()

    # ------------------------------------------------------------------ estimates
    def _rate(self, now: float) -> float:
        """Texts/s over the run's encoding so far (the current call included)."""
        texts, seconds = self._rate_texts, self._rate_seconds
        if self._encoding:
            texts += self._call_done
            seconds += now - self._call_start
        return texts / seconds if seconds > 0 and texts else 0.0

    def _task_left(self, now: float, rate: float) -> float | None:
        size = self._sizes.get(self._index)
        if size is None or not rate:
            return None
        left = max(size - self._started_texts, 0) / rate
        if self._encoding and self._call_done:
            done_tokens, total_tokens = self._call_tokens
            left += eta(
                now - self._call_start, self._call_done, self._call_total, done_tokens, total_tokens
            )
        elif self._encoding:
            left += self._call_total / rate
        if self._experiments is not None and self._experiments[0]:
            done, total = self._experiments
            left += (now - self._scoring_start) * max(total - done, 0) / done
        return left

    def _time_left(self, now: float) -> list[str]:
        """``task ~1m05s``, ``run ~8m20s``: what is known of the time left (maybe nothing)."""
        rate = self._rate(now)
        task = self._task_left(now, rate)
        if task is None:
            return []
        out = [f"task ~{format_duration(task)}"]
        later = self._tasks_left(self._index + 1, rate)
        if later is not None and self._index < self._n_tasks:
            out.append(f"run ~{format_duration(task + later)}")
        return out

    def _tasks_left(self, first: int, rate: float) -> float | None:
        """Seconds for tasks ``first``..N, or None when one of them cannot be estimated."""
        mean = sum(self._task_seconds) / len(self._task_seconds) if self._task_seconds else None
        total = 0.0
        for i in range(first, self._n_tasks + 1):
            size = self._sizes.get(i)
            # a task of unknown size counts as long as the finished ones took on average
            if size is not None and rate:
                total += size / rate
            elif mean is not None:
                total += mean
            else:
                return None
        return total

    def _scoring_line(self, now: float) -> str:
        phase = "scoring"
        if self._experiments is not None:
            done, total = self._experiments
            phase = f"scoring {done}/{total} experiments"
        parts = [f"[{self._index}/{self._n_tasks}] {phase}"]
        if self._experiments is not None:
            parts.append(format_duration(now - self._scoring_start))
        elif self._encoded:
            parts.append(f"encoded {self._encoded:,} texts")
        parts.extend(self._time_left(now))
        parts.append(self._task)
        return "  ".join(parts)

    def _say_encoded(self) -> None:
        """Off a terminal: the task's texts, once, when its encoding is over (an STS task's two
        calls, one per sentence side, would otherwise read like a repeat)."""
        if self.live or self._said_encoded or not self._encoded:
            return
        self._said_encoded = True
        seconds = self._task_encoding_seconds
        parts = [f"[{self._index}/{self._n_tasks}] encoded {self._encoded:,} texts"]
        if seconds > 0:
            parts.append(f"{self._encoded / seconds:,.1f} texts/s")
        parts.append(self._task)
        self._write("  ".join(parts), force=True)

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
