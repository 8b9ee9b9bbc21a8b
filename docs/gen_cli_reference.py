"""Render every ``mtebkit`` command's ``--help`` into Markdown (the CLI reference).

Used two ways: as a mkdocs hook (``hooks:`` in mkdocs.yml), which fills the
``<!-- cli-reference -->`` marker of ``reference/cli.md`` at build time, so the page is always
the parser's own text (the ``run`` options are generated from ``RunConfig``'s fields); and as a
script, ``python docs/gen_cli_reference.py``, which prints the same Markdown.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

MARKER = "<!-- cli-reference -->"
WIDTH = "100"
ROOT = Path(__file__).resolve().parent.parent


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    out: list[tuple[str, argparse.ArgumentParser]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen: set[int] = set()
            for name, sub in action.choices.items():
                if id(sub) in seen:  # an alias of a command already listed
                    continue
                seen.add(id(sub))
                out.append((name, sub))
    return out


def render() -> str:
    """The reference: the top-level help, then each command's (and sub-command's) help."""
    os.environ["COLUMNS"] = WIDTH  # argparse wraps to the terminal; fix it for a stable page
    os.environ["NO_COLOR"] = "1"
    src = str(ROOT / "src")
    if src not in sys.path:
        sys.path.insert(0, src)  # this checkout's package, not another installed copy
    from mtebkit.cli import build_parser

    parser = build_parser()
    parts = ["## `mtebkit`", "", "```text", parser.format_help().rstrip(), "```", ""]

    def walk(prefix: str, p: argparse.ArgumentParser, level: int) -> None:
        for name, sub in _subcommands(p):
            full = f"{prefix} {name}"
            parts.extend(
                [f"{'#' * level} `{full}`", "", "```text", sub.format_help().rstrip(), "```", ""]
            )
            walk(full, sub, level + 1)

    walk("mtebkit", parser, 2)
    return "\n".join(parts)


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    """mkdocs hook: fill the marker of the CLI reference page."""
    if MARKER in markdown:
        return markdown.replace(MARKER, render())
    return markdown


if __name__ == "__main__":
    print(render())
