"""Jobs: one (model, settings variant, task) to evaluate, self-describing and picklable.

A :class:`Job` carries what an executor needs to run it anywhere (how to build the model and
the task) and what the driver needs to file it (the result path, the settings to record, whether
it is already done). Models and tasks are described, not held: ``ModelSpec.build()`` and
``TaskRef.build()`` create them where the job runs, and equal ``ModelSpec``s may share one
loaded model.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from mtebkit.errors import ConfigError
from mtebkit.evaluation._first_stage import FirstStageRun
from mtebkit.models import EncoderOptions

if TYPE_CHECKING:
    from mteb.abstasks.abstask import AbsTask
    from mteb.results import TaskResult

    from mtebkit.models import (
        Embedder,
        EmbedderConfig,
        Reranker,
        RerankerConfig,
        VectorCache,
        VectorVariant,
    )

__all__ = [
    "Job",
    "JobOutcome",
    "ModelSpec",
    "RerankerSpec",
    "TaskRecord",
    "TaskRef",
]


@dataclass(frozen=True)
class ModelSpec:
    """How to build an embedder: the model, its encoder options (the run's, as validated there)
    and where it runs; every option is fixed for a whole run."""

    model: str
    options: EncoderOptions = field(default_factory=EncoderOptions)
    devices: tuple[str, ...] | None = None
    cpu_lanes: int | None = None
    spec_instructions: tuple[tuple[str, str | None], ...] = ()

    def configure(self) -> EmbedderConfig:
        """The embedder's identity and settings, without loading it."""
        from mtebkit.models import configure_embedder

        return configure_embedder(self.model, **self.options.model_kwargs(), devices=self.devices)

    def build(self, cache: VectorCache | None = None) -> Embedder:
        """Load the embedder."""
        from mtebkit.models import Embedder

        extra: dict[str, Any] = {}
        if self.options.batch_size is not None:
            extra["batch_size"] = self.options.batch_size
        return Embedder(
            self.model,
            **self.options.model_kwargs(),
            **extra,
            devices=self.devices,
            cpu_lanes=self.cpu_lanes,
            task_instructions=dict(self.options.task_instructions),
            spec_instructions=dict(self.spec_instructions),
            cache=cache,
        )


@dataclass(frozen=True)
class RerankerSpec:
    """How to build the cross-encoder of a two-stage job."""

    model: str
    use_fp16: bool = True
    devices: tuple[str, ...] | None = None

    def configure(self) -> RerankerConfig:
        from mtebkit.models import configure_reranker

        return configure_reranker(self.model, use_fp16=self.use_fp16, devices=self.devices)

    def build(self) -> Reranker:
        from mtebkit.models import Reranker

        return Reranker(self.model, use_fp16=self.use_fp16, devices=self.devices)


def import_task_class(path: str) -> type[AbsTask]:
    """The mteb task class at ``"package.module:QualName"``; a clear error when it is not one."""
    from mteb.abstasks.abstask import AbsTask

    module, sep, qualname = path.partition(":")
    if not sep or not module or not qualname:
        raise ConfigError(f"task class {path!r}: expected 'package.module:ClassName'")
    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"task class {path!r} cannot be imported: {exc}") from None
    if not (isinstance(obj, type) and issubclass(obj, AbsTask)):
        raise ConfigError(f"{path!r} is not an mteb task class (a subclass of AbsTask)")
    return obj


@dataclass(frozen=True)
class TaskRef:
    """How to build a task: a catalogue name, a task of an mteb benchmark (with its filters),
    or an mteb task class given by its import path (``module:QualName``)."""

    name: str
    data_dir: Path | None = None
    benchmark: str | None = None
    spec_paths: tuple[Path, ...] | None = None
    task_class: str | None = None
    eval_splits: tuple[str, ...] | None = None  # only these splits (None: the task's own)

    @classmethod
    def of_class(cls, task_class: type[AbsTask] | str, data_dir: Path | None = None) -> TaskRef:
        """A task class, or its import path ``"module:QualName"`` (checked now)."""
        if isinstance(task_class, str):
            task_class = import_task_class(task_class)
        return cls(
            task_class.metadata.name,
            data_dir,
            task_class=f"{task_class.__module__}:{task_class.__qualname__}",
        )

    def build(self) -> AbsTask:
        """A fresh task object (data not loaded)."""
        task = self._build()
        if self.eval_splits is not None:
            task.filter_eval_splits(list(self.eval_splits))
        return task

    def _build(self) -> AbsTask:
        from mtebkit.tasks import get_benchmark_task, get_tasks, with_mirror

        if self.task_class is not None:
            return with_mirror(import_task_class(self.task_class)(), self.data_dir)
        if self.benchmark is not None:
            return get_benchmark_task(self.benchmark, self.name, data_dir=self.data_dir)
        (task,) = get_tasks(
            [self.name],
            data_dir=self.data_dir,
            spec_paths=list(self.spec_paths) if self.spec_paths is not None else None,
        )
        return task


@dataclass(frozen=True)
class Job:
    """One task of one model variant. ``status`` is ``"done"`` when an identical result exists."""

    model: ModelSpec
    task: TaskRef
    task_type: str
    use_instructions: bool
    experiment_kwargs: tuple[tuple[str, Any], ...]
    model_name: str
    revision: str
    experiment: str | None
    result_path: Path
    settings: Mapping[str, Any]
    status: Literal["todo", "done"] = "todo"
    reranker: RerankerSpec | None = None
    rerank_top_k: int | None = None
    keep_item_scores: bool = True
    save_predictions: bool = False  # mteb's <Task>_predictions.json beside the result
    # a depth sweep: every depth still to do of this (model, variant, task, reranker), computed
    # together by whichever of their jobs runs first (one stage 1, one reranker pass)
    rerank_sweep: tuple[int, ...] = ()
    first_stage: FirstStageRun | None = None  # fixed candidates instead of the embedder's
    strict_depth: bool = True  # a depth deeper than a query's candidates is an error

    @property
    def sweep_key(self) -> tuple[Any, ...]:
        """Jobs that differ only in their depth share this key (and one computation)."""
        exp = tuple((k, v) for k, v in self.experiment_kwargs if k != "rerank_top_k")
        return (self.model, self.use_instructions, self.task, self.reranker, self.first_stage, exp)

    vectors: VectorVariant | None = None  # --dim / --precision (None: no variants asked for)
    dataset_revision: str | None = None  # the data's identity: other data is not done

    @property
    def label(self) -> str:
        """``model [experiment] / task``, for messages."""
        exp = f" [{self.experiment}]" if self.experiment else ""
        return f"{self.model_name}{exp} / {self.task.name}"

    @property
    def two_stage(self) -> bool:
        return self.reranker is not None


@dataclass(frozen=True)
class JobOutcome:
    """What an executor hands back for a job: the result to file, or why it failed."""

    job: Job
    result: TaskResult | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    model_meta: Mapping[str, Any] = field(default_factory=dict)
    item_scores: Mapping[str, Any] | None = None
    predictions: str | None = None  # mteb's predictions file, as written
    seconds: float = 0.0
    error: str | None = None
    where: Mapping[str, Any] = field(default_factory=dict)


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
    encoding: Mapping[str, Any] | None = None  # the task's encoding record (provenance)
    # texts / tokens of this job served from another variant's encoding (--dim, --precision)
    reused_texts: int = 0
    reused_tokens: int = 0
    languages: tuple[str, ...] = ()  # the split's, as mteb filed them (eng-Latn, ...)
    model_languages: tuple[str, ...] = ()  # the model's declared ones (empty: none declared)
