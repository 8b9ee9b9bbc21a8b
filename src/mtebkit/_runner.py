"""Running models on tasks through mteb's own evaluators and filing the results.

The library entry point is :func:`run_evaluation`; ``mtebkit run`` is a thin layer over it.
Every task runs through ``mteb.evaluate``; mtebkit only decides which model settings and
instructions apply, skips what is already done, and writes the results atomically.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtebkit._errors import MtebkitError, ResultsError
from mtebkit._results_io import read_mtebkit_block, result_path, write_task_result

if TYPE_CHECKING:
    from mteb.abstasks.abstask import AbsTask
    from mteb.results import TaskResult

    from mtebkit._embedder import Embedder

__all__ = ["RunConfig", "TaskRecord", "run_evaluation"]

logger = logging.getLogger(__name__)

DEFAULT_RESULTS_DIR = Path("results")
# Settings that may legitimately differ between two runs of the same experiment.
# provenance only: these do not change a score beyond float32 rounding
_IGNORED_SETTINGS = frozenset({"model_source", "cpu_kernels"})


@dataclass
class RunConfig:
    """What to evaluate and how. Mirrors the options of ``mtebkit run``."""

    models: Sequence[str]
    tasks: Sequence[str] | None = None
    benchmark: str | None = None
    data_dir: Path | None = None
    results_dir: Path = DEFAULT_RESULTS_DIR
    batch_size: int | None = None
    max_length: int | None = None
    use_fp16: bool = True
    dtype: str | None = None  # float32 / float16 / bfloat16; wins over use_fp16
    use_instructions: bool = True
    task_instructions: Mapping[str, str | None] = field(default_factory=dict)
    preset: str | None = None
    devices: Sequence[str] | None = None
    overwrite: bool = False
    use_cache: bool = True
    cache_dir: Path | None = None
    reranker: str | None = None
    rerank_top_k: int = 100
    instruction_ablation: bool = False
    keep_item_scores: bool = True
    show_progress: bool = True


@dataclass(frozen=True)
class TaskRecord:
    """One line of the end-of-run table."""

    model: str
    experiment: str | None
    task: str
    split: str
    subset: str
    main_score: float
    seconds: float
    status: str  # "ran" | "skipped"
    path: Path


def _resolve_tasks(config: RunConfig) -> list[AbsTask]:
    from mtebkit import tasks as task_api

    if config.benchmark and config.tasks:
        raise MtebkitError("give --tasks or --benchmark, not both")
    if config.benchmark:
        return task_api.get_benchmark_tasks(config.benchmark, data_dir=config.data_dir)
    names = list(config.tasks) if config.tasks else list(task_api.DEMO_TASKS)
    return task_api.get_tasks(names, data_dir=config.data_dir)


def _make_cache(config: RunConfig) -> Any:
    if not config.use_cache:
        return None
    try:
        from mtebkit.embedding_cache import EmbeddingCache
    except ImportError:  # pragma: no cover - the cache module ships with mtebkit
        return None
    return EmbeddingCache(config.cache_dir) if config.cache_dir else EmbeddingCache()


def _experiment_kwargs(
    embedder: Embedder, config: RunConfig, defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """Settings that differ from the model's published defaults; they name the experiment."""
    exp: dict[str, Any] = {}
    if embedder.dtype != "float32":
        exp["dtype"] = embedder.dtype
    for key in ("pooling", "normalize", "max_length"):
        if getattr(embedder, key) != defaults[key]:
            exp[key] = getattr(embedder, key)
    if not embedder.use_instructions:
        exp["instructions"] = "off"
    elif config.task_instructions:
        exp["task_instructions"] = dict(sorted(config.task_instructions.items()))
    return exp


def _settings_record(
    embedder: Embedder, task: AbsTask, reranker: Any = None, top_k: int | None = None
) -> dict[str, Any]:
    rec = embedder.settings_record()
    rec["query_instruction"] = embedder.instruction_for(task.metadata.name, task.metadata.type)
    rec["reranker"] = None
    if reranker is not None:
        # all of the reranker's score-changing settings (max length, dtype, weights), so a
        # re-run with another reranker setting is not mistaken for the same result
        rec["reranker"] = {**reranker.settings_record(), "top_k": top_k}
    return rec


def _comparable(settings: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in settings.items() if k not in _IGNORED_SETTINGS}
    if isinstance(out.get("reranker"), Mapping):
        out["reranker"] = _comparable(out["reranker"])
    return out


def _records_from(
    result: TaskResult,
    *,
    model: str,
    experiment: str | None,
    seconds: float,
    status: str,
    path: Path,
) -> list[TaskRecord]:
    out = []
    for split, rows in result.scores.items():
        for row in rows:
            out.append(
                TaskRecord(
                    model=model,
                    experiment=experiment,
                    task=result.task_name,
                    split=split,
                    subset=str(row.get("hf_subset", "default")),
                    main_score=float(row["main_score"]),
                    seconds=seconds,
                    status=status,
                    path=path,
                )
            )
    return out


def _save_item_scores(task: AbsTask, predictions_dir: Path, out_dir: Path) -> None:
    """Keep compact per-pair / per-query scores beside the result (for plots and significance)."""
    try:
        from mtebkit.reporting.item_scores import item_scores_path, save_item_scores
    except ImportError:  # reporting layer not installed in this build
        return
    pred = predictions_dir / f"{task.metadata.name}_predictions.json"
    if not pred.exists():
        return
    try:
        save_item_scores(task, pred, item_scores_path(out_dir, task.metadata.name))
    except Exception as exc:  # the task's score is done: never lose it over the extras
        logger.warning("%s: per-item scores not kept (%s)", task.metadata.name, exc)


def _evaluate_one(
    embedder: Embedder,
    task: AbsTask,
    *,
    config: RunConfig,
    encode_kwargs: dict[str, Any],
    reranker: Any = None,
) -> tuple[TaskResult, float]:

    tmp = Path(tempfile.mkdtemp(prefix="mtebkit-pred-"))
    start = time.perf_counter()
    try:
        # load here (mirror-aware, via the task) so the data outlives mteb.evaluate for item scores
        if not task.data_loaded:
            task.load_data()
        if reranker is not None:
            from mtebkit._two_stage import evaluate_two_stage

            (result,) = evaluate_two_stage(
                embedder,
                reranker,
                [task],
                top_k=config.rerank_top_k,
                encode_kwargs=encode_kwargs,
            )
        else:
            from mtebkit._two_stage import evaluate_one

            result = evaluate_one(
                embedder,
                task,
                encode_kwargs=encode_kwargs,
                prediction_folder=tmp if config.keep_item_scores else None,
            )
        seconds = time.perf_counter() - start
        if config.keep_item_scores and reranker is None:
            path = result_path(config.results_dir, embedder.mteb_model_meta, task.metadata.name)
            _save_item_scores(task, tmp, path.parent)
        return result, seconds
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if task.data_loaded:
            task.unload_data()


def _quiet_hf_progress() -> None:
    """datasets' per-map progress bars ("Standardizing text corpus format") are noise here."""
    try:
        import datasets

        datasets.disable_progress_bars()
    except ImportError:  # pragma: no cover - datasets comes with mteb
        pass


def _variants(config: RunConfig) -> list[bool]:
    """Instruction settings to run: both for an ablation, else the configured one."""
    return [True, False] if config.instruction_ablation else [config.use_instructions]


def run_evaluation(
    config: RunConfig,
    *,
    on_record: Callable[[TaskRecord], None] | None = None,
) -> list[TaskRecord]:
    """Evaluate every model of ``config`` on its tasks; return one record per task split.

    Results are written to ``config.results_dir`` as soon as each task finishes. A task already
    done with identical settings is skipped unless ``config.overwrite``; one done with different
    settings under the same experiment name is refused rather than silently replaced.
    """
    from mtebkit._embedder import QUERY_TASK_TYPES, Embedder

    _quiet_hf_progress()
    tasks = _resolve_tasks(config)
    cache = _make_cache(config)
    records: list[TaskRecord] = []
    spec_instructions = {
        t.metadata.name: getattr(t, "query_instruction", None)
        for t in tasks
        if hasattr(t, "query_instruction")
    }
    reranker = None
    if config.reranker:
        from mtebkit._reranker import Reranker

        reranker = Reranker(config.reranker, use_fp16=config.use_fp16, devices=config.devices)

    for model_name in config.models:
        kwargs: dict[str, Any] = {
            "preset": config.preset,
            "use_fp16": config.use_fp16,
            "dtype": config.dtype,
            "task_instructions": config.task_instructions,
            "spec_instructions": spec_instructions,
            "cache": cache,
            "show_progress_bar": config.show_progress,
        }
        if config.max_length:
            kwargs["max_length"] = config.max_length
        if config.batch_size:
            kwargs["batch_size"] = config.batch_size
        if config.devices:
            kwargs["devices"] = list(config.devices)
        embedder = Embedder(model_name, **kwargs)
        encode_kwargs: dict[str, Any] = {
            "batch_size": embedder.batch_size,
            "show_progress_bar": False,
        }

        for use_instr in _variants(config):
            embedder.use_instructions = use_instr
            exp = _experiment_kwargs(embedder, config, embedder.defaults)
            if reranker is not None:
                exp["reranker"] = str(reranker.mteb_model_meta.name).replace("/", "__")
                exp["rerank_top_k"] = config.rerank_top_k
            embedder.set_experiment(exp)
            meta = embedder.mteb_model_meta
            for task in tasks:
                two_stage = reranker is not None and task.metadata.type in QUERY_TASK_TYPES
                if (
                    config.instruction_ablation
                    and not use_instr
                    and task.metadata.type not in QUERY_TASK_TYPES
                ):
                    continue  # instructions never reach other task types: nothing to ablate
                if reranker is not None and not two_stage:
                    embedder.set_experiment(
                        {k: v for k, v in exp.items() if not k.startswith("rerank")}
                    )
                    meta = embedder.mteb_model_meta
                path = result_path(config.results_dir, meta, task.metadata.name)
                settings = _settings_record(
                    embedder, task, reranker if two_stage else None, config.rerank_top_k
                )
                done = _already_done(path, settings, overwrite=config.overwrite)
                if done is not None:
                    recs = _records_from(
                        done,
                        model=meta.name or model_name,
                        experiment=meta.experiment_name,
                        seconds=0.0,
                        status="skipped",
                        path=path,
                    )
                else:
                    result, seconds = _evaluate_one(
                        embedder,
                        task,
                        config=config,
                        encode_kwargs=encode_kwargs,
                        reranker=reranker if two_stage else None,
                    )
                    path = write_task_result(config.results_dir, meta, result, settings)
                    recs = _records_from(
                        result,
                        model=meta.name or model_name,
                        experiment=meta.experiment_name,
                        seconds=seconds,
                        status="ran",
                        path=path,
                    )
                for r in recs:
                    records.append(r)
                    if on_record is not None:
                        on_record(r)
                if reranker is not None and not two_stage:
                    embedder.set_experiment(exp)
                    meta = embedder.mteb_model_meta
    return records


def _already_done(path: Path, settings: Mapping[str, Any], *, overwrite: bool) -> TaskResult | None:
    """The existing result for identical settings, None if the task must run."""
    if overwrite or not path.exists():
        return None
    from mteb.results import TaskResult

    block = read_mtebkit_block(path)
    if block is None:
        raise ResultsError(
            f"{path} exists but was not written by mtebkit (no settings recorded); "
            "use --overwrite to replace it or choose another --results folder"
        )
    old = _comparable(block.get("settings", {}))
    new = _comparable(settings)
    if old != new:
        diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        raise ResultsError(
            f"{path} holds a result computed with different settings ({', '.join(diff)}); "
            "use --overwrite to replace it, or another --results folder to keep both"
        )
    return TaskResult.from_disk(path)
