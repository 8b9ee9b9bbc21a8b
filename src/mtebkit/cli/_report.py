"""``mtebkit report``: leaderboards (bge card format) and per-task tables as Markdown, CSV, LaTeX, HTML."""

from __future__ import annotations

import argparse
from pathlib import Path

from mtebkit.cli._common import positive_int

TERMINAL_WIDTH = 100


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
    from mtebkit.reporting import add_depth_curves, add_similarity_plots, build_report

    rs = load_quietly(*args.results, revision=args.revision)
    if args.model:
        rs = rs.models_only(args.model)
    report = build_report(
        rs, benchmark=args.benchmark, metrics=args.metrics, rank_resamples=args.resamples
    )
    if not args.no_plots:
        add_similarity_plots(report, rs)
    depth_table = add_depth_curves(report, rs, plot=not args.no_plots)
    stem = "leaderboard"  # with or without --benchmark, as the README names the files
    written = report.write(args.out, stem=stem)
    tex = args.out / f"{stem}.tex"
    atomic_write_text(tex, "\n".join(t.to_latex() for t in report.tables))
    board = report.tables[0]
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
    for extra in report.tables[1:]:  # rank groups and heavy truncation: visible here too
        if extra.title == "Ranking with rank groups" or (
            extra.title.startswith("Truncation") and extra.note
        ):
            print()
            print(extra.to_terminal(max_width=None if args.wide else TERMINAL_WIDTH))
    print(
        f"\nwrote {written['markdown']}, {written['html']}, {tex} and "
        f"{sum(1 for k in written if k.startswith('csv:'))} CSV file(s) to {args.out}"
    )
    return 0
