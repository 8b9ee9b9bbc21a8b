"""Finding the checkpoints of one training run and reading their steps.

The Hugging Face and sentence-transformers trainers save ``<output>/checkpoint-<step>/``, with a
``trainer_state.json`` whose ``global_step`` is the same step. A ``glob`` (relative to the
folder) takes other layouts; their step is the number a folder's name ends with, else
``global_step``. A folder that cannot be evaluated as one of this run's checkpoints is a named
skip (:class:`Skipped`), never a silent one; two folders of one step are an error, since a curve
cannot have two points at one step.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mtebkit.errors import CheckpointError, ModelNotFoundError
from mtebkit.models import fingerprint_weights

__all__ = ["Checkpoint", "Discovery", "Skipped", "find_checkpoints"]

_CHECKPOINT = re.compile(r"checkpoint-(\d+)")
_TRAILING_NUMBER = re.compile(r"(\d+)$")
# what makes two checkpoints the same model to be compared: a curve of one architecture
_ARCHITECTURE_KEYS = ("model_type", "architectures", "hidden_size", "num_hidden_layers")


@dataclass(frozen=True)
class Checkpoint:
    """A folder to evaluate and the training step it was saved at."""

    step: int
    path: Path


@dataclass(frozen=True)
class Skipped:
    """A folder that looked like a checkpoint and is not evaluated, and why."""

    path: Path
    reason: str
    step: int | None = None


@dataclass(frozen=True)
class Discovery:
    """The checkpoints found (by step) and the folders skipped."""

    checkpoints: tuple[Checkpoint, ...]
    skipped: tuple[Skipped, ...]


def _global_step(folder: Path) -> int | str | None:
    """``trainer_state.json``'s ``global_step``; None when absent; a message when unreadable."""
    state = folder / "trainer_state.json"
    if not state.is_file():
        return None
    try:
        value = json.loads(state.read_text(encoding="utf-8")).get("global_step")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError) as exc:
        return f"unreadable trainer_state.json: {exc}"
    if isinstance(value, bool) or not isinstance(value, int):
        return f"trainer_state.json has no integer global_step (got {value!r})"
    return value


def _step_of(folder: Path, pattern: re.Pattern[str]) -> int | str:
    """The folder's step, or why it has none (a message)."""
    m = pattern.fullmatch(folder.name) if pattern is _CHECKPOINT else pattern.search(folder.name)
    named = int(m.group(1)) if m else None
    state = _global_step(folder)
    if isinstance(state, str):
        return state
    if named is not None and state is not None and named != state:
        return f"step {named} in its name, global_step {state} in trainer_state.json"
    step = named if named is not None else state
    if step is None:
        return "no step: its name ends with no number and it has no trainer_state.json"
    return step


def _config(folder: Path) -> dict[str, Any] | str:
    path = folder / "config.json"
    if not path.is_file():
        return "not a model (no config.json)"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"unreadable config.json: {exc}"
    if not isinstance(data, dict):
        return "config.json is not a JSON object"
    return data


def _architecture(config: dict[str, Any]) -> tuple[str, ...]:
    return tuple(f"{k}={config.get(k)}" for k in _ARCHITECTURE_KEYS if k in config)


def _folders(directory: Path, glob: str | None) -> list[Path]:
    if glob is None:
        return sorted(
            p for p in directory.iterdir() if p.is_dir() and _CHECKPOINT.fullmatch(p.name)
        )
    return sorted(p for p in directory.glob(glob) if p.is_dir())


def find_checkpoints(directory: str | Path, glob: str | None = None) -> Discovery:
    """The checkpoints under ``directory`` (``checkpoint-<step>`` folders, or those ``glob``
    matches), by step. Folders that are not models, lack weights, disagree about their step,
    or are of another architecture than most are skipped, each with its reason.

    :raises CheckpointError: the folder is missing, holds no candidate at all, or two folders
        have one step.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise CheckpointError(f"{directory}: no such folder")
    folders = _folders(directory, glob)
    if not folders:
        what = f"folders matching {glob!r}" if glob else "checkpoint-<step> folders"
        raise CheckpointError(f"{directory}: no {what} (see --glob)")
    pattern = _CHECKPOINT if glob is None else _TRAILING_NUMBER
    skipped: list[Skipped] = []
    found: list[tuple[Checkpoint, tuple[str, ...]]] = []
    for folder in folders:
        step = _step_of(folder, pattern)
        if isinstance(step, str):
            skipped.append(Skipped(folder, step))
            continue
        config = _config(folder)
        if isinstance(config, str):
            skipped.append(Skipped(folder, config, step))
            continue
        try:
            fingerprint_weights(folder)
        except ModelNotFoundError:
            skipped.append(
                Skipped(folder, "no weights (model.safetensors / pytorch_model.bin)", step)
            )
            continue
        found.append((Checkpoint(step, folder), _architecture(config)))
    by_step: dict[int, list[Path]] = {}
    for c, _ in found:
        by_step.setdefault(c.step, []).append(c.path)
    twice = {s: ps for s, ps in by_step.items() if len(ps) > 1}
    if twice:
        lines = "; ".join(f"step {s}: {', '.join(map(str, ps))}" for s, ps in sorted(twice.items()))
        raise CheckpointError(f"{directory}: several checkpoints of one step ({lines})")
    if found:
        # the architecture most checkpoints share (the first one's on a tie) is the run's
        counts = Counter(arch for _, arch in found)
        top = max(counts.values())
        usual = next(arch for _, arch in found if counts[arch] == top)
        for c, arch in found:
            if arch != usual:
                skipped.append(
                    Skipped(
                        c.path,
                        f"another architecture ({', '.join(arch)}; the others: {', '.join(usual)})",
                        c.step,
                    )
                )
        found = [(c, arch) for c, arch in found if arch == usual]
    checkpoints = tuple(sorted((c for c, _ in found), key=lambda c: c.step))
    return Discovery(checkpoints, tuple(skipped))
