"""Executing a plan: an :class:`Executor` runs jobs, the driver files what comes back.

An executor only evaluates: it builds each job's model and task, runs mteb, and hands back a
:class:`~mtebkit.evaluation._jobs.JobOutcome` (the result, the settings actually used, the
model's meta, the per-item scores). :func:`execute` writes every file itself, so an executor
needs no access to the results folder (a Ray worker on another machine has none).

:class:`InProcessExecutor` runs jobs one after the other in this process, loading each model
once for all of its jobs. A job that fails with an :class:`~mtebkit.errors.MtebkitError` does
not stop the others; :func:`execute` raises :class:`~mtebkit.errors.EvaluationError` naming
every failed job once the others are filed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import shutil
import socket
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mtebkit._util.atomic import atomic_write_text
from mtebkit.errors import EvaluationError, MtebkitError, ResultsError
from mtebkit.evaluation._jobs import (
    Job,
    JobOutcome,
    ModelSpec,
    RerankerSpec,
    TaskRecord,
)
from mtebkit.evaluation._progress import ProgressReporter
from mtebkit.evaluation._two_stage import evaluate_depth_sweep, evaluate_one
from mtebkit.results import (
    differences,
    encoding_of,
    item_scores_from_predictions,
    item_scores_path,
    settings_record,
    task_result_json,
    write_item_scores,
    write_model_meta,
)

if TYPE_CHECKING:
    from mteb.results import TaskResult

    from mtebkit.models import Embedder, Reranker, VectorCache

__all__ = [
    "Executor",
    "InProcessExecutor",
    "LoadedModels",
    "evaluate_job",
    "execute",
    "records_of",
]

logger = logging.getLogger(__name__)


class Executor(Protocol):
    """Runs jobs and yields one outcome per job (in any order)."""

    def run(self, jobs: Sequence[Job]) -> Iterator[JobOutcome]:
        """Evaluate ``jobs``; a job that fails yields an outcome with ``error`` set."""
        ...


def _quiet_hf_progress() -> None:
    """datasets' per-map progress bars ("Standardizing text corpus format") are noise here."""
    import datasets

    datasets.disable_progress_bars()


def evaluate_job(
    job: Job,
    embedder: Embedder,
    reranker: Reranker | None = None,
    *,
    swept: dict[int, tuple[TaskResult, float]] | None = None,
    progress: ProgressReporter | None = None,
) -> JobOutcome:
    """Run one job with a loaded embedder (and reranker for a two-stage job).

    ``progress`` hears the task's size once its data is loaded, and why a query instruction
    of its spec is not applied.

    For a depth sweep, ``swept`` holds the results of the sweep's other depths: the first of
    its jobs computes them all and leaves them there; the others take theirs from it.
    """
    model = embedder.variant(
        use_instructions=job.use_instructions,
        experiment_kwargs=dict(job.experiment_kwargs),
        vectors=job.vectors,
    )
    # variants of one task follow each other: keep its full vectors for the next variant
    if job.vectors is not None:
        model.reuse.start(job.task)
    else:
        model.reuse.stop()
    reused_before = (model.reuse.texts, model.reuse.tokens)
    task = job.task.build()
    # the planner's builder, given what ran: the loaded model's record (its cpu_kernels known)
    settings = settings_record(
        model.settings_record(),
        query_instruction=model.instruction_for(task.metadata.name, job.task_type),
        reranker=None if reranker is None else reranker.settings_record(),
        rerank_top_k=job.rerank_top_k,
        first_stage=None if job.first_stage is None else job.first_stage.settings_record(),
        eval_splits=None if job.task.eval_splits is None else task.eval_splits,
    )
    if progress is not None:
        ignored = model.policy.ignored_spec_instruction(task.metadata.name, job.task_type)
        if ignored:
            progress.note(ignored)
    if swept is not None and job.rerank_top_k in swept:
        result, seconds = swept.pop(job.rerank_top_k)
        return _outcome(job, model, result, settings, seconds=seconds, reused_before=reused_before)
    encode_kwargs: dict[str, Any] = {"batch_size": model.batch_size, "show_progress_bar": False}
    keep_items = job.keep_item_scores and reranker is None
    keep_predictions = job.save_predictions and reranker is None
    tmp = Path(tempfile.mkdtemp(prefix="mtebkit-pred-"))
    stack = contextlib.ExitStack()
    start = time.perf_counter()
    try:
        # mteb both logs and warns that a task is superseded: keep the log line, drop the copy
        stack.enter_context(warnings.catch_warnings())
        warnings.filterwarnings("ignore", message=r"The task '.*' is superseded by", append=False)
        # load here (mirror-aware, via the task) so the data outlives mteb.evaluate for item scores
        task.load_data()
        if progress is not None:
            progress.task_sized(loaded_texts(task.dataset))
        if reranker is not None:
            depth = job.rerank_top_k or 100
            fixed = {task.metadata.name: job.first_stage} if job.first_stage else None
            (by_depth,) = evaluate_depth_sweep(
                model,
                reranker,
                [task],
                depths=sorted({depth, *job.rerank_sweep}),
                encode_kwargs=encode_kwargs,
                first_stage=fixed,
                strict_depth=job.strict_depth,
            )
            result = by_depth.pop(depth)
            if swept is not None:  # the sweep's time is filed with its first depth
                swept.update({d: (r, 0.0) for d, r in by_depth.items()})
        else:
            if keep_items or keep_predictions:  # mteb writes <task>_predictions.json there
                predictions_file_name(task.metadata.name)
            result = evaluate_one(
                model,
                task,
                encode_kwargs=encode_kwargs,
                prediction_folder=tmp if keep_items or keep_predictions else None,
            )
        seconds = time.perf_counter() - start
        items = _item_scores(task, tmp) if keep_items else None
        predictions = _predictions_text(task, tmp) if keep_predictions else None
    finally:
        stack.close()
        shutil.rmtree(tmp, ignore_errors=True)
        if task.data_loaded:
            task.unload_data()
    return _outcome(
        job,
        model,
        result,
        settings,
        seconds=seconds,
        items=items,
        predictions=predictions,
        reused_before=reused_before,
    )


_TEXT_COLUMNS = ("text", "sentence1", "sentence2", "sentences")


def loaded_texts(data: Any) -> int:
    """About how many texts a loaded task encodes (for the time left): the text columns' rows
    of every split (qrels and candidate lists are not texts)."""
    import datasets

    if isinstance(data, datasets.Dataset):
        return len(data) * sum(c in _TEXT_COLUMNS for c in data.column_names)
    if isinstance(data, Mapping):
        return sum(
            loaded_texts(v) for k, v in data.items() if k not in ("relevant_docs", "top_ranked")
        )
    return 0


def planned_texts(job: Job) -> int | None:
    """The texts a job's task encodes, from the statistics mteb ships for its splits (None when
    it has none, as for custom tasks: counted when the task loads)."""
    try:
        task = job.task.build()
        stats: Mapping[str, Any] = task.metadata.descriptive_stats or {}
        total = 0
        for split in task.eval_splits:
            entry = stats.get(split)
            if not isinstance(entry, Mapping):
                return None
            if "num_documents" in entry:
                total += int(entry["num_documents"]) + int(entry.get("num_queries") or 0)
            elif "text1_statistics" in entry:  # pairs: both sides are encoded
                total += 2 * int(entry["num_samples"])
            else:
                total += int(entry["num_samples"])
        train = stats.get(getattr(task, "train_split", None) or "")
        if isinstance(train, Mapping) and task.metadata.type == "Classification":
            total += int(train["num_samples"])  # at most: mteb encodes a sample of it
        return total
    # an estimate never stops a run: a task that cannot be built here fails where it runs,
    # with its own error; stored statistics of another shape (or none) give no estimate
    except (MtebkitError, OSError, LookupError, TypeError, ValueError):
        return None


def _outcome(
    job: Job,
    model: Embedder,
    result: TaskResult,
    settings: dict[str, Any],
    *,
    seconds: float,
    items: dict[str, Any] | None = None,
    predictions: str | None = None,
    reused_before: tuple[int, int] = (0, 0),
) -> JobOutcome:
    return JobOutcome(
        job=job,
        result=result,
        settings=settings,
        model_meta=model.mteb_model_meta.to_dict(),
        item_scores=items,
        predictions=predictions,
        seconds=seconds,
        where={
            "executor": "in-process",
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "devices": list(model.devices),
            "encoding": model.encoding_record(),
            **_reused(model, reused_before),
        },
    )


def _reused(model: Embedder, before: tuple[int, int]) -> dict[str, Any]:
    """``vectors_reused``: what this job took from another variant's encoding (provenance)."""
    texts, tokens = model.reuse.texts - before[0], model.reuse.tokens - before[1]
    return {"vectors_reused": {"texts": texts, "tokens": tokens}} if texts else {}


def _predictions_text(task: Any, predictions_dir: Path) -> str | None:
    """mteb's predictions file as it wrote it (returned, so the driver files it); None if none."""
    pred = predictions_dir / predictions_file_name(task.metadata.name)
    try:
        return pred.read_text(encoding="utf-8") if pred.exists() else None
    except OSError as exc:
        logger.warning("%s: predictions not kept (%s)", task.metadata.name, exc)
        return None


def predictions_file_name(task_name: str) -> str:
    """mteb's name for a task's predictions (``prediction_folder`` of ``mteb.evaluate``); a
    task name that cannot be part of a path is refused (ResultsError)."""
    from mtebkit._util.paths import safe_name

    return f"{safe_name(task_name, kind='task')}_predictions.json"


def _item_scores(task: Any, predictions_dir: Path) -> dict[str, Any] | None:
    """Per-pair / per-query scores from mteb's predictions file; None if there is none."""
    pred = predictions_dir / predictions_file_name(task.metadata.name)
    if not pred.exists():
        return None
    try:
        predictions = json.loads(pred.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # the task's score is done: never lose it over extras
        logger.warning("%s: per-item scores not kept (%s)", task.metadata.name, exc)
        return None
    return item_scores_from_predictions(task, predictions)


class LoadedModels:
    """Keeps one embedder (and the rerankers) loaded across jobs, so equal ``ModelSpec``s load once.

    Used by :class:`InProcessExecutor` and by each Ray worker. A job that fails with an
    :class:`~mtebkit.errors.MtebkitError` yields an outcome with ``error`` set.
    """

    def __init__(
        self,
        *,
        cache: VectorCache | None = None,
        show_progress: bool = False,
        progress: ProgressReporter | None = None,
    ) -> None:
        self.cache = cache
        self.show_progress = show_progress
        self.progress = progress
        self.loaded: tuple[ModelSpec, Embedder] | None = None
        self.rerankers: dict[RerankerSpec, Reranker] = {}
        self.swept: dict[tuple[Any, ...], dict[int, tuple[TaskResult, float]]] = {}

    def embedder(self, spec: ModelSpec) -> Embedder:
        """The embedder of ``spec``, loaded once (the previous model is freed first)."""
        if self.loaded is None or self.loaded[0] != spec:
            self.loaded = None  # free the previous model before loading the next
            emb = spec.build(cache=self.cache)
            emb.show_progress_bar = self.show_progress and self.progress is None
            if self.progress is not None:
                emb.progress = self.progress.encoding
            self.loaded = (spec, emb)
        return self.loaded[1]

    def evaluate(self, job: Job) -> JobOutcome:
        try:
            embedder = self.embedder(job.model)
            reranker = None
            if job.reranker is not None:
                if job.reranker not in self.rerankers:
                    rr = job.reranker.build()
                    if self.progress is not None:
                        rr.progress = self.progress.scoring
                    self.rerankers[job.reranker] = rr
                reranker = self.rerankers[job.reranker]
            swept = self.swept.setdefault(job.sweep_key, {}) if job.rerank_sweep else None
            return evaluate_job(job, embedder, reranker, swept=swept, progress=self.progress)
        except MtebkitError as exc:
            return JobOutcome(job=job, error=str(exc))


class InProcessExecutor:
    """Runs jobs here, one at a time, keeping one model loaded while its jobs run.

    Args:
        cache: the embedding cache every model reads and writes (None: no cache).
        show_progress: tqdm's per-text bar while encoding (when there is no ``progress``).
        progress: reports task n of N, texts encoded, texts/s and the ETA.
    """

    def __init__(
        self,
        *,
        cache: VectorCache | None = None,
        show_progress: bool = False,
        progress: ProgressReporter | None = None,
    ) -> None:
        self.progress = progress
        self.models = LoadedModels(cache=cache, show_progress=show_progress, progress=progress)

    def run(self, jobs: Sequence[Job]) -> Iterator[JobOutcome]:
        _quiet_hf_progress()
        models = self.models
        if self.progress is not None:
            self.progress.plan([planned_texts(job) for job in jobs])
        for n, job in enumerate(jobs, start=1):
            if self.progress is not None:
                self.progress.task_started(n, len(jobs), job.label)
            with _routed_warnings(self.progress):
                outcome = models.evaluate(job)
            if self.progress is not None:
                self.progress.task_finished()
            yield outcome


class _NoteHandler(logging.Handler):
    def __init__(self, progress: ProgressReporter) -> None:
        super().__init__(logging.WARNING)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        self.progress.note(record.getMessage().splitlines()[0] if record.getMessage() else "")


_EXPERIMENT = re.compile(r"Running experiment \((\d+)/(\d+)\)")


class _PhaseHandler(logging.Handler):
    """mteb's classification logs "Running experiment (i/n)" before each classifier it trains:
    the scoring phase's progress."""

    def __init__(self, progress: ProgressReporter) -> None:
        super().__init__(logging.INFO)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno == logging.INFO:
            m = _EXPERIMENT.match(record.getMessage())
            if m:
                self.progress.experiment(int(m.group(1)), int(m.group(2)))


@contextlib.contextmanager
def _routed_warnings(progress: ProgressReporter | None) -> Iterator[None]:
    """During one task: mteb's log warnings and ``warnings`` go through ``progress`` (once
    per task, on their own line), or nowhere when there is no progress (``-q``); mteb's own
    tqdm bars are off."""
    mteb_logger = logging.getLogger("mteb")
    saved = (mteb_logger.level, mteb_logger.propagate, os.environ.get("TQDM_DISABLE"))
    os.environ["TQDM_DISABLE"] = "1"
    handlers: list[logging.Handler] = (
        [_NoteHandler(progress), _PhaseHandler(progress)] if progress is not None else []
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mteb_logger.propagate = False
        if handlers:
            for h in handlers:
                mteb_logger.addHandler(h)
            mteb_logger.setLevel(logging.INFO)  # INFO only for the phase handler
        else:
            mteb_logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for h in handlers:
                mteb_logger.removeHandler(h)
            mteb_logger.setLevel(saved[0])
            mteb_logger.propagate = saved[1]
            if saved[2] is None:
                os.environ.pop("TQDM_DISABLE", None)
            else:
                os.environ["TQDM_DISABLE"] = saved[2]
            if progress is not None:
                for w in caught:
                    progress.note(f"{w.category.__name__}: {str(w.message).splitlines()[0]}")


def records_of(
    result: TaskResult,
    job: Job,
    *,
    seconds: float,
    status: str,
    path: Path,
    encoding: Mapping[str, Any] | None = None,
    reused: Mapping[str, int] | None = None,
    model_languages: Sequence[str] | None = None,
) -> list[TaskRecord]:
    """One record per (split, subset) of a result (``encoding``: the task's encoding record;
    the reuse counts go on the first; ``model_languages``: those the model declares)."""
    out: list[TaskRecord] = []
    for split, rows in result.scores.items():
        for row in rows:
            out.append(
                TaskRecord(
                    model=job.model_name,
                    experiment=job.experiment,
                    task=result.task_name,
                    split=split,
                    subset=str(row.get("hf_subset", "default")),
                    main_score=float(row["main_score"]),
                    seconds=seconds,
                    status=status,
                    path=path,
                    encoding=encoding,
                    reused_texts=0 if out or not reused else int(reused.get("texts", 0)),
                    reused_tokens=0 if out or not reused else int(reused.get("tokens", 0)),
                    languages=tuple(str(x) for x in row.get("languages") or ()),
                    model_languages=tuple(model_languages or ()),
                )
            )
    return out


def _declared_languages(folder: Path) -> list[str] | None:
    """The languages of the ``model_meta.json`` beside a result (None: unreadable or none)."""
    try:
        meta = json.loads((folder / "model_meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    langs = meta.get("languages") if isinstance(meta, dict) else None
    return [str(x) for x in langs] if isinstance(langs, list) else None


def _check_outcome(outcome: JobOutcome) -> None:
    """The model that ran must be the one planned: same name, revision, experiment, settings."""
    job = outcome.job
    meta = outcome.model_meta
    ran = (meta.get("name"), meta.get("revision"))
    if ran != (job.model_name, job.revision):
        raise MtebkitError(
            f"{job.label}: the model that ran is {ran[0]}@{ran[1]}, not the planned "
            f"{job.model_name}@{job.revision}; nothing was written"
        )
    diff = differences(job.settings, outcome.settings)
    if diff:
        raise MtebkitError(
            f"{job.label}: the settings that ran differ from the planned ones ({', '.join(diff)}); "
            "nothing was written"
        )


def undefined_scores(result: TaskResult) -> list[str]:
    """``split (subset) = value`` for every main score that is not a finite number."""
    bad = []
    for split, rows in result.scores.items():
        for row in rows:
            value = row.get("main_score")
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                bad.append(f"{split} ({row.get('hf_subset', 'default')}) = {value}")
    return bad


def _check_scores(outcome: JobOutcome) -> None:
    """An undefined main score (NaN: e.g. constant gold scores) is never filed as a result."""
    assert outcome.result is not None
    bad = undefined_scores(outcome.result)
    if bad:
        raise MtebkitError(
            f"{outcome.job.label}: the main score is undefined ({'; '.join(bad)}), e.g. an STS "
            "split whose gold scores are all equal; nothing was written"
        )


def file_outcome(outcome: JobOutcome) -> Path:
    """Write an outcome's files: item scores and predictions, then ``model_meta.json``, then
    the result.

    The result file is written last: its presence means "done", so a run killed in between
    recomputes the task rather than keeping item scores that belong to no result.
    """
    job = outcome.job
    assert outcome.result is not None
    _check_outcome(outcome)
    _check_scores(outcome)
    path = job.result_path
    try:
        if outcome.item_scores is not None:
            write_item_scores(outcome.item_scores, item_scores_path(path.parent, job.task.name))
        if outcome.predictions is not None:  # beside the result, as mteb names it
            atomic_write_text(
                path.parent / predictions_file_name(job.task.name), outcome.predictions
            )
        write_model_meta(path.parent, outcome.model_meta)
        atomic_write_text(
            path,
            task_result_json(outcome.result, outcome.settings, provenance=outcome.where or None),
        )
    except OSError as exc:  # disk full, read-only: the atomic writes leave nothing half-written
        raise ResultsError(
            f"{job.label}: cannot write its result to {path.parent}: {exc}; nothing was written"
        ) from None
    return path


def execute(
    jobs: Sequence[Job],
    executor: Executor,
    *,
    on_record: Callable[[TaskRecord], None] | None = None,
) -> list[TaskRecord]:
    """Run the jobs that are not done on ``executor`` and file their results.

    Returns one record per (task, split, subset), in plan order: ``"skipped"`` for jobs already
    done, ``"ran"`` for the others. Raises :class:`EvaluationError` after filing everything
    else when any job failed.
    """
    from mteb.results import TaskResult

    by_index: dict[int, list[TaskRecord]] = {}
    failures: list[tuple[str, str]] = []
    todo = [j for j in jobs if j.status == "todo"]
    # outcomes may come back as copies (another process): find their job by its result path
    position = {j.result_path: i for i, j in enumerate(jobs)}
    emitted = 0

    def flush(upto: int) -> None:
        nonlocal emitted
        while emitted < upto:
            for r in by_index.get(emitted, []):
                if on_record is not None:
                    on_record(r)
            emitted += 1

    for i, job in enumerate(jobs):
        if job.status == "done":
            done = TaskResult.from_disk(job.result_path)
            by_index[i] = records_of(
                done,
                job,
                seconds=0.0,
                status="skipped",
                path=job.result_path,
                encoding=encoding_of(job.result_path),
                model_languages=_declared_languages(job.result_path.parent),
            )
    finished: set[int] = {i for i, j in enumerate(jobs) if j.status == "done"}
    for outcome in executor.run(todo):
        i = position[outcome.job.result_path]
        finished.add(i)
        if outcome.error is not None or outcome.result is None:
            failures.append((outcome.job.label, outcome.error or "no result"))
            by_index[i] = []
        else:
            try:
                path = file_outcome(outcome)
            except ResultsError as exc:
                # the results folder is unusable (disk full, read-only): later tasks would be
                # computed only to be lost, so stop here
                failures.append((outcome.job.label, str(exc)))
                by_index[i] = []
                break
            except MtebkitError as exc:
                failures.append((outcome.job.label, str(exc)))
                by_index[i] = []
            else:
                # the records show what was filed (scores rounded as in the file), read back
                by_index[i] = records_of(
                    TaskResult.from_disk(path),
                    outcome.job,
                    seconds=outcome.seconds,
                    status="ran",
                    path=path,
                    encoding=outcome.where.get("encoding"),
                    reused=outcome.where.get("vectors_reused"),
                    model_languages=outcome.model_meta.get("languages"),
                )
        upto = emitted
        while upto in finished:
            upto += 1
        flush(upto)
    flush(len(jobs))
    records = [r for i in range(len(jobs)) for r in by_index.get(i, [])]
    if failures:
        lines = "\n  ".join(f"{label}: {msg}" for label, msg in failures)
        raise EvaluationError(
            f"{len(failures)} of {len(todo)} task(s) failed (the others were written):\n  {lines}",
            failures,
            list(records),
        )
    return records
