"""``mtebkit plot-similarity``: positive vs negative score distributions with separating thresholds."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--results", type=Path, nargs="+", default=[Path("results")], help="results folder(s)"
    )
    parser.add_argument(
        "--task",
        "-t",
        action="append",
        default=None,
        help="task(s) to plot (default: every task with item scores)",
    )
    parser.add_argument(
        "--model", "-m", action="append", default=None, help="only these models (repeatable)"
    )
    parser.add_argument(
        "--split", default=None, help="split (default: test, else dev, else validation)"
    )
    parser.add_argument(
        "--sts-threshold",
        type=float,
        default=0.5,
        help="STS: pairs with normalised gold score >= this are positives (default 0.5)",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("reports"), help="folder for the figure files"
    )
    parser.add_argument(
        "--format",
        dest="fmt",
        choices=["png", "svg", "pdf"],
        default="png",
        help="figure format (svg and pdf are vector: for papers); default png",
    )
    parser.add_argument("--dpi", type=int, default=150, help="PNG resolution (default 150)")


def run(args: argparse.Namespace) -> int:
    from mtebkit._util.atomic import atomic_write_bytes
    from mtebkit._util.paths import name_in
    from mtebkit.cli._common import load_quietly
    from mtebkit.errors import ResultsError
    from mtebkit.reporting import collect_distributions, similarity_figure, thresholds_table
    from mtebkit.results import item_scores_for

    rs = load_quietly(*args.results)
    if args.model:
        rs = rs.models_only(args.model)
    tasks = args.task or sorted(
        {r.task for r in rs.rows if r.path is not None and item_scores_for(r.path)}
    )
    if not tasks:
        raise ResultsError(
            f"no item scores (<Task>.items.json.gz) under {rs.source}: run `mtebkit run` "
            "with item scores kept (the default) on a pair or retrieval task"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    all_dists = []
    for task in tasks:
        if task not in rs.tasks():
            raise ResultsError(
                f"no results for task {task!r}; tasks present: {', '.join(rs.tasks())}"
            )
        dists = collect_distributions(rs, task, split=args.split, sts_threshold=args.sts_threshold)
        if not dists:
            raise ResultsError(f"{task}: no item scores with both positive and negative pairs")
        path = name_in(args.out, task, kind="task", prefix="similarity_", suffix=f".{args.fmt}")
        figure = similarity_figure(
            dists, title=f"{task}: positive vs negative scores", dpi=args.dpi, fmt=args.fmt
        )
        atomic_write_bytes(path, figure)
        print(f"wrote {path}")
        all_dists += dists
    print(thresholds_table(all_dists).to_terminal())
    return 0
