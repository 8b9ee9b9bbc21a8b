"""Test-module imports that cost nothing while pytest collects (tests/test_collection_imports.py).

torch, transformers, sentence_transformers and mteb take seconds to import; a test module names
them inside the tests that use them, or through :func:`lazy_module`, and skips when one is not
installed with :func:`skip_unless_installed` (found on the path, not imported).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import pytest

__all__ = ["lazy_module", "skip_unless_installed"]


def skip_unless_installed(*names: str) -> None:
    """Skip the calling test module, as ``pytest.importorskip`` would, when a package is absent."""
    for name in names:
        if importlib.util.find_spec(name) is None:
            pytest.skip(f"could not import {name!r}: not installed", allow_module_level=True)


class _LazyModule:
    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            # pytest looks for markers (``_fixture_function_marker``, ``__test__``...) on every
            # module-level name while it collects: those must not import the module
            raise AttributeError(attr)
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy_module(name: str) -> Any:
    """A stand-in for module ``name`` that imports it on first access of a public attribute."""
    return _LazyModule(name)
