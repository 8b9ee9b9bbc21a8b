"""``mtebkit report``: leaderboards (bge card format) and per-task tables as Markdown, CSV, LaTeX, HTML."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from mtebkit.cli._common import positive_int

TERMINAL_WIDTH = 100
LONG_LABEL = 24  # a run label longer than this is cut in a terminal column: name runs A, B, ...

if TYPE_CHECKING:
    from mtebkit.reporting import Table


def _aliased(table: Table, alias: dict[str, str]) -> Table:
    """``table`` with every cell (and column head) that is a run label replaced by its alias."""
    from dataclasses import replace

    return replace(
        table,
        columns=[alias.get(c, c) for c in table.columns],
        rows=[[alias.get(v, v) if isinstance(v, str) else v for v in r] for r in table.rows],
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--results",
        type=Path,
        nargs="+",
        default=[Path("results")],
        help="results folder(s) (mtebkit's or mteb's layout)",
    )
    parser.add_argument(
        "--benchmark",
        default=None,
        help="MTEB(eng, v1) or MTEB(cmn, v1) (aliases: MTEB, C-MTEB); without it, a per-task table",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("reports"), help="output folder (default: reports/)"
    )
    parser.add_argument(
        "--model",
        "-m",
        action="append",
        default=None,
        help="only these models (repeatable; default: every model found)",
    )
    parser.add_argument("--revision", default=None, help="only results of this model revision")
    parser.add_argument(
        "--metrics",
        choices=["card", "mteb"],
        default="card",
        help="card: pair classification by cosine AP as the bge cards; mteb: mteb's main scores",
    )
    parser.add_argument(
        "--no-plots", action="store_true", help="skip the similarity-distribution plots"
    )
    parser.add_argument(
        "--wide", action="store_true", help="terminal: the table as in the files, however wide"
    )
    parser.add_argument(
        "--resamples",
        type=positive_int,
        default=200,
        metavar="N",
        help="resamples per test for the rank groups (paired bootstrap and randomisation; "
        "default 200)",
    )


def run(args: argparse.Namespace) -> int:
    from mtebkit._util.atomic import atomic_write_text
    from mtebkit.cli._common import load_quietly
    from mtebkit.reporting import (
        VARIANT_TITLE,
        add_depth_curves,
        add_similarity_plots,
        add_sweep_curves,
        build_report,
        verify_main_scores,
    )
    from mtebkit.results import CANDIDATES_DIR, SWEEP_FILE

    # a sweep's folder: its leaderboard is of the candidates (the confirmation's results hold
    # other splits of the same tasks: `mtebkit report --results DIR/confirm` reports them)
    folders = [f / CANDIDATES_DIR if (f / SWEEP_FILE).is_file() else f for f in args.results]
    rs = load_quietly(*folders, revision=args.revision)
    if args.model:
        rs = rs.models_only(args.model)
    verify_main_scores(rs)  # a hand-edited score must not reach a leaderboard
    report = build_report(
        rs, benchmark=args.benchmark, metrics=args.metrics, rank_resamples=args.resamples
    )
    if not args.no_plots:
        add_similarity_plots(report, rs)
    depth_table = add_depth_curves(report, rs, plot=not args.no_plots)
    # a sweep's folder (sweep.json beside its results): its curves and table
    sweep_tables = [
        t
        for folder in args.results
        if (t := add_sweep_curves(report, folder, resamples=args.resamples, plot=not args.no_plots))
        is not None
    ]
    stem = "leaderboard"  # with or without --benchmark, as the README names the files
    written = report.write(args.out, stem=stem)
    tex = args.out / f"{stem}.tex"
    atomic_write_text(tex, "\n".join(t.to_latex() for t in report.tables))
    board = report.tables[0]
    labels = [k.label for k in rs.runs()]
    alias: dict[str, str] = {}
    if not args.wide and any(len(label) > LONG_LABEL for label in labels):
        # as compare does: runs named A, B, ... after a legend, so long names stay apart
        alias = {
            label: chr(ord("A") + i) if i < 26 else f"R{i + 1}" for i, label in enumerate(labels)
        }
        print("\n".join(f"{a} = {label}" for label, a in alias.items()) + "\n")
        board = _aliased(board, alias)
    text = board.to_terminal()
    if not args.wide and max(len(line) for line in text.splitlines()) > TERMINAL_WIDTH:
        # one row per column, one column per run: a card's 11 columns do not fit 100 characters
        from mtebkit.reporting import Table

        runs = [str(r[0]) for r in board.rows]
        rows = [[c, *(r[i] for r in board.rows)] for i, c in enumerate(board.columns[1:], 1)]
        turned = Table([board.columns[0], *runs], rows, title=board.title, note=board.note)
        text = turned.to_terminal(max_width=TERMINAL_WIDTH)
    print(text)
    if depth_table is not None:  # the depth curves are what a sweep is run for
        print("\n" + depth_table.to_terminal(max_width=None if args.wide else TERMINAL_WIDTH))
    for t in sweep_tables:
        print("\n" + t.to_terminal(max_width=None if args.wide else TERMINAL_WIDTH))
    for extra in report.tables[1:]:  # rank groups and heavy truncation: visible here too
        if extra.title == "Ranking with rank groups" or (
            extra.title.startswith("Truncation") and extra.note
        ):
            print()
            print(
                _aliased(extra, alias).to_terminal(max_width=None if args.wide else TERMINAL_WIDTH)
            )
    for table in report.tables:  # --dim / --precision runs: their dims x precision tables
        if table.title.startswith(VARIANT_TITLE):
            print(
                "\n"
                + _aliased(table, alias).to_terminal(
                    max_width=None if args.wide else TERMINAL_WIDTH
                )
            )
    print(
        f"\nwrote {written['markdown']}, {written['html']}, {tex} and "
        f"{sum(1 for k in written if k.startswith('csv:'))} CSV file(s) to {args.out}"
    )
    return 0
