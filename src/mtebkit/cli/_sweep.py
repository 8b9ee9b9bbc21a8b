"""``mtebkit sweep DIR``: evaluate a training run's checkpoints, choose one on a dev split."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtebkit.cli._options import add_run_options, options_from_args
from mtebkit.sweeps import SweepOptions

if TYPE_CHECKING:
    from mtebkit.evaluation import TaskRecord
    from mtebkit.results import SweepCandidate, SweepFile
    from mtebkit.sweeps import SweepConfig


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "directory",
        type=Path,
        metavar="DIR",
        help="a training output folder holding checkpoint-<step> folders",
    )
    p.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="the run options in a YAML file (RunConfig's names); flags override it",
    )
    add_run_options(p, extra=(SweepOptions,))


def config_from_args(args: argparse.Namespace) -> SweepConfig:
    """The run file's options, the typed flags over them, the data folder resolved."""
    from mtebkit.evaluation import read_run_file
    from mtebkit.sweeps import SweepConfig
    from mtebkit.tasks import resolve_data_dir

    options: dict[str, Any] = read_run_file(args.config) if args.config else {}
    options.update(options_from_args(args, extra=(SweepOptions,)))
    options["directory"] = args.directory
    data_dir = resolve_data_dir(options.get("data_dir"))
    if data_dir is not None:
        options["data_dir"] = data_dir
    return SweepConfig(**options)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}"


def _print_sweep(sweep: SweepFile) -> None:
    split = sweep.split or "each task's own splits (not a dev split)"
    print(f"\ncheckpoints of {sweep.directory} on {', '.join(sweep.tasks)} [{split}]")
    rows = [
        ("step", "average x100", "status", "folder"),
        *(
            (
                str(c.step),
                _pct(c.average),
                c.status + (" *" if c.step == sweep.winner_step else ""),
                c.path + (f"  ({c.error})" if c.error else ""),
            )
            for c in sweep.candidates
        ),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print("  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[3]]))
    winner = sweep.winner
    if winner is None:
        print("\nno checkpoint was evaluated on every task: none chosen")
        return
    how = f"on {sweep.split}" if sweep.split else "on test splits: NOT a dev selection"
    print(f"\nchosen (*): step {winner.step}, average {_pct(winner.average)} {how}")
    for t in sweep.tests:
        print(
            f"  vs {t.against} (step {t.step}) {t.task}: Δ {100 * t.delta:+.2f}, "
            f"p = {t.p_value:.3g} ({t.method})"
        )
    for task, score in sweep.confirm_scores.items():
        print(f"  confirmed on {task}: {_pct(score)}")


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if config.run.selection.data_dir is not None:
        # a mirror means offline: make the HF libraries fail fast rather than retry (read at import)
        for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
            os.environ.setdefault(var, "1")
    from mtebkit.sweeps import run_sweep

    quiet = not config.run.runtime.show_progress

    def show(c: SweepCandidate, records: list[TaskRecord]) -> None:
        if quiet:
            return
        ran = sum(r.status == "ran" for r in records)
        what = f"average {_pct(c.average)}" if c.error is None else f"failed: {c.error}"
        print(
            f"  step {c.step}: {ran} task(s) ran, {len(records) - ran} done before; {what}",
            file=sys.stderr,
        )

    outcome = run_sweep(config, on_checkpoint=show)
    _print_sweep(outcome.file)
    print(f"\nwrote {outcome.path}")
    return 0
