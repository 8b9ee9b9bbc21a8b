"""``mtebkit baseline save``: pin a run's per-task scores to a baseline file for ``mtebkit check``."""

from __future__ import annotations

import argparse
from pathlib import Path

from mtebkit.cli._common import add_run_selection, points


def _task_tolerance(text: str) -> tuple[str, float]:
    """``TASK=POINTS`` for ``--task-tolerance``."""
    name, sep, val = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected TASK=POINTS, got {text!r}")
    try:
        return name.strip(), points(val)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="baseline_command", metavar="ACTION", required=True)
    save = sub.add_parser("save", help="write baseline.json from a results folder")
    save.add_argument("--results", type=Path, default=Path("results"), help="results folder")
    add_run_selection(save)
    save.add_argument(
        "--out", type=Path, default=Path("baseline.json"), help="baseline file to write"
    )
    save.add_argument(
        "--benchmark", default=None, help="pin a whole benchmark (every task must be present)"
    )
    save.add_argument(
        "--task-tolerance",
        action="append",
        metavar="TASK=POINTS",
        type=_task_tolerance,
        default=[],
        help="per-task tolerance in points (repeatable)",
    )
    save.add_argument(
        "--no-items",
        action="store_true",
        help="do not embed per-item scores (no significance test in check)",
    )


def run(args: argparse.Namespace) -> int:
    from mtebkit.cli._common import gate_experiment, load_quietly
    from mtebkit.reporting import make_baseline, save_baseline

    rs = load_quietly(args.results, revision=args.revision)
    base = make_baseline(
        rs,
        model=args.model,
        experiment=gate_experiment(rs, args.model, args.experiment),
        benchmark=args.benchmark,
        tolerances=dict(args.task_tolerance),
        embed_items=not args.no_items,
    )
    save_baseline(base, args.out)
    with_items = sum(1 for t in base.tasks if t.items is not None)
    print(
        f"wrote {args.out}: {base.model}"
        f"{' [' + base.experiment + ']' if base.experiment else ''}, {len(base.tasks)} task(s)"
        f"{' of ' + base.benchmark if base.benchmark else ''}, item scores for {with_items}"
    )
    return 0
