"""The evaluation layer: plan a run into jobs, execute them, file the results.

``plan(config) -> list[Job]`` decides everything before a model loads (experiment folders,
result paths, recorded settings, what is already done); ``execute(jobs, executor)`` runs the
rest on an :class:`Executor` (in this process, or :class:`RayExecutor` on a Ray cluster) and
writes every file; ``run_evaluation`` does both; ``estimate(config)`` says what a plan will cost (a dry run:
:class:`PlanEstimate`), loading nothing but the tokenizer. Two-stage
retrieval (embed, then rerank) is :func:`evaluate_two_stage`; several depths from one first
stage, or fixed candidates (:class:`FirstStageRun`), :func:`evaluate_depth_sweep`. Names are imported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mtebkit._util.lazy import lazy_exports

__all__ = [
    "Cli",
    "Executor",
    "ExecutorOptions",
    "FirstStageRun",
    "InProcessExecutor",
    "Job",
    "JobEstimate",
    "JobOutcome",
    "ModelSpec",
    "NotInMirror",
    "OutputOptions",
    "PlanEstimate",
    "ProgressReporter",
    "RayExecutor",
    "ReproductionPlan",
    "RerankOptions",
    "RerankerSpec",
    "RunConfig",
    "RuntimeOptions",
    "TaskRecord",
    "TaskRef",
    "TaskSelection",
    "Throughput",
    "VariantOptions",
    "estimate",
    "evaluate_depth_sweep",
    "evaluate_one",
    "evaluate_two_stage",
    "execute",
    "make_executor",
    "model_for_published",
    "plan",
    "plan_reproduction",
    "predictions_file_name",
    "read_run_file",
    "run_evaluation",
    "run_reproduction",
    "task_splits",
]

__getattr__, __dir__ = lazy_exports(globals())

if TYPE_CHECKING:  # pragma: no cover
    from mtebkit.evaluation._config import (
        Cli,
        ExecutorOptions,
        OutputOptions,
        RerankOptions,
        RunConfig,
        RuntimeOptions,
        TaskSelection,
        VariantOptions,
        read_run_file,
    )
    from mtebkit.evaluation._estimate import JobEstimate, PlanEstimate, Throughput, estimate
    from mtebkit.evaluation._execute import (
        Executor,
        InProcessExecutor,
        execute,
        predictions_file_name,
    )
    from mtebkit.evaluation._executors import make_executor
    from mtebkit.evaluation._first_stage import FirstStageRun
    from mtebkit.evaluation._jobs import (
        Job,
        JobOutcome,
        ModelSpec,
        RerankerSpec,
        TaskRecord,
        TaskRef,
    )
    from mtebkit.evaluation._plan import plan
    from mtebkit.evaluation._progress import ProgressReporter
    from mtebkit.evaluation._ray import RayExecutor
    from mtebkit.evaluation._reproduce import (
        NotInMirror,
        ReproductionPlan,
        model_for_published,
        plan_reproduction,
        run_reproduction,
    )
    from mtebkit.evaluation._runner import run_evaluation
    from mtebkit.evaluation._task_list import task_splits
    from mtebkit.evaluation._two_stage import evaluate_depth_sweep, evaluate_one, evaluate_two_stage
