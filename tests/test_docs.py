"""The README and the documentation site (mkdocs.yml, docs/) stay consistent.

The site itself is built with ``mkdocs build --strict`` by ``.ci/run`` and ``nox -s docs``
(broken links, anchors and API references fail there); these checks need no mkdocs.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def _fenced(text: str) -> list[str]:
    return re.findall(r"^```bash\n(.*?)^```", text, flags=re.S | re.M)


def _section(text: str, title: str) -> str:
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    assert m, f"no section {title!r}"
    return m.group(1)


def test_readme_is_short() -> None:
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 200


def test_readme_links_resolve() -> None:
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [link for link in links if "://" not in link]
    assert any(link.startswith("docs/") for link in local)
    for link in local:
        assert (ROOT / link).exists(), f"README links to missing {link}"


def test_readme_test_command_is_what_ci_runs() -> None:
    """The Set-up section's test command (the one whose last step runs ``pytest``) is in .ci/run
    verbatim, and docs/install.md shows the same commands as the README."""
    setup = _section(README.read_text(encoding="utf-8"), "Set-up: two commands")
    commands = [c.strip() for c in _fenced(setup)]
    test_lines = [c for c in commands if c.split("&&")[-1].split()[:1] == ["pytest"]]
    assert len(test_lines) == 1
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_lines[0] in ci
    install = (DOCS / "install.md").read_text(encoding="utf-8")
    assert [c.strip() for c in _fenced(install)] == commands


def _nav_files(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [f for item in node for f in _nav_files(item)]
    if isinstance(node, dict):
        return [f for value in node.values() for f in _nav_files(value)]
    return []


def test_every_page_is_in_the_nav() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    nav = _nav_files(config["nav"])
    pages = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
    assert sorted(nav) == pages


def _hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_cli_reference", DOCS / "gen_cli_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_covers_every_command() -> None:
    from mtebkit.cli import COMMANDS

    hook = _hook()
    page = (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")
    assert hook.MARKER in page
    rendered = hook.on_page_markdown(page, page=None)
    assert hook.MARKER not in rendered
    for name in COMMANDS:
        assert f"## `mtebkit {name}`" in rendered, name
    # the run options generated from RunConfig's fields are all there
    for flag in ("--model", "--tasks", "--data-dir", "--dim", "--precision", "--ray", "--config"):
        assert flag in rendered
