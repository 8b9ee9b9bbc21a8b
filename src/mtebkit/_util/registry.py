"""A small generic registry: refuses duplicates, answers unknown names with "did you mean"."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from mtebkit.errors import DuplicateNameError, UnknownNameError

T = TypeVar("T")

__all__ = ["Registry", "did_you_mean"]


def did_you_mean(name: str, candidates: list[str], *, n: int = 3) -> str:
    """Return ' Did you mean: a, b?' for the closest candidates (case-insensitive), or ''."""
    lowered = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.6)
    # also suggest candidates that contain the query (e.g. "bge-base-en" -> "BAAI/bge-base-en-v1.5")
    contains = [c for c in candidates if name.lower() in c.lower() and c.lower() not in close]
    names = [lowered[c] for c in close] + contains[: max(0, n - len(close))]
    return f" Did you mean: {', '.join(names)}?" if names else ""


class Registry(Generic[T]):
    """Name -> item registry with lazy population.

    ``loader`` (optional) is called once, on first lookup, to register the built-in entries;
    this keeps import time low.
    """

    def __init__(self, kind: str, loader: Callable[[Registry[T]], None] | None = None) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._loader = loader
        self._loaded = loader is None

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            self._loaded = True
            assert self._loader is not None
            self._loader(self)

    def register(self, name: str, item: T) -> T:
        self._ensure_loaded()
        if name in self._items:
            raise DuplicateNameError(f"{self.kind} {name!r} is already registered")
        self._items[name] = item
        return item

    def get(self, name: str) -> T:
        self._ensure_loaded()
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(
                f"Unknown {self.kind} {name!r}.{did_you_mean(name, list(self._items))}"
            ) from None

    def find(self, name: str) -> T | None:
        self._ensure_loaded()
        return self._items.get(name)

    def __contains__(self, name: object) -> bool:
        self._ensure_loaded()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        self._ensure_loaded()
        return iter(sorted(self._items))

    def names(self) -> list[str]:
        return list(self)
