"""``mtebkit check``: the CI regression gate (exit 0 = no task dropped beyond its tolerance)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mtebkit.cli._common import add_run_selection, points


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--results", type=Path, default=Path("results"), help="results folder to check"
    )
    parser.add_argument(
        "--baseline", type=Path, required=True, help="baseline.json from `mtebkit baseline save`"
    )
    add_run_selection(parser)
    parser.add_argument(
        "--tolerance",
        type=points,
        default=0.5,
        help="allowed drop in points (x100) for tasks without their own tolerance; default 0.5",
    )
    parser.add_argument(
        "--benchmark", default=None, help="require the baseline to pin this benchmark"
    )
    parser.add_argument(
        "--junit", type=Path, default=None, help="also write JUnit XML (one testcase per task)"
    )
    parser.add_argument(
        "--resamples", type=int, default=1000, help="bootstrap resamples for the significance test"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--allow-other-model",
        action="store_true",
        help="check a model against the baseline of another model (refused otherwise)",
    )


def run(args: argparse.Namespace) -> int:
    from mtebkit._util.atomic import atomic_write_text
    from mtebkit.cli._common import gate_experiment, load_quietly
    from mtebkit.reporting import check_against_baseline, load_baseline

    baseline = load_baseline(args.baseline)
    rs = load_quietly(args.results, revision=args.revision)
    report = check_against_baseline(
        rs,
        baseline,
        model=args.model,
        experiment=gate_experiment(
            rs,
            args.model or baseline.model,
            args.experiment,
            checking=True,
            pinned=baseline.experiment,
        ),
        tolerance=args.tolerance,
        benchmark=args.benchmark,
        n_resamples=args.resamples,
        seed=args.seed,
    )
    if report.model != baseline.model and not args.allow_other_model:
        from mtebkit.errors import ResultsError

        raise ResultsError(
            f"{args.baseline} is the baseline of {baseline.model}, not of {report.model}; "
            "pass --allow-other-model to check against it anyway"
        )
    print(report.table().to_terminal())
    if report.model != baseline.model:
        print(
            f"note: checked {report.model} against the baseline of {baseline.model}",
            file=sys.stderr,
        )
    if report.extra_tasks:
        print(
            f"note: {len(report.extra_tasks)} task(s) not in the baseline: {', '.join(report.extra_tasks)}",
            file=sys.stderr,
        )
    print(report.summary())
    if args.junit:
        atomic_write_text(args.junit, report.to_junit())
    return 0 if report.passed else 1
