"""The one place that decides where mtebkit keeps its caches.

``cache_root()`` is ``$MTEBKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/mtebkit``, else
``~/.cache/mtebkit``. Under it: ``embeddings/`` (the embedding cache) and ``models/`` (model
folders mtebkit unpacks, e.g. all-mpnet-base-v2 from its PyPI parts).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_ENV", "cache_root", "embeddings_cache_dir", "models_cache_dir"]

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
