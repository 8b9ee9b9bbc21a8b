"""``mtebkit reproduce``: compare reproduced scores with a model card or published mteb results."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mtebkit.cli._common import add_run_selection, points

if TYPE_CHECKING:
    from mtebkit.reporting import ReproduceReport
    from mtebkit.results import ResultSet


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
        "--strict-mirror",
        action="store_true",
        help="also gate rows whose mirror differs from mteb's statistics (approximate); "
        "by default they are shown but not counted. Fidelity is checked when a data dir is set",
    )
    parser.add_argument(
        "--format", choices=["terminal", "markdown", "csv", "latex", "html"], default="terminal"
    )
    g = parser.add_argument_group(
        "running", "--run evaluates every published task whose data is here and is not yet done"
    )
    g.add_argument("--run", action="store_true", help="run the missing tasks first, then compare")
    g.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="offline dataset mirror <org>/<name>/ (env MTEBKIT_DATA_DIR)",
    )
    g.add_argument("--batch-size", type=int, default=None)
    g.add_argument("--cache-dir", type=Path, default=None, help="embedding cache folder")
    g.add_argument("--device", nargs="+", dest="devices", default=None, help="e.g. cpu cuda:0")
    g.add_argument("--quiet", "-q", action="store_true", help="no progress lines while running")


def _run_missing(args: argparse.Namespace, published: ResultSet) -> list[str]:
    """--run: evaluate the published tasks that can run here; say which cannot, and why."""
    from mtebkit.tasks import resolve_data_dir

    data_dir = resolve_data_dir(args.data_dir)
    if data_dir is not None:  # a mirror means offline: fail fast rather than retry
        for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
            os.environ.setdefault(var, "1")
    from mtebkit.evaluation import RunConfig, plan_reproduction, run_reproduction

    if args.model is None:  # the card's own model
        args.model = published.models()[0] if published.models() else None
    if args.model is None:
        from mtebkit.errors import ResultsError

        raise ResultsError("--run needs --model: the published scores name no model")
    names = [r.task for r in published.run(None).rows] if published.models() else []
    plan = plan_reproduction(names, data_dir)
    for line in plan.notes():  # now, and again under the table
        print(f"mtebkit: {line}", file=sys.stderr)
    config = RunConfig(
        models=[args.model],
        data_dir=data_dir,
        results_dir=args.results,
        batch_size=args.batch_size,
        cache_dir=args.cache_dir,
        devices=args.devices,
        show_progress=not args.quiet,
    )
    run_reproduction(plan, config)
    return plan.notes()


def _with_fidelity(args: argparse.Namespace, report: ReproduceReport) -> ReproduceReport:
    """With a mirror (--data-dir or $MTEBKIT_DATA_DIR): each compared task's mirror fidelity."""
    from dataclasses import replace

    from mtebkit.tasks import mirror_fidelity_of, resolve_data_dir

    data_dir = resolve_data_dir(args.data_dir)
    if data_dir is None or not report.rows:
        return replace(report, strict_mirror=args.strict_mirror)
    fidelity = mirror_fidelity_of([r.task for r in report.rows], data_dir)
    return replace(report, fidelity=fidelity, strict_mirror=args.strict_mirror)


def run(args: argparse.Namespace) -> int:
    from mtebkit.cli._common import load_quietly
    from mtebkit.reporting import load_published, reproduce

    published = load_published(args.published)
    notes = _run_missing(args, published) if args.run else []
    if args.run and not args.results.exists():  # nothing could run: say why, pass nothing
        for line in notes:
            print(line)
        print("nothing to compare: no published task could run here")
        return 1
    results = load_quietly(args.results, revision=args.revision)
    report = reproduce(
        published,
        results,
        model=args.model,
        experiment=args.experiment,
        tolerance=args.tolerance,
        require_all=args.require_all,
    )
    report = _with_fidelity(args, report)
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
    for line in notes:
        print(line)
    return 0 if report.passed else 1
