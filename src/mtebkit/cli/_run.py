"""``mtebkit run``: evaluate models; with no arguments, the embedded demo."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mtebkit.cli._common import positive_int

if TYPE_CHECKING:
    from mtebkit.evaluation import Executor, TaskRecord

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def _instruction_override(text: str) -> tuple[str, str | None]:
    task, sep, instr = text.partition("=")
    if not sep or not task:
        raise argparse.ArgumentTypeError(
            f"expected TASK=INSTRUCTION (empty INSTRUCTION = none), got {text!r}"
        )
    return task, instr or None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        "-m",
        nargs="+",
        default=[DEFAULT_MODEL],
        metavar="M",
        help=f"hub ids or local folders (default: {DEFAULT_MODEL}, shipped offline)",
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--tasks",
        "-t",
        nargs="+",
        metavar="T",
        help="native mteb and custom task names (default: the embedded demo tasks)",
    )
    g.add_argument("--benchmark", "-b", metavar="B", help='an mteb benchmark, e.g. "MTEB(cmn, v1)"')
    sel = p.add_argument_group(
        "task selection", "applied to --tasks, --benchmark, or (with neither) every text task"
    )
    sel.add_argument("--task-type", nargs="+", metavar="TYPE", help="e.g. Retrieval STS")
    sel.add_argument("--lang", nargs="+", metavar="L", help="e.g. eng cmn zh (eng-Latn also)")
    sel.add_argument("--split", nargs="+", metavar="S", help="evaluate only these splits")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="offline dataset mirror laid out <org>/<name>/ as on the HF hub (env MTEBKIT_DATA_DIR)",
    )
    p.add_argument(
        "--offline",
        action="store_true",
        help="never download (sets HF_HUB_OFFLINE=1): models and data from local copies only",
    )
    p.add_argument(
        "--tasks-path",
        type=Path,
        action="append",
        default=None,
        metavar="PATH",
        help="custom task spec file or folder (repeatable; replaces $MTEBKIT_TASKS_PATH and ./tasks)",
    )
    p.add_argument(
        "--results", type=Path, default=Path("results"), help="results folder (default: results/)"
    )
    p.add_argument("--batch-size", type=positive_int, default=None)
    ck = p.add_argument_group(
        "model settings", "for a checkpoint without a preset; non-default values name an experiment"
    )
    ck.add_argument(
        "--max-length",
        "--passage-max-length",
        dest="max_length",
        type=positive_int,
        default=None,
        help="max tokens per text (passages, and queries unless --query-max-length)",
    )
    ck.add_argument(
        "--query-max-length", type=positive_int, default=None, help="max tokens per query"
    )
    ck.add_argument("--pooling", choices=["cls", "mean"], default=None)
    ck.add_argument(
        "--normalize",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="L2-normalise the vectors (default: the preset's or the model folder's)",
    )
    ck.add_argument(
        "--query-instruction",
        default=None,
        metavar="TEXT",
        help="prefix of every query of retrieval / reranking tasks (--instruction TASK=TEXT "
        "overrides it per task)",
    )
    ck.add_argument(
        "--query-template",
        default=None,
        metavar="T",
        help="how the instruction and the query are joined: T.format(instruction, query), "
        "FlagEmbedding's query_instruction_format (default '{}{}')",
    )
    p.add_argument(
        "--fp16",
        dest="fp16",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="half precision on CUDA (default on; ignored on CPU)",
    )
    p.add_argument(
        "--dtype",
        choices=["float32", "float16", "bfloat16"],
        default=None,
        help="compute dtype on any device; wins over --fp16 (results go to an experiment folder)",
    )
    p.add_argument("--no-instruction", action="store_true", help="never prepend query instructions")
    p.add_argument(
        "--instruction",
        action="append",
        type=_instruction_override,
        default=[],
        metavar="TASK=TEXT",
        help="per-task query instruction override (repeatable)",
    )
    p.add_argument(
        "--instruction-ablation",
        action="store_true",
        help="evaluate retrieval/reranking tasks with and without the instruction",
    )
    p.add_argument("--preset", default=None, help="apply a known model's preset to a local folder")
    p.add_argument(
        "--device",
        dest="devices",
        nargs="+",
        default=None,
        help="e.g. cuda:0 cuda:1 (default: all GPUs, else CPU)",
    )
    p.add_argument("--reranker", default=None, help="cross-encoder for two-stage retrieval")
    p.add_argument(
        "--rerank-top-k",
        type=positive_int,
        nargs="+",
        default=None,
        metavar="K",
        help="candidates the reranker rescores (default 100, or fewer where a query has fewer); "
        "several depths, e.g. 10 50 100, are a sweep: one first stage, one reranker pass, "
        "one experiment per depth",
    )
    p.add_argument(
        "--first-stage",
        nargs="+",
        default=None,
        metavar="RUN",
        help="fixed candidates to rerank instead of the embedder's: a TREC run file "
        "(qid Q0 docid rank score tag) or an mteb predictions file (--save-predictions); "
        "TASK=PATH per task, or a folder with <Task>.trec / <Task>_predictions.json",
    )
    _add_variant_arguments(p)
    p.add_argument("--overwrite", action="store_true", help="redo tasks that already have results")
    p.add_argument(
        "--no-cache", action="store_true", help="do not read or write the embedding cache"
    )
    p.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="embedding cache folder (default <cache root>/embeddings; the cache root is "
        "$MTEBKIT_CACHE_DIR, else $XDG_CACHE_HOME/mtebkit, else ~/.cache/mtebkit)",
    )
    p.add_argument(
        "--cpu-lanes",
        type=positive_int,
        default=None,
        metavar="N",
        help="CPU: batches encoded at once, one thread each (default: one per core)",
    )
    p.add_argument(
        "--no-item-scores",
        action="store_true",
        help="do not keep per-pair / per-query scores beside the results",
    )
    p.add_argument(
        "--save-predictions",
        action="store_true",
        help="keep mteb's <Task>_predictions.json (retrieval: top documents per query) beside "
        "each result (not for two-stage runs)",
    )
    p.add_argument(
        "--quiet", "-q", action="store_true", help="no progress display and no per-task lines"
    )
    _add_ray_arguments(p)


def _at_least(low: float, kind: type[int] | type[float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low:g}, got {text}")
        return value

    return parse


def _add_variant_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "vector variants",
        "each dim x precision is its own experiment (dim_256__precision_int8), computed from "
        "one encoding of the full vectors",
    )
    # plain int: <= 0 and too large are named errors of the plan (as for the Python API)
    g.add_argument("--dim", nargs="+", type=int, default=None, metavar="D", help="e.g. 768 256 64")
    g.add_argument("--precision", nargs="+", default=None, metavar="P", help="float32 int8 binary")


def _print_reuse(records: Sequence[TaskRecord]) -> None:
    texts = sum(r.reused_texts for r in records)
    if texts:
        tokens = sum(r.reused_tokens for r in records)
        print(f"\nvariants: {texts} texts ({tokens} tokens) not re-encoded")


def _add_ray_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("Ray (pip install 'mtebkit[ray]'; see docs/ray.md)")
    g.add_argument(
        "--ray",
        action="store_true",
        help="run on Ray: join $RAY_ADDRESS if set, else start a local cluster",
    )
    g.add_argument("--ray-address", metavar="ADDR", help="join this Ray cluster (implies --ray)")
    g.add_argument(
        "--ray-workers",
        type=_at_least(1, int),
        metavar="N",
        help="worker slots (default: one per GPU, else one per node)",
    )
    g.add_argument(
        "--ray-cpus-per-worker",
        type=_at_least(1, float),
        metavar="N",
        help="CPUs per worker (and its threads)",
    )
    g.add_argument(
        "--ray-gpus-per-worker",
        type=_at_least(0, float),
        metavar="N",
        help="GPUs per worker (default 1 if any)",
    )
    g.add_argument(
        "--ray-shard-min-texts",
        type=_at_least(0, int),
        metavar="N",
        default=None,
        help="shard an encode of N texts or more (a large corpus) across idle workers "
        "(default 2048; 0: never)",
    )


def _ray_executor(args: argparse.Namespace, cache_dir: Path | None) -> Executor | None:
    """The Ray executor the options ask for, or None to run here."""
    if not (args.ray or args.ray_address):
        return None
    from mtebkit.evaluation import RayExecutor
    from mtebkit.evaluation._ray import DEFAULT_SHARD_MIN_TEXTS

    def say(line: str) -> None:
        if not args.quiet:
            print(f"  ray {line}", file=sys.stderr)

    return RayExecutor(
        address=args.ray_address,
        num_workers=args.ray_workers,
        cpus_per_worker=args.ray_cpus_per_worker,
        gpus_per_worker=args.ray_gpus_per_worker,
        shard_min_texts=DEFAULT_SHARD_MIN_TEXTS
        if args.ray_shard_min_texts is None
        else args.ray_shard_min_texts,
        use_cache=not args.no_cache,
        cache_dir=str(cache_dir) if cache_dir else None,
        progress=say,
    )


def run(args: argparse.Namespace) -> int:
    from mtebkit.tasks import resolve_data_dir

    data_dir = resolve_data_dir(args.data_dir)
    if args.offline:  # before any HF library is imported: they read it once, at import
        for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
            os.environ[var] = "1"
    if data_dir is not None:
        # a mirror means offline: make the HF libraries fail fast rather than retry (read at import)
        for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
            os.environ.setdefault(var, "1")
    from mtebkit.errors import EvaluationError
    from mtebkit.evaluation import RunConfig, run_evaluation

    config = RunConfig(
        models=args.model,
        tasks=args.tasks,
        benchmark=args.benchmark,
        data_dir=data_dir,
        spec_paths=args.tasks_path,
        results_dir=args.results,
        batch_size=args.batch_size,
        max_length=args.max_length,
        query_max_length=args.query_max_length,
        pooling=args.pooling,
        normalize=args.normalize,
        query_instruction=args.query_instruction,
        query_template=args.query_template,
        use_fp16=args.fp16,
        dtype=args.dtype,
        use_instructions=not args.no_instruction,
        task_instructions=dict(args.instruction),
        preset=args.preset,
        devices=args.devices,
        cpu_lanes=args.cpu_lanes,
        overwrite=args.overwrite,
        use_cache=not args.no_cache,
        cache_dir=args.cache_dir,
        reranker=args.reranker,
        rerank_top_k=args.rerank_top_k,
        first_stage=args.first_stage,
        instruction_ablation=args.instruction_ablation,
        keep_item_scores=not args.no_item_scores,
        save_predictions=args.save_predictions,
        task_types=args.task_type,
        languages=args.lang,
        splits=args.split,
        show_progress=not args.quiet,
        dims=args.dim,
        precisions=args.precision,
    )

    def show(r: TaskRecord) -> None:
        if not args.quiet:
            print(
                f"  {r.status:7s} {r.task} [{r.split}] {100 * r.main_score:.2f}  ({r.seconds:.1f}s)",
                file=sys.stderr,
            )

    try:
        records = run_evaluation(
            config, executor=_ray_executor(args, args.cache_dir), on_record=show
        )
    except EvaluationError as exc:
        _print_table(exc.records)  # what finished is written: show it before the error
        raise
    _print_table(records)
    _print_reuse(records)
    print(f"\nresults in {config.results_dir}/")
    return 0


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
    widths = [
        max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
        for i, h in enumerate(headers)
    ]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False))
    print(line)
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)))
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
