"""Writing results in mteb's own layout, atomically, with the settings that produced them.

Layout (mteb's ``ResultCache`` layout under its ``results/`` folder)::

    <results_dir>/<org__model>/<revision>/model_meta.json
    <results_dir>/<org__model>/<revision>/<Task>.json
    <results_dir>/<org__model>/<revision>/experiments/<experiment>/<Task>.json   (non-default settings)

Each ``<Task>.json`` is a plain mteb ``TaskResult`` plus one extra top-level key, ``"mtebkit"``,
holding ``schema_version`` and the adapter settings that change scores. mteb ignores the key,
so ``TaskResult.from_disk`` and ``ResultCache.load_results`` read the files unchanged.
Files are written to a temporary name and renamed, so an interrupted run never leaves a
half-written result.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtebkit._errors import ResultsError

if TYPE_CHECKING:
    from mteb.models.model_meta import ModelMeta
    from mteb.results import TaskResult

__all__ = [
    "RESULTS_SCHEMA_VERSION",
    "atomic_write_text",
    "read_mtebkit_block",
    "result_path",
    "write_task_result",
]

RESULTS_SCHEMA_VERSION = 1
EXPERIMENTS_DIR = "experiments"  # mteb's own name for this folder


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates 0600; give the file the permissions a plain open() would have
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def result_path(results_dir: Path, meta: ModelMeta, task_name: str) -> Path:
    """Where mteb's ResultCache expects this model's result for ``task_name``."""
    base = results_dir / meta.model_name_as_path() / str(meta.revision)
    if meta.experiment_name:
        base = base / EXPERIMENTS_DIR / meta.experiment_name
    return base / f"{task_name}.json"


def read_mtebkit_block(path: Path) -> dict[str, Any] | None:
    """The ``"mtebkit"`` block of a result file, or None for files mteb wrote itself."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ResultsError(f"cannot read result file {path}: {exc}") from exc
    block = data.get("mtebkit") if isinstance(data, dict) else None
    return block if isinstance(block, dict) else None


def write_task_result(
    results_dir: Path,
    meta: ModelMeta,
    result: TaskResult,
    settings: Mapping[str, Any],
) -> Path:
    """Write ``result`` (and ``model_meta.json``) atomically; return the result file's path."""
    path = result_path(results_dir, meta, result.task_name)
    obj = result.model_dump(mode="json")
    obj["date"] = result.date.timestamp() if result.date else None
    result._round_scores(obj["scores"], 6)
    obj["mtebkit"] = {"schema_version": RESULTS_SCHEMA_VERSION, "settings": dict(settings)}
    meta_path = path.parent / "model_meta.json"
    atomic_write_text(meta_path, json.dumps(meta.to_dict(), default=str, indent=4))
    atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False))
    return path
