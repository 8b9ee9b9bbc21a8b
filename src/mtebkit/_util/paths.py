"""The one place that decides where mtebkit keeps its caches, and the one check every writer
applies before a name it did not choose becomes part of a path (:func:`safe_name`).

``cache_root()`` is ``$MTEBKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/mtebkit``, else
``~/.cache/mtebkit``. Under it: ``embeddings/`` (the embedding cache) and ``models/`` (model
folders mtebkit unpacks, e.g. all-mpnet-base-v2 from its PyPI parts).
"""

from __future__ import annotations

import os
from pathlib import Path

from mtebkit.errors import ResultsError

__all__ = [
    "CACHE_ENV",
    "cache_root",
    "embeddings_cache_dir",
    "models_cache_dir",
    "name_in",
    "safe_name",
]

CACHE_ENV = "MTEBKIT_CACHE_DIR"


def cache_root() -> Path:
    """``$MTEBKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/mtebkit``, else ``~/.cache/mtebkit``."""
    env = os.environ.get(CACHE_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "mtebkit"


def embeddings_cache_dir() -> Path:
    """Default folder of the embedding cache: ``cache_root() / "embeddings"``."""
    return cache_root() / "embeddings"


def models_cache_dir() -> Path:
    """Folder for model files mtebkit unpacks itself: ``cache_root() / "models"``."""
    return cache_root() / "models"


def safe_name(value: str, *, kind: str, source: Path | str | None = None) -> str:
    """``value`` unchanged when it can be part of a file name; else a :class:`ResultsError`
    naming ``kind`` (task, model, revision, experiment) and the file it came from.

    A name is safe when it is not empty and holds no path separator, no ``..``/``.`` part, no
    NUL or control character. A model name may hold one ``/`` (``org/name``); each side must
    be safe on its own. Every writer calls this before a name from a file becomes a path."""
    bad = not isinstance(value, str)
    if not bad:
        parts = value.split("/", 1) if kind == "model" else [value]
        bad = any(
            not p or p in (".", "..") or "/" in p or "\\" in p or any(ord(c) < 32 for c in p)
            for p in parts
        )
    if bad:
        where = f" in {source}" if source is not None else ""
        raise ResultsError(f"unsafe {kind} name {value!r}{where}: it cannot be part of a path")
    return value


def name_in(
    folder: Path | str,
    name: str,
    *,
    kind: str,
    prefix: str = "",
    suffix: str = "",
    source: Path | str | None = None,
) -> Path:
    """``<folder>/<prefix><name><suffix>`` once ``name`` passed :func:`safe_name`: the one way
    a writer turns a name it did not choose into a file path."""
    safe_name(name, kind=kind, source=source)
    folder = Path(folder)
    return _inside(folder, folder / f"{prefix}{name}{suffix}")


def _inside(folder: Path, path: Path) -> Path:
    """``path``, which must lie under ``folder`` (a last guard after :func:`safe_name`).
    Lexical, not resolved: a results folder reached through a symlink stays valid."""
    if not Path(os.path.normpath(path)).is_relative_to(os.path.normpath(folder)):
        raise ResultsError(f"{path} is outside {folder}: refusing to write it")
    return path
