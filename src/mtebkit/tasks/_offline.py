"""Force Hugging Face offline mode for a block of code, even after the libraries were imported.

``datasets`` 5.x and ``huggingface_hub`` 2.x read ``HF_DATASETS_OFFLINE`` / ``HF_HUB_OFFLINE``
once, at import time, into module constants (``datasets.config.HF_HUB_OFFLINE``,
``huggingface_hub.constants.HF_HUB_OFFLINE``, read through ``is_offline_mode()``). Setting the
environment variables later has no effect, so :func:`hf_offline` patches those constants (and
the variables, for anything imported inside the block) and restores all of them on exit.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["hf_offline", "mirror_cache_dir"]

_ENV_VARS = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
# (module, attribute) pairs holding the offline flag once imported
_CONSTANTS = (
    ("huggingface_hub.constants", "HF_HUB_OFFLINE"),
    ("datasets.config", "HF_HUB_OFFLINE"),
    ("datasets.config", "HF_DATASETS_OFFLINE"),
)
_lock = threading.RLock()


@contextmanager
def hf_offline(datasets_cache: Path | None = None) -> Iterator[None]:
    """Within the block, every HF hub / datasets call behaves as if offline mode were set.

    ``datasets_cache``: also point ``datasets``' cache at this folder for the block (see
    :func:`mirror_cache_dir`).
    """
    with _lock:
        saved_env = {var: os.environ.get(var) for var in _ENV_VARS}
        saved_consts: list[tuple[Any, str, Any]] = []
        try:
            for var in _ENV_VARS:
                os.environ[var] = "1"
            for module_name, attr in _CONSTANTS:
                module = sys.modules.get(module_name)
                if module is None:
                    try:  # import now so the patch is in place before mteb imports it lazily
                        module = __import__(module_name, fromlist=[attr])
                    except ImportError:
                        continue
                if hasattr(module, attr):
                    saved_consts.append((module, attr, getattr(module, attr)))
                    setattr(module, attr, True)
            if datasets_cache is not None:
                import datasets.config

                saved_consts.append(
                    (datasets.config, "HF_DATASETS_CACHE", datasets.config.HF_DATASETS_CACHE)
                )
                datasets.config.HF_DATASETS_CACHE = Path(datasets_cache)
            yield
        finally:
            for module, attr, value in reversed(saved_consts):
                setattr(module, attr, value)
            for var, old in saved_env.items():
                if old is None:
                    os.environ.pop(var, None)
                else:
                    os.environ[var] = old


def mirror_cache_dir(repo: Path) -> Path:
    """A ``datasets`` cache folder specific to the current content of a local mirror folder.

    ``datasets`` keys its cache for a local folder on the dataset name and data-file
    *patterns* only, so a changed (or another) mirror with the same repo name would silently
    reuse stale cached tables. The key here is sha256 over the folder's absolute path and
    every file's relative path, size and mtime (cheap: no file is read).
    """
    import datasets.config

    h = hashlib.sha256(str(repo.resolve()).encode())
    for p in sorted(repo.rglob("*")):
        if p.is_file():
            st = p.stat()
            h.update(f"\0{p.relative_to(repo).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return Path(datasets.config.HF_DATASETS_CACHE) / "mtebkit-mirrors" / h.hexdigest()[:20]
