"""mtebkit: evaluate text-embedding models and rerankers on MTEB and C-MTEB.

The public surface is listed in ``__all__``: the entry points and the types they return.
Layers, each a subpackage with its own ``__all__``: :mod:`mtebkit.models` (embedder,
reranker, presets, embedding cache), :mod:`mtebkit.tasks` (task catalogue, benchmarks,
custom specs, mirrors), :mod:`mtebkit.results` (result files), :mod:`mtebkit.evaluation`
(plan and execute runs), :mod:`mtebkit.reporting` (reports, reproduction, comparison, the CI
gate); errors in :mod:`mtebkit.errors`. Heavy dependencies (torch, transformers, mteb) are
imported only when a name that needs them is first used, so ``import mtebkit`` is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mtebkit._util.lazy import lazy_exports
from mtebkit._version import __version__
from mtebkit.errors import (
    CacheError,
    ConfigError,
    DataError,
    DuplicateNameError,
    EvaluationError,
    HashMismatchError,
    InputTextError,
    MirrorMissingError,
    ModelIntegrityError,
    ModelNotFoundError,
    MtebkitError,
    RegistryError,
    ResultsError,
    TaskSpecError,
    UnknownNameError,
    UnsupportedModelError,
)

# the rest of the public surface: imported from its layer's face on first access

__all__ = [
    "BGEM3FlagModel",
    "BenchmarkAggregate",
    "CacheError",
    "ConfigError",
    "DataError",
    "DuplicateNameError",
    "Embedder",
    "EmbeddingCache",
    "EvaluationError",
    "FlagICLModel",
    "FlagLLMModel",
    "FlagLLMReranker",
    "FlagModel",
    "FlagReranker",
    "HashMismatchError",
    "InputTextError",
    "MirrorMissingError",
    "ModelIntegrityError",
    "ModelNotFoundError",
    "MtebkitError",
    "RegistryError",
    "Report",
    "Reranker",
    "ResultSet",
    "ResultsError",
    "RunConfig",
    "TaskInfo",
    "TaskRecord",
    "TaskSpecError",
    "UnknownNameError",
    "UnsupportedModelError",
    "__version__",
    "aggregate_benchmark",
    "build_report",
    "evaluate_two_stage",
    "get_tasks",
    "list_tasks",
    "load_results",
    "run_evaluation",
]

__getattr__, __dir__ = lazy_exports(globals())

if TYPE_CHECKING:  # pragma: no cover
    from mtebkit.evaluation import RunConfig, TaskRecord, evaluate_two_stage, run_evaluation
    from mtebkit.models import (
        BGEM3FlagModel,
        Embedder,
        EmbeddingCache,
        FlagICLModel,
        FlagLLMModel,
        FlagLLMReranker,
        FlagModel,
        FlagReranker,
        Reranker,
    )
    from mtebkit.reporting import BenchmarkAggregate, Report, aggregate_benchmark, build_report
    from mtebkit.results import ResultSet, load_results
    from mtebkit.tasks import TaskInfo, get_tasks, list_tasks
