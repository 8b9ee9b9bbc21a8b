"""Where results live: mteb's ``ResultCache`` layout under a results folder.

::

    <results>/<org__model>/<revision>/model_meta.json
    <results>/<org__model>/<revision>/<Task>.json
    <results>/<org__model>/<revision>/<Task>.items.json.gz                  (per-item scores)
    <results>/<org__model>/<revision>/experiments/<experiment>/<Task>.json  (non-default settings)

mteb's ``ResultCache(cache_path=P)`` reads ``P/results/...``; mtebkit's ``--results DIR`` is that
``results`` folder itself, so ``ResultCache(cache_path=DIR.parent)`` reads what mtebkit wrote
when ``DIR`` is named ``results`` (the default). Paths are computed by ``ResultCache`` itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mtebkit.errors import ResultsError

if TYPE_CHECKING:
    from mteb.models.model_meta import ModelMeta

__all__ = [
    "DEFAULT_EXPERIMENT",
    "EXPERIMENTS_DIR",
    "ITEM_SCORES_SUFFIX",
    "item_scores_for",
    "item_scores_path",
    "result_path",
    "safe_name",
]

EXPERIMENTS_DIR = "experiments"  # mteb's own name for this folder
DEFAULT_EXPERIMENT = "default"  # how the CLI names "no experiment" (the plain revision folder)
ITEM_SCORES_SUFFIX = ".items.json.gz"
_MTEB_RESULTS = "results"  # the folder ResultCache keeps under its cache path


def result_path(results_dir: Path, meta: ModelMeta, task_name: str) -> Path:
    """Where ``ResultCache`` files ``meta``'s result for ``task_name``, under ``results_dir``."""
    from mteb import ResultCache

    results_dir = Path(results_dir)
    cache = ResultCache(cache_path=results_dir.parent)
    path = Path(cache.get_task_result_path(task_name, meta))
    return results_dir / path.relative_to(cache.cache_path / _MTEB_RESULTS)


def item_scores_path(out_dir: Path, task_name: str) -> Path:
    """``<out_dir>/<Task>.items.json.gz``: where the item scores of ``task_name`` live."""
    return Path(out_dir) / f"{task_name}{ITEM_SCORES_SUFFIX}"


def item_scores_for(result_file: Path) -> Path | None:
    """The item-scores file beside a ``<Task>.json`` result, if it exists."""
    p = result_file.with_name(result_file.name.removesuffix(".json") + ITEM_SCORES_SUFFIX)
    return p if p.is_file() else None


def safe_name(value: str, *, kind: str, source: Path | str | None = None) -> str:
    """``value`` unchanged when it can be part of a file name; else a :class:`ResultsError`
    naming ``kind`` (task, model, revision, experiment) and the file it came from.

    A name is safe when it is not empty and holds no path separator, no ``..``/``.`` part, no
    NUL or control character. A model name may hold one ``/`` (``org/name``); each side must
    be safe on its own. Every writer calls this before a name from a file becomes a path."""
    parts = value.split("/", 1) if kind == "model" else [value]
    bad = not isinstance(value, str) or any(
        not p or p in (".", "..") or "/" in p or "\\" in p or any(ord(c) < 32 for c in p)
        for p in parts
    )
    if bad:
        where = f" in {source}" if source is not None else ""
        raise ResultsError(f"unsafe {kind} name {value!r}{where}: it cannot be part of a path")
    return value
