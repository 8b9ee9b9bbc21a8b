"""Helpers shared by the reporting subcommands: argument groups, loading results, warnings."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from mtebkit.errors import ResultsError

if TYPE_CHECKING:
    from mtebkit.results import ResultSet

__all__ = [
    "add_run_selection",
    "gate_experiment",
    "load_quietly",
    "points",
    "positive_int",
    "print_warnings",
    "resolve_run_arg",
]


def points(text: str) -> float:
    """argparse type of a tolerance in points: a finite number >= 0 (NaN would pass any gate)."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of points, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of points >= 0, not {text!r}")
    return value


def positive_int(text: str) -> int:
    """argparse type of a count that must be at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, not {value}")
    return value


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
    from mtebkit.results import load_results

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


def resolve_run_arg(
    arg: str, results: ResultSet | None, *, experiment: str | None = None
) -> tuple[str, ResultSet]:
    """A compare argument: an existing results folder (one run inside) or a model name in
    ``results`` (``MODEL@EXPERIMENT`` picks an experiment)."""
    from mtebkit.results import DEFAULT_EXPERIMENT

    p = Path(arg)
    if p.exists():
        rs = load_quietly(p)
        if len(rs.models()) > 1:
            raise ResultsError(
                f"{p} holds {len(rs.models())} models ({', '.join(rs.models())}); "
                f"compare them by name: mtebkit compare --results {p} MODEL_A MODEL_B"
            )
        view = rs.run(rs.models()[0], experiment=experiment)
        return (f"{view.models()[0]} ({p.name})", view)
    if results is None:
        raise ResultsError(
            f"{arg!r} is neither a results folder nor (without --results) a model name"
        )
    model, _, exp = arg.partition("@")
    several = len(results.experiments(results.resolve_model(model))) > 1
    view = results.run(
        model, experiment=exp or experiment or (DEFAULT_EXPERIMENT if several else None)
    )
    label = view.models()[0] + (f" [{exp}]" if exp else "")
    return label, view


def gate_experiment(
    rs: ResultSet,
    model: str | None,
    experiment: str | None,
    *,
    checking: bool = False,
    pinned: str | None = None,
) -> str | None:
    """The experiment ``baseline save`` / ``check`` use when ``--experiment`` is not given.

    ``check`` (``checking``) uses the experiment the baseline was saved from (``pinned``; None:
    the plain folder). ``baseline save`` takes the plain folder when there are several; with no
    plain folder among them, :meth:`ResultSet.run` refuses, naming ``--experiment``. A note on
    stderr says what was chosen when there was a choice.
    """
    from mtebkit.results import DEFAULT_EXPERIMENT

    if experiment is not None:
        return experiment
    models = rs.models()
    name = models[0] if len(models) == 1 else None
    if model is not None:
        try:
            name = rs.resolve_model(model)
        except ResultsError:
            if not checking:
                raise
    if name is None:
        return pinned if checking else None  # ResultSet.run says which model to choose
    exps = rs.experiments(name)
    shown = ", ".join(DEFAULT_EXPERIMENT if e is None else e for e in exps)
    if checking:
        chosen = pinned or DEFAULT_EXPERIMENT
        if pinned is None and len(exps) <= 1:
            return None  # one run only: the baseline's experiment is not needed to pick it
        if (pinned if pinned != DEFAULT_EXPERIMENT else None) not in exps:
            raise ResultsError(
                f"the baseline was saved from experiment {chosen!r}; {name} has no "
                f"results there (experiments: {shown or 'none'}); choose one with --experiment"
            )
        print(f"mtebkit: note: checking experiment {chosen!r}, as the baseline", file=sys.stderr)
        return chosen
    if len(exps) > 1 and None in exps:
        print(
            f"mtebkit: note: {name} has results under several experiments ({shown}); pinning "
            f"the plain folder {DEFAULT_EXPERIMENT!r} (choose another with --experiment)",
            file=sys.stderr,
        )
        return DEFAULT_EXPERIMENT
    return None
