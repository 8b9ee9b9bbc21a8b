"""``sweep.json``: what a checkpoint sweep evaluated, which checkpoint it chose, and on what.

A sweep (``mtebkit sweep``) files each checkpoint's results as any run's, under
``<results>/candidates/`` (the candidates) and ``<results>/confirm/`` (the chosen one on the
confirmation tasks), and writes this file beside them. It records the split that chose, so that
a checkpoint chosen on test splits cannot pass for one chosen on a declared dev split.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mtebkit._util.atomic import atomic_write_text
from mtebkit.errors import ResultsError

__all__ = [
    "CANDIDATES_DIR",
    "CONFIRM_DIR",
    "SWEEP_FILE",
    "SWEEP_SCHEMA_VERSION",
    "SweepCandidate",
    "SweepFile",
    "SweepTest",
    "read_sweep_file",
    "write_sweep_file",
]

SWEEP_FILE = "sweep.json"
SWEEP_SCHEMA_VERSION = 1
CANDIDATES_DIR = "candidates"
CONFIRM_DIR = "confirm"


@dataclass(frozen=True)
class SweepCandidate:
    """One checkpoint: its step, where it was, how it is filed, and its scores on ``split``.

    ``status``: ``evaluated`` (every task scored), ``failed`` (``error`` says why) or
    ``skipped`` (not a usable checkpoint; ``error`` says why; never evaluated)."""

    step: int
    path: str
    status: str
    model: str | None = None
    revision: str | None = None
    average: float | None = None  # the mean of the task scores (0-1), all tasks scored
    scores: dict[str, float] = field(default_factory=dict)  # task -> main score on the split
    error: str | None = None


@dataclass(frozen=True)
class SweepTest:
    """A paired test of the winner against another checkpoint (``against``: first / last /
    previous) on one task; ``delta`` = winner - other (0-1)."""

    against: str
    step: int
    task: str
    split: str
    delta: float
    p_value: float
    ci_low: float | None
    ci_high: float | None
    method: str


@dataclass(frozen=True)
class SweepFile:
    """The content of ``sweep.json``. ``split`` is the split that chose (None: each task's own
    evaluation split, i.e. usually test: ``dev_selected`` is then False)."""

    directory: str
    tasks: list[str]
    split: str | None
    metric: str
    candidates: list[SweepCandidate]
    winner_step: int | None = None
    tests: list[SweepTest] = field(default_factory=list)
    confirm_tasks: list[str] = field(default_factory=list)
    confirm_scores: dict[str, float] = field(default_factory=dict)
    schema_version: int = SWEEP_SCHEMA_VERSION

    @property
    def dev_selected(self) -> bool:
        return self.split is not None

    @property
    def winner(self) -> SweepCandidate | None:
        return next((c for c in self.candidates if c.step == self.winner_step), None)

    def to_json(self) -> str:
        data = {"dev_selected": self.dev_selected, **asdict(self)}
        return json.dumps(data, indent=2, sort_keys=False) + "\n"


def write_sweep_file(results_dir: Path, sweep: SweepFile) -> Path:
    """Write ``<results_dir>/sweep.json`` atomically; return its path."""
    path = Path(results_dir) / SWEEP_FILE
    atomic_write_text(path, sweep.to_json())
    return path


def _field(data: dict[str, Any], name: str, kind: type | tuple[type, ...], path: Path) -> Any:
    value = data.get(name)
    if not isinstance(value, kind):
        raise ResultsError(f"{path}: {name!r} is missing or not a {kind}")
    return value


def read_sweep_file(path: str | Path) -> SweepFile:
    """Read a ``sweep.json`` (a folder holding one, or the file); a named error when it is
    missing, of another schema version, or malformed."""
    path = Path(path)
    if path.is_dir():
        path = path / SWEEP_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{path}: no sweep file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{path}: not a readable sweep file: {exc}") from None
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: a sweep file is a JSON object")
    version = data.get("schema_version")
    if version != SWEEP_SCHEMA_VERSION:
        raise ResultsError(
            f"{path}: sweep file schema version {version!r}, this mtebkit reads "
            f"{SWEEP_SCHEMA_VERSION}"
        )
    try:
        candidates = [SweepCandidate(**c) for c in _field(data, "candidates", list, path)]
        tests = [SweepTest(**t) for t in data.get("tests") or []]
    except TypeError as exc:  # unknown or missing keys of an entry
        raise ResultsError(f"{path}: malformed entry: {exc}") from None
    return SweepFile(
        directory=_field(data, "directory", str, path),
        tasks=list(_field(data, "tasks", list, path)),
        split=data.get("split"),
        metric=_field(data, "metric", str, path),
        candidates=candidates,
        winner_step=data.get("winner_step"),
        tests=tests,
        confirm_tasks=list(data.get("confirm_tasks") or []),
        confirm_scores=dict(data.get("confirm_scores") or {}),
    )
