"""``mtebkit reproduce``: compare reproduced scores with a model card or published mteb results."""

from __future__ import annotations

import argparse
from pathlib import Path

from mtebkit.cli._common import add_run_selection, points


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--published",
        required=True,
        type=Path,
        help="model card README.md (model-index) or a folder of mteb result JSON",
    )
    parser.add_argument(
        "--results", type=Path, default=Path("results"), help="reproduced results folder"
    )
    add_run_selection(parser)
    parser.add_argument(
        "--tolerance",
        type=points,
        default=0.01,
        help="largest allowed |reproduced - published|, in points (x100); default 0.01",
    )
    parser.add_argument(
        "--require-all", action="store_true", help="fail when a published task was not reproduced"
    )
    parser.add_argument(
        "--format", choices=["terminal", "markdown", "csv", "latex", "html"], default="terminal"
    )


def run(args: argparse.Namespace) -> int:
    from mtebkit.cli._common import load_quietly
    from mtebkit.reporting import load_published, reproduce

    published = load_published(args.published)
    results = load_quietly(args.results, revision=args.revision)
    report = reproduce(
        published,
        results,
        model=args.model,
        experiment=args.experiment,
        tolerance=args.tolerance,
        require_all=args.require_all,
    )
    table = report.table()
    render = {
        "terminal": table.to_terminal,
        "markdown": table.to_markdown,
        "csv": table.to_csv,
        "latex": table.to_latex,
        "html": table.to_html,
    }[args.format]
    print(render())
    print(report.summary())
    return 0 if report.passed else 1
