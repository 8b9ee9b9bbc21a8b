"""``mtebkit compare A B [C ...]``: per-task deltas, category averages, wins/ties/losses, paired tests."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mtebkit.reporting import Report
    from mtebkit.results import ResultSet

TERMINAL_WIDTH = 100


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "runs",
        nargs="+",
        metavar="RUN",
        help="results folders, or model names in --results (MODEL@EXPERIMENT picks an experiment); "
        "the first is the reference",
    )
    parser.add_argument(
        "--results", type=Path, default=None, help="results folder holding the named models"
    )
    parser.add_argument(
        "--benchmark", default=None, help="also show the benchmark's category averages"
    )
    parser.add_argument("--metrics", choices=["card", "mteb"], default="card")
    parser.add_argument(
        "--method",
        choices=["bootstrap", "randomisation", "both"],
        default="both",
        help="paired significance test over per-item scores (default: both)",
    )
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--tie", type=float, default=0.0, help="|delta| up to this many points is a tie"
    )
    parser.add_argument(
        "--alpha", type=float, default=0.05, help="significance level for the win/loss counts"
    )
    parser.add_argument("--task", "-t", action="append", default=None, help="only these tasks")
    parser.add_argument("--format", choices=["terminal", "markdown", "html"], default="terminal")
    parser.add_argument(
        "--wide",
        action="store_true",
        help="terminal: full run names as column headers, no 100-column limit",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="also write comparison.md/.html (+CSV) here"
    )


def left_out_notes(runs: Sequence[tuple[str, ResultSet]], compared: Sequence[str]) -> list[str]:
    """One line per run holding tasks that were not compared (the other side lacks them)."""
    shown = set(compared)
    lines = []
    for label, view in runs:
        only = sorted(set(view.tasks()) - shown)
        if only:
            lines.append(
                f"left out {len(only)} task(s) that only {label} has among the compared runs: "
                + ", ".join(only)
            )
    return lines


def run(args: argparse.Namespace) -> int:
    from mtebkit.cli._common import load_quietly, resolve_run_arg
    from mtebkit.errors import ResultsError
    from mtebkit.reporting import compare_runs, comparison_report, verify_main_scores

    if len(args.runs) < 2:
        raise ResultsError("compare needs at least two runs (A B [C ...])")
    results = load_quietly(args.results) if args.results else None
    runs = [resolve_run_arg(a, results) for a in args.runs]
    for _, view in runs:  # a hand-edited score must not be compared as if measured
        verify_main_scores(view)
    cmp = compare_runs(
        runs,
        method=args.method,
        n_resamples=args.resamples,
        seed=args.seed,
        tie=args.tie,
        alpha=args.alpha,
        tasks=args.task,
    )
    for line in [] if args.task else left_out_notes(runs, cmp.tasks):
        print(f"mtebkit: note: {line}", file=sys.stderr)
    short = args.format == "terminal" and not args.wide

    def build(short_labels: bool) -> Report:
        return comparison_report(
            cmp,
            runs=runs,
            benchmark=args.benchmark,
            metrics=args.metrics,
            short_labels=short_labels,
        )

    rep = build(short)
    if args.format == "terminal":
        print(rep.to_terminal(max_width=None if args.wide else TERMINAL_WIDTH))
    elif args.format == "markdown":
        print(rep.to_markdown())
    else:
        print(rep.to_html())
    if args.out:  # files carry the full run names
        written = (build(False) if short else rep).write(args.out, stem="comparison")
        print(f"wrote {written['markdown']} and {written['html']}")
    return 0
