"""Helpers shared by the reporting subcommands (argument groups, output of warnings and tables)."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mtebkit.reporting._results import ResultSet

__all__ = ["add_run_selection", "load_quietly", "print_warnings"]


def add_run_selection(parser: argparse.ArgumentParser, *, model_required: bool = False) -> None:
    """--model / --experiment / --revision: which run of a results folder to use."""
    parser.add_argument(
        "--model",
        "-m",
        required=model_required,
        default=None,
        help="model name (as in the results; the part after the org is enough)",
    )
    parser.add_argument(
        "--experiment",
        default=None,
        help="experiment folder to use ('default' = the plain revision folder)",
    )
    parser.add_argument("--revision", default=None, help="only results of this model revision")


def load_quietly(*paths: str | Path, revision: str | None = None) -> ResultSet:
    """load_results (optionally one revision), with skipped-file warnings printed once to stderr."""
    from mtebkit.reporting._results import load_results

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rs = load_results(*paths)
    print_warnings(rs)
    return rs.filter(revision=revision) if revision else rs


def print_warnings(rs: ResultSet) -> None:
    for w in rs.warnings:
        print(f"mtebkit: warning: {w}", file=sys.stderr)
    for n in rs.notes:
        print(f"mtebkit: note: {n}", file=sys.stderr)
