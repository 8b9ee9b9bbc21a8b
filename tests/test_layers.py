"""The package's layers point one way, and its import graph has no cycle.

The graph is built from the source, not by importing it: every ``import`` and ``from ... import``
anywhere in a module (top level, inside functions, under ``TYPE_CHECKING``) is an edge, and so is
every module named in a lazy-export table (``_LAZY``) or a command table (``COMMANDS``). A
function-level import is still a dependency; hiding one there does not make it go away.

Layers, lowest first (a module may import its own layer's package and anything lower, never a
peer package of the same layer, never anything higher)::

    0  mtebkit.errors, mtebkit._version
    1  mtebkit._util
    2  mtebkit.models | mtebkit.tasks          (peers: neither imports the other)
    3  mtebkit.results
    4  mtebkit.evaluation | mtebkit.reporting  (peers)
    5  mtebkit.cli
    6  mtebkit.__main__
    7  mtebkit (the root package: lazy re-exports of everything)
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "mtebkit"

LAYERS: dict[str, int] = {
    "mtebkit.errors": 0,
    "mtebkit._version": 0,
    "mtebkit._util": 1,
    "mtebkit.models": 2,
    "mtebkit.tasks": 2,
    "mtebkit.results": 3,
    "mtebkit.evaluation": 4,
    "mtebkit.reporting": 4,
    "mtebkit.cli": 5,
    "mtebkit.__main__": 6,
    "mtebkit": 7,
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _group(module: str) -> str:
    """The layer group a module belongs to: the longest key of LAYERS that prefixes it."""
    best = "mtebkit"
    for key in LAYERS:
        if (module == key or module.startswith(key + ".")) and len(key) > len(best):
            best = key
    return best


def _string_tables(tree: ast.Module) -> list[str]:
    """Module names in ``_LAZY = {...}`` (values) and ``COMMANDS = {...}`` (first tuple item)."""
    out: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.AnnAssign | ast.Assign):
            continue
        targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
        names = {t.id for t in targets if isinstance(t, ast.Name)}
        if not names & {"_LAZY", "COMMANDS"} or not isinstance(node.value, ast.Dict):
            continue
        for value in node.value.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                out.append(value.value)
            elif isinstance(value, ast.Tuple) and value.elts:
                first = value.elts[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    out.append(first.value)
    return [m for m in out if m.startswith("mtebkit")]


def _edges(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets: list[str] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path}:{node.lineno}: use absolute imports"
                base = node.module or ""
                targets.append(base)
                # `from mtebkit.tasks import _catalog` names a submodule
                targets += [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]
        targets += _string_tables(tree)
        for t in targets:
            if not t.startswith("mtebkit"):
                continue
            # the deepest module of ours that the import names
            while t not in modules and "." in t:
                t = t.rsplit(".", 1)[0]
            if t in modules and t != name:
                graph[name].add(t)
    return graph


@functools.cache
def _graph() -> dict[str, set[str]]:
    """The package's import graph, parsed when a test first needs it (not while pytest collects)."""
    return _edges(_modules())


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                return [*stack[stack.index(m) :], m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def test_the_graph_sees_every_module_and_real_edges() -> None:
    # guards against a parser that finds nothing (a test that cannot fail)
    assert len(_graph()) > 50
    assert "mtebkit.models._engine" in _graph()["mtebkit.models._embedder"]
    assert "mtebkit.tasks._catalog" in _graph()["mtebkit.tasks"]  # a lazy-export edge
    assert "mtebkit.cli._run" in _graph()["mtebkit.cli"]  # a command-table edge
    assert any(t.startswith("mtebkit.results") for t in _graph()["mtebkit.evaluation._execute"])


def test_no_import_cycle() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def _violations(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for src, targets in sorted(graph.items()):
        g_src = _group(src)
        for dst in sorted(targets):
            g_dst = _group(dst)
            if g_src == g_dst:
                continue
            if LAYERS[g_dst] >= LAYERS[g_src]:
                kind = "a peer" if LAYERS[g_dst] == LAYERS[g_src] else "a higher layer"
                bad.append(f"{src} -> {dst} ({g_dst} is {kind} of {g_src})")
    return bad


def test_layers_point_one_way() -> None:
    bad = _violations(_graph())
    assert not bad, "upward or sideways imports:\n  " + "\n  ".join(bad)


@pytest.mark.parametrize(
    ("edge", "why"),
    [
        (("mtebkit.models._embedder", "mtebkit.tasks._catalog"), "a peer"),
        (("mtebkit.results._loading", "mtebkit.reporting._stats"), "a higher layer"),
        (("mtebkit.tasks._spec", "mtebkit.cli._common"), "a higher layer"),
    ],
)
def test_the_checker_catches_a_bad_edge(edge: tuple[str, str], why: str) -> None:
    graph = {k: set(v) for k, v in _graph().items()}
    graph[edge[0]].add(edge[1])
    assert any(why in v for v in _violations(graph))


def test_the_checker_catches_a_cycle() -> None:
    graph = {k: set(v) for k, v in _graph().items()}
    graph["mtebkit.tasks._spec"].add("mtebkit.tasks._catalog")  # _catalog -> ... -> _spec
    assert _cycle(graph) is not None
