"""The ``mtebkit`` command line: a thin layer of subcommands over the library.

Each subcommand lives in its own module ``mtebkit.cli._<name>`` exposing
``add_arguments(parser)`` and ``run(args) -> int``. Those modules import nothing heavy at
module level (no torch, no mteb), so ``mtebkit --help`` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mtebkit.errors import MtebkitError

if TYPE_CHECKING:
    from mtebkit.evaluation import RunConfig

__all__ = ["COMMANDS", "build_parser", "main", "run_config"]

# name -> (module, one-line help). Order is the order shown in --help.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("mtebkit.cli._run", "evaluate models on MTEB / C-MTEB / custom tasks"),
    "tasks": ("mtebkit.cli._tasks", "list native and custom tasks and where their data comes from"),
    "models": ("mtebkit.cli._models", "list model presets (instruction, pooling, max length)"),
    "benchmarks": ("mtebkit.cli._benchmarks", "list mteb's benchmarks, or one benchmark's tasks"),
    "report": ("mtebkit.cli._report", "write leaderboards (Markdown, CSV, HTML) from results"),
    "plot-similarity": (
        "mtebkit.cli._plot_similarity",
        "plot positive/negative score distributions",
    ),
    "model-card": ("mtebkit.cli._model_card", "write a model card's model-index from results"),
    "reproduce": ("mtebkit.cli._reproduce", "compare reproduced scores with published ones"),
    "compare": ("mtebkit.cli._compare", "compare checkpoints with paired significance tests"),
    "sweep": (
        "mtebkit.cli._sweep",
        "evaluate a training run's checkpoints, choose one on a dev split, confirm it",
    ),
    "baseline": ("mtebkit.cli._baseline", "pin scores to a baseline file for the CI gate"),
    "check": ("mtebkit.cli._check", "CI regression gate against a baseline"),
    "cache": ("mtebkit.cli._cache", "inspect or clear the embedding cache"),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Build the parser. With ``only``, import just that subcommand's module (fast path)."""
    from mtebkit._version import __version__

    parser = argparse.ArgumentParser(
        prog="mtebkit",
        description="Evaluate text-embedding models and rerankers on MTEB and C-MTEB.",
    )
    parser.add_argument("--version", action="version", version=f"mtebkit {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if only is None or only == name:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name != module_name:
                    raise
                p.set_defaults(_unavailable=name)
                continue
            module.add_arguments(p)
            p.set_defaults(_module=module_name)
    return parser


def run_config(argv: Sequence[str]) -> RunConfig:
    """The :class:`~mtebkit.evaluation.RunConfig` that ``mtebkit run ARGV...`` would run: the
    ``--config`` file's options, the flags over them, the data folder resolved. The CLI's
    flags, a YAML run file and Python build the same object."""
    from mtebkit.cli._run import config_from_args

    return config_from_args(build_parser(only="run").parse_args(["run", *argv]))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    only = command if command in COMMANDS else None
    parser = build_parser(only=only if only else "__none__")
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if args.command is None:
        parser.print_help()
        return 0
    if getattr(args, "_unavailable", None):
        parser.error(f"command {args.command!r} is not available in this build")
    module = importlib.import_module(args._module)
    try:
        return int(module.run(args) or 0)
    except MtebkitError as exc:
        print(f"mtebkit: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `mtebkit tasks | head`: the reader left; not an error of ours
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (no second error at exit)
        return 0
    except OSError as exc:  # a file or folder the user named cannot be read or written
        print(f"mtebkit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mtebkit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
