"""Log a notice once per process (not once per model or per call)."""

from __future__ import annotations

import logging
import threading

__all__ = ["log_once"]

_SAID: set[str] = set()
_LOCK = threading.Lock()


def log_once(logger: logging.Logger, message: str, *, level: int = logging.INFO) -> None:
    """Emit ``message`` on ``logger`` the first time this process sees it."""
    with _LOCK:
        if message in _SAID:
            return
        _SAID.add(message)
    logger.log(level, message)
