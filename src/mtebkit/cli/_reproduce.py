"""``mtebkit reproduce``: compare reproduced scores with a model card or published mteb results."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mtebkit.cli._common import add_run_selection, points

if TYPE_CHECKING:
    from mtebkit.evaluation import ReproductionPlan, RunConfig
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
        "--tasks",
        nargs="+",
        metavar="T",
        default=None,
        help="compare (and with --run, evaluate) only these published tasks",
    )
    parser.add_argument(
        "--skip",
        nargs="+",
        metavar="T",
        default=None,
        help="leave these published tasks out (e.g. a slow one: --skip SciFact)",
    )
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


def _names(values: list[str] | None) -> list[str] | None:
    """``--tasks A B`` and ``--tasks A,B`` alike."""
    if values is None:
        return None
    return [n.strip() for v in values for n in v.split(",") if n.strip()]


def _check_writable(results: Path) -> None:
    """The results folder can be created (or is a folder) and written to, without creating it."""
    from mtebkit.errors import ResultsError

    if results.exists() and not results.is_dir():
        raise ResultsError(f"--results {results} exists and is not a folder")
    probe = results
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise ResultsError(
            f"--results {results} cannot be written ({probe} is not a writable folder)"
        )


def _experiment(
    args: argparse.Namespace, results: ResultSet | None, model: str | None
) -> tuple[str | None, list[str]]:
    """The experiment to compare, and the variant experiments left out (published numbers are
    of the default configuration, so the plain folder is taken when there are several)."""
    from mtebkit.errors import ResultsError
    from mtebkit.results import DEFAULT_EXPERIMENT

    if args.experiment is not None:
        if args.run and args.experiment != DEFAULT_EXPERIMENT:
            raise ResultsError(
                f"--run evaluates the default configuration; --experiment {args.experiment!r} "
                "is not what it computes (compare an existing experiment without --run)"
            )
        return args.experiment, []
    if results is None or not results.rows:
        return (DEFAULT_EXPERIMENT if args.run else None), []
    models = results.models()
    name = model if model is not None else models[0] if len(models) == 1 else None
    if name is None:
        return None, []  # ResultSet.run asks for --model
    try:
        name = results.resolve_model(name)
    except ResultsError:
        return (DEFAULT_EXPERIMENT if args.run else None), []  # not there yet / said later
    exps = results.experiments(name)
    variants = [e for e in exps if e is not None]
    if args.run:  # what it writes goes to the plain folder
        return DEFAULT_EXPERIMENT, variants
    if len(exps) > 1 and None in exps:
        return DEFAULT_EXPERIMENT, variants
    return None, []


def _prepare_run(
    args: argparse.Namespace, published: ResultSet, notes: list[str]
) -> tuple[ReproductionPlan, RunConfig]:
    """Everything --run decides before computing: the data, the model (resolved), the output
    folder and the plan. Raises before any evaluation starts."""
    from mtebkit.tasks import resolve_data_dir

    data_dir = resolve_data_dir(args.data_dir)
    if data_dir is not None:  # a mirror means offline: fail fast rather than retry
        for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
            os.environ.setdefault(var, "1")
    from mtebkit.evaluation import RunConfig, model_for_published, plan_reproduction
    from mtebkit.models import resolve_model

    if args.model is None:  # the card's own model, as a hub id
        args.model, why = model_for_published(published)
        note = f"--run evaluates {why}"
        print(f"mtebkit: {note}", file=sys.stderr)
        notes.append(note)
    _check_writable(args.results)
    resolved = resolve_model(args.model)  # found offline, or a clear error: before computing
    args.compare_model = resolved.name
    plan = plan_reproduction(published.tasks(), data_dir)
    config = RunConfig(
        models=[args.model],
        data_dir=data_dir,
        results_dir=args.results,
        batch_size=args.batch_size,
        cache_dir=args.cache_dir,
        devices=args.devices,
        show_progress=not args.quiet,
    )
    return plan, config


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
    from mtebkit.reporting import load_published, reproduce, select_published

    published = load_published(args.published)
    if args.tasks is not None or args.skip is not None:
        published = select_published(published, tasks=_names(args.tasks), skip=_names(args.skip))
    notes: list[str] = []
    args.compare_model = args.model
    existing = (
        load_quietly(args.results, revision=args.revision)
        if args.results.is_dir() and any(args.results.rglob("*.json"))
        else None
    )
    if args.run:
        from mtebkit.evaluation import run_reproduction

        _experiment(args, None, None)  # an --experiment --run cannot compute: refused first
        plan, config = _prepare_run(args, published, notes)
        _experiment(args, existing, args.compare_model)  # refuses now, if at all
        for line in plan.notes():  # now, and again under the table
            print(f"mtebkit: {line}", file=sys.stderr)
        notes += plan.notes()
        run_reproduction(plan, config)
        if not args.results.exists():  # nothing could run: say why, pass nothing
            for line in notes:
                print(line)
            print("nothing to compare: no published task could run here")
            return 1
    results = load_quietly(args.results, revision=args.revision)
    experiment, variants = _experiment(args, results, args.compare_model)
    report = reproduce(
        published,
        results,
        model=args.compare_model,
        experiment=experiment,
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
    if variants:
        notes.append(
            f"compared the default configuration; variants left out: {', '.join(variants)} "
            "(published numbers are of the default; compare one with --experiment)"
        )
    for line in notes:
        print(line)
    return 0 if report.passed else 1
