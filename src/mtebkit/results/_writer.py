"""Writing results in mteb's own format, atomically, with the settings that produced them.

Each ``<Task>.json`` is exactly what mteb's ``TaskResult.to_disk`` writes, plus one extra
top-level key, ``"mtebkit"``, holding ``schema_version`` and the adapter settings that change
scores. mteb ignores the key, so ``TaskResult.from_disk`` and ``ResultCache.load_results`` read
the files unchanged. Files are written to a temporary name and renamed, so an interrupted run
never leaves a half-written result.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtebkit._util.atomic import atomic_write_text
from mtebkit.results._layout import result_path

if TYPE_CHECKING:
    from mteb.models.model_meta import ModelMeta
    from mteb.results import TaskResult

__all__ = [
    "RESULTS_SCHEMA_VERSION",
    "task_result_json",
    "write_model_meta",
    "write_task_result",
]

RESULTS_SCHEMA_VERSION = 1


def _nan_to_null(value: Any) -> Any:
    """JSON has no NaN: undefined metrics (e.g. nAUC on a tiny split) are written as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _nan_to_null(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_to_null(v) for v in value]
    return value


def task_result_json(
    result: TaskResult,
    settings: Mapping[str, Any],
    *,
    provenance: Mapping[str, Any] | None = None,
) -> str:
    """The file content: mteb's own serialisation (``TaskResult.to_disk``, scores rounded to 6
    places) with non-finite values as null, plus the ``"mtebkit"`` block.

    ``provenance`` (where it ran: executor, host, device) goes beside ``settings``, never in
    them, so it never makes two results count as different."""
    with tempfile.TemporaryDirectory(prefix="mtebkit-result-") as tmp:
        path = Path(tmp) / "result.json"
        result.to_disk(path)
        obj = _nan_to_null(json.loads(path.read_text(encoding="utf-8")))
    obj["mtebkit"] = {"schema_version": RESULTS_SCHEMA_VERSION, "settings": dict(settings)}
    if provenance:
        obj["mtebkit"]["provenance"] = dict(provenance)
    return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False)


def write_model_meta(folder: Path, meta: Mapping[str, Any]) -> Path:
    """``<folder>/model_meta.json``, atomically; lists that come from sets are sorted, so the
    same model always gives the same file."""
    out = dict(meta)
    if isinstance(out.get("training_datasets"), list):
        out["training_datasets"] = sorted(out["training_datasets"], key=str)
    path = Path(folder) / "model_meta.json"
    atomic_write_text(path, json.dumps(out, default=str, indent=4))
    return path


def write_task_result(
    results_dir: Path,
    meta: ModelMeta,
    result: TaskResult,
    settings: Mapping[str, Any],
) -> Path:
    """Write ``result`` (and ``model_meta.json``) atomically; return the result file's path."""
    path = result_path(results_dir, meta, result.task_name)
    write_model_meta(path.parent, meta.to_dict())
    atomic_write_text(path, task_result_json(result, settings))
    return path
