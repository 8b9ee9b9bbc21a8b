"""Lazy public names for a package: ``__getattr__`` / ``__dir__`` that import on first use.

A package's face is written once, as code every tool reads: ``__all__`` (the public names, a
literal list: the docs site and linters read it) and, under ``if TYPE_CHECKING:``, one
``from mtebkit.<layer>._module import name`` per name (mypy reads those for the types). The
lazy loader reads the same import block from the package's source, so there is no third table
mapping names to modules; :func:`face_problems` says where ``__all__`` and the block disagree
(``tests/test_layers.py`` runs it on every package).
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["face_problems", "lazy_exports", "type_checking_imports"]


@cache
def type_checking_imports(init_file: str) -> dict[str, str]:
    """``name -> module`` for every ``from module import name`` under ``if TYPE_CHECKING:`` at
    the top level of ``init_file``."""
    tree = ast.parse(Path(init_file).read_text(encoding="utf-8"), filename=init_file)
    table: dict[str, str] = {}
    for node in tree.body:
        if not (isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"):
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.ImportFrom) and stmt.module:
                for alias in stmt.names:
                    table[alias.asname or alias.name] = stmt.module
    return table


def face_problems(namespace: dict[str, Any]) -> list[str]:
    """Names of ``__all__`` neither defined in the package nor imported under
    ``TYPE_CHECKING``, and names imported there that ``__all__`` does not list."""
    table = type_checking_imports(namespace["__file__"])
    public = set(namespace["__all__"])
    missing = sorted(n for n in public if n not in table and n not in namespace)
    unlisted = sorted(set(table) - public)
    return [f"{namespace['__name__']}: {n} is in __all__ but not imported" for n in missing] + [
        f"{namespace['__name__']}: {n} is imported but not in __all__" for n in unlisted
    ]


def lazy_exports(
    namespace: dict[str, Any],
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module ``__getattr__`` and ``__dir__`` for the package whose ``globals()`` is
    ``namespace``.

    A name of ``__all__`` is imported from the module its ``TYPE_CHECKING`` import names when it
    is first read, and stored in ``namespace``, so later reads cost nothing. The package's
    source is parsed on that first read, not at ``import``.
    """
    package: str = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        module_name = type_checking_imports(namespace["__file__"]).get(name)
        if module_name is None or name not in namespace["__all__"]:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module_name), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(namespace["__all__"]))

    return __getattr__, __dir__
