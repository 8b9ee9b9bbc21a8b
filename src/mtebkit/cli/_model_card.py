"""``mtebkit model-card``: write a model card's ``model-index`` from a results folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from mtebkit.cli._common import add_run_selection


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--results", type=Path, default=Path("results"), help="results folder")
    add_run_selection(parser)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("README.md"),
        help="model card to write (an existing card keeps its other metadata and its text); "
        "default README.md",
    )
    parser.add_argument(
        "--name", default=None, help="model-index name (default: the model name without its org)"
    )


def run(args: argparse.Namespace) -> int:
    from mtebkit.cli._common import load_quietly
    from mtebkit.results import write_model_card

    rs = load_quietly(args.results, revision=args.revision)
    view = rs.run(args.model, experiment=args.experiment)
    path = write_model_card(view, args.out, name=args.name)
    print(f"wrote model-index of {view.models()[0]} ({len(view.rows)} score(s)) to {path}")
    return 0
