"""Reading untrusted files: regular files only, with a size bound, and YAML with bounded
aliases and nesting (a billion-laughs document, a FIFO or ``/dev/zero`` are refused, not
read). Used for task specs and run files alike."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from mtebkit.errors import DataError

__all__ = ["compose_bounded", "construct_bounded", "no_duplicate_keys", "read_regular"]


def read_regular(path: Path, error: type[Exception], limit: int | None = None) -> bytes:
    """The bytes of a regular file (symlinks resolved); a FIFO, device or folder is ``error``,
    and so is a file over ``limit`` bytes. Never blocks on a FIFO nor reads without bound."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise error(f"{path}: cannot be read: {exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise error(f"{path}: not a regular file (a FIFO, device or folder); refused")
        if limit is not None and st.st_size > limit:
            raise error(f"{path}: {st.st_size} bytes, over the {limit}-byte limit for this file")
        chunks = []
        total = 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if limit is not None and total > limit:
                raise error(f"{path}: over the {limit}-byte limit for this file")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise error(f"{path}: cannot be read: {exc}") from None
    finally:
        os.close(fd)


class _BoundedLoader(yaml.SafeLoader):
    """A SafeLoader that refuses too many alias uses and too deep nesting (compose level)."""

    def __init__(self, stream: str, max_aliases: int = 32, max_depth: int = 64) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0
        self._max_aliases = max_aliases
        self._max_depth = max_depth

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > self._max_aliases:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.YAMLError(
                    f"more than {self._max_aliases} alias uses (line {mark.line + 1}); refused"
                )
        self._depth += 1
        try:
            if self._depth > self._max_depth:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.YAMLError(
                    f"nested deeper than {self._max_depth} levels (line {mark.line + 1}); refused"
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def compose_bounded(text: str, *, max_aliases: int = 32, max_depth: int = 64) -> yaml.Node | None:
    """The YAML node tree of ``text`` (one document); too many aliases or levels: YAMLError."""
    loader = _BoundedLoader(text, max_aliases, max_depth)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def construct_bounded(root: yaml.Node) -> Any:
    """The Python value of a node tree from :func:`compose_bounded` (safe types only)."""
    loader = _BoundedLoader("")
    try:
        return loader.construct_document(root)
    finally:
        loader.dispose()


def no_duplicate_keys(
    pairs: list[tuple[str, Any]], where: str, unit: str = "object"
) -> dict[str, Any]:
    """``json.loads``' ``object_pairs_hook``: json keeps the last of two equal keys silently; a
    key given twice is a :class:`DataError` at ``where`` (a file, or ``file:line``)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DataError(f"{where}: key {key!r} is given twice in one {unit}")
        out[key] = value
    return out
