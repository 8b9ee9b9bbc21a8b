"""``mtebkit run``: evaluate models; with no arguments, the embedded demo."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtebkit.cli._options import add_run_options, options_from_args

if TYPE_CHECKING:
    from mtebkit.evaluation import PlanEstimate, RunConfig, TaskRecord

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def add_arguments(p: argparse.ArgumentParser) -> None:
    # the models' CLI default (the embedded model) is the command's, not the Python API's
    p.add_argument(
        "--model",
        "-m",
        nargs="+",
        default=argparse.SUPPRESS,
        metavar="M",
        help=f"hub ids or local folders (default: {DEFAULT_MODEL}, shipped offline)",
    )
    p.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="a run described in a YAML file (RunConfig's option names); flags override it",
    )
    p.add_argument(
        "--offline",
        action="store_true",
        help="never download (sets HF_HUB_OFFLINE=1): models and data from local copies only",
    )
    add_run_options(p)  # every RunConfig option, generated from its field


def _print_reuse(records: Sequence[TaskRecord]) -> None:
    texts = sum(r.reused_texts for r in records)
    if texts:
        tokens = sum(r.reused_tokens for r in records)
        print(f"\nvariants: {texts} texts ({tokens} tokens) not re-encoded")


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The run file's options, then the typed flags over them; the data folder resolved."""
    from mtebkit.evaluation import RunConfig, read_run_file
    from mtebkit.tasks import resolve_data_dir

    options: dict[str, Any] = read_run_file(args.config) if args.config else {}
    options.update(options_from_args(args))
    if hasattr(args, "model"):
        options["models"] = args.model
    options.setdefault("models", [DEFAULT_MODEL])
    config = RunConfig.from_options(options, source=str(args.config) if args.config else None)
    # the env's mirror ($MTEBKIT_DATA_DIR) when none is given; a given one is checked
    data_dir = resolve_data_dir(config.selection.data_dir)
    return config if data_dir == config.selection.data_dir else config.replace(data_dir=data_dir)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if args.offline:  # before any HF library is imported: they read it once, at import
        for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
            os.environ[var] = "1"
    if config.selection.data_dir is not None:
        # a mirror means offline: make the HF libraries fail fast rather than retry (read at import)
        for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
            os.environ.setdefault(var, "1")
    if config.runtime.dry_run:
        return _dry_run(config)
    from mtebkit.errors import EvaluationError
    from mtebkit.evaluation import run_evaluation

    quiet = not config.runtime.show_progress

    def show(r: TaskRecord) -> None:
        if not quiet:
            print(
                f"  {r.status:7s} {r.task} [{r.split}] {100 * r.main_score:.2f}  ({r.seconds:.1f}s)",
                file=sys.stderr,
            )

    try:
        records = run_evaluation(config, on_record=show)
    except EvaluationError as exc:
        _print_table(exc.records)  # what finished is written: show it before the error
        raise
    _print_table(records)
    _print_reuse(records)
    print(f"\nresults in {config.output.results_dir}/")
    return 0


def _dry_run(config: RunConfig) -> int:
    """``--dry-run``: the plan's estimate, as a table or JSON lines; nothing is written."""
    # a dry run never downloads: data and models from local copies only (read at import)
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(var, "1")
    from mtebkit.evaluation import estimate

    plan = estimate(config)
    if config.output.json_lines:
        for line in plan.json_lines():
            print(line)
    else:
        _print_estimate(plan)
    return 0


def _print_estimate(plan: PlanEstimate) -> None:
    from mtebkit.reporting import Table

    headers = [
        "model",
        "experiment",
        "task",
        "splits",
        "texts",
        "distinct",
        "tokens",
        "token source",
        "cached",
        "est. seconds",
    ]
    rows: list[list[str | int | float | None]] = [
        [
            e.job.model_name,
            e.job.experiment or "-",
            e.job.task.name,
            ",".join(e.splits),
            e.texts,
            e.distinct_texts,
            e.tokens,
            e.token_source if e.status == "todo" else e.status,
            "-" if e.cached is None else e.cached,
            round(e.estimated_seconds, 1),
        ]
        for e in plan.jobs
    ]
    t = plan.total()
    rows.append(
        [
            "total",
            "",
            f"{t['jobs']} jobs",
            "",
            t["texts"],
            t["distinct_texts"],
            t["tokens"],
            "",
            t["cached"],
            round(t["estimated_seconds"], 1),
        ]
    )
    print(Table(headers, rows, align_left=4, digits=1).to_terminal())
    kind = "GPU" if t["device"] == "cuda" else "CPU"
    print(
        f"\n{t['tokens']} tokens at {t['tokens_per_s']:g} tokens/s ({t['throughput_source']}, "
        f"{t['device']}): {t['estimated_seconds']:.1f} s, {t['device_hours']:.3f} {kind}-hours; "
        f"makespan on {t['workers']} worker(s): {t['makespan_seconds']:.1f} s; "
        f"cache space for the vectors not cached: {_size(t['cache_bytes'])}"
    )
    print("dry run: nothing was loaded, encoded or written")


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def _print_table(records: Sequence[TaskRecord]) -> None:
    from mtebkit.results import tokens_per_s_cell, truncation_cell

    headers = (
        "model",
        "experiment",
        "task",
        "split",
        "main score x100",
        "seconds",
        "truncated",
        "tokens/s",
        "status",
    )
    rows = [
        (
            r.model,
            r.experiment or "-",
            r.task + ("" if r.subset == "default" else f" ({r.subset})"),
            r.split,
            f"{100 * r.main_score:.2f}",
            f"{r.seconds:.1f}",
            truncation_cell(r.encoding),
            tokens_per_s_cell(r.encoding),
            r.status,
        )
        for r in records
    ]
    from mtebkit.reporting import Table

    # every cell is already text: all columns align left, as the run's lines do
    print(Table(list(headers), [list(r) for r in rows], align_left=len(headers)).to_terminal())
    _print_truncation_notes(records)
    _print_language_notes(records)


def _language(code: str) -> str:
    """``cmn-Hans`` -> ``cmn``; the macrolanguage ``zho`` counts as Mandarin (``cmn``)."""
    lang = code.split("-")[0].split("_")[0].lower()
    return {"zho": "cmn", "zh": "cmn", "en": "eng"}.get(lang, lang)


def language_mismatch(model_languages: Sequence[str], task_languages: Sequence[str]) -> bool:
    """The model declares languages and none of them is one of the task's."""
    declared = {_language(x) for x in model_languages}
    wanted = {_language(x) for x in task_languages}
    return bool(declared and wanted and not declared & wanted)


def _print_language_notes(records: Sequence[TaskRecord]) -> None:
    """Once per (model, task): the model declares none of the task's languages (an English-only
    model on a Chinese task scores low for that reason, not for a fault of the run)."""
    seen: set[tuple[str, str]] = set()
    for r in records:
        key = (r.model, r.task)
        if key in seen or not language_mismatch(r.model_languages, r.languages):
            continue
        seen.add(key)
        print(
            f"note: {r.model} declares {', '.join(r.model_languages)} only; {r.task} is "
            f"{', '.join(sorted(set(r.languages)))}: a low score there is expected"
        )


def _print_truncation_notes(records: Sequence[TaskRecord]) -> None:
    """One line per task whose documents were often cut at max length (once per task)."""
    from mtebkit.results import truncation_note

    seen: set[tuple[str, str | None, str]] = set()
    for r in records:
        key = (r.model, r.experiment, r.task)
        exp = f" [{r.experiment}]" if r.experiment else ""
        note = None if key in seen else truncation_note(f"{r.model}{exp} / {r.task}", r.encoding)
        seen.add(key)
        if note:
            print(f"note: {note}")
