"""The package's layers point one way, and its import graph has no cycle.

The graph is built from the source, not by importing it: every ``import`` and ``from ... import``
anywhere in a module (top level, inside functions, under ``TYPE_CHECKING``) is an edge, and so is
every module named in a command table (``COMMANDS``). A package's lazy face names its modules
under ``TYPE_CHECKING`` (``mtebkit._util.lazy``), so those are edges too. A function-level import
is still a dependency; hiding one there does not make it go away.

Across packages a module imports the other package's face (``from mtebkit.results import
ResultSet``), never its private modules (``mtebkit.results._loading``): the faces are the seams,
and each face's ``__all__`` agrees with the imports under its ``TYPE_CHECKING``.

Layers, lowest first (a module may import its own layer's package and anything lower, never a
peer package of the same layer, never anything higher)::

    0  mtebkit.errors, mtebkit._version
    1  mtebkit._util
    2  mtebkit.models | mtebkit.tasks          (peers: neither imports the other)
    3  mtebkit.results
    4  mtebkit.evaluation | mtebkit.reporting  (peers)
    5  mtebkit.sweeps                           (checkpoint sweeps: evaluation and reporting)
    6  mtebkit.cli | mtebkit.integrations       (peers; integrations: training-loop evaluators)
    7  mtebkit.__main__
    8  mtebkit (the root package: lazy re-exports of everything)
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
    "mtebkit.sweeps": 5,
    "mtebkit.cli": 6,
    "mtebkit.integrations": 6,
    "mtebkit.__main__": 7,
    "mtebkit": 8,
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
    """Module names in ``COMMANDS = {...}`` (first tuple item)."""
    out: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.AnnAssign | ast.Assign):
            continue
        targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
        names = {t.id for t in targets if isinstance(t, ast.Name)}
        if "COMMANDS" not in names or not isinstance(node.value, ast.Dict):
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


FACES = ("mtebkit.models", "mtebkit.tasks", "mtebkit.results", "mtebkit.evaluation")
FACES += ("mtebkit.reporting", "mtebkit.sweeps", "mtebkit.integrations")


def _imported(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of every import in ``path`` (``from a.b import c`` gives ``a.b``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.lineno, node.module))
    return out


def _private_crossings(modules: dict[str, Path], root: Path = SRC) -> list[str]:
    """Imports of another package's private module (``mtebkit.<layer>._x``); a face's own
    ``TYPE_CHECKING`` block names its package's modules and is not a crossing."""
    bad = []
    for name, path in sorted(modules.items()):
        for line, target in _imported(path):
            face = next((f for f in FACES if target.startswith(f + "._")), None)
            if face is not None and not (name == face or name.startswith(face + ".")):
                bad.append(f"{path.relative_to(root)}:{line}: {target} (import it from {face})")
    return bad


def test_packages_meet_only_at_their_faces() -> None:
    bad = _private_crossings(_modules())
    assert not bad, "private modules of another package:\n  " + "\n  ".join(bad)


def test_the_checker_catches_a_private_crossing(tmp_path: Path) -> None:
    module = tmp_path / "mtebkit" / "reporting" / "_x.py"
    module.parent.mkdir(parents=True)
    module.write_text("from mtebkit.results._loading import ResultSet\n", encoding="utf-8")
    own = tmp_path / "mtebkit" / "results" / "_y.py"
    own.parent.mkdir(parents=True)
    own.write_text("from mtebkit.results._loading import ResultSet\n", encoding="utf-8")
    found = _private_crossings(
        {"mtebkit.reporting._x": module, "mtebkit.results._y": own}, root=tmp_path
    )
    assert found == [
        "mtebkit/reporting/_x.py:1: mtebkit.results._loading (import it from mtebkit.results)"
    ]


TESTS = Path(__file__).resolve().parent


def test_tests_meet_other_layers_at_their_faces() -> None:
    """A test of one layer (``tests/<layer>/``) may open its own layer's private modules
    (white-box tests), but reaches every other layer through its face."""
    bad = []
    for path in sorted(TESTS.glob("*/test_*.py")):
        own = f"mtebkit.{path.parent.name}"
        for line, target in _imported(path):
            face = next((f for f in (*FACES, "mtebkit.cli") if target.startswith(f + "._")), None)
            if face is not None and face != own:
                bad.append(f"{path.relative_to(TESTS)}:{line}: {target} (use {face})")
    assert len(list(TESTS.glob("*/test_*.py"))) > 50  # the tree is where this test looks
    assert not bad, "tests opening another layer's private modules:\n  " + "\n  ".join(bad)


@pytest.mark.parametrize("package", ["mtebkit", *FACES])
def test_each_face_lists_what_it_imports(package: str) -> None:
    """``__all__`` and the ``TYPE_CHECKING`` imports of a face are one table: every public
    name resolves, and nothing is imported that ``__all__`` does not list."""
    import importlib

    from mtebkit._util.lazy import face_problems

    namespace = vars(importlib.import_module(package))
    assert face_problems(namespace) == []
    assert all(hasattr(importlib.import_module(package), n) for n in namespace["__all__"])


def test_the_checker_catches_a_cycle() -> None:
    graph = {k: set(v) for k, v in _graph().items()}
    graph["mtebkit.tasks._spec"].add("mtebkit.tasks._catalog")  # _catalog -> ... -> _spec
    assert _cycle(graph) is not None
