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
)

# public name -> module that defines it (imported lazily on first access)
_LAZY: dict[str, str] = {
    "Embedder": "mtebkit.models._embedder",
    "Reranker": "mtebkit.models._reranker",
    "EmbeddingCache": "mtebkit.models._cache",
    "RunConfig": "mtebkit.evaluation._config",
    "TaskRecord": "mtebkit.evaluation._jobs",
    "run_evaluation": "mtebkit.evaluation._runner",
    "evaluate_two_stage": "mtebkit.evaluation._two_stage",
    "get_tasks": "mtebkit.tasks._catalog",
    "list_tasks": "mtebkit.tasks._catalog",
    "TaskInfo": "mtebkit.tasks._catalog",
    "load_results": "mtebkit.results._loading",
    "ResultSet": "mtebkit.results._loading",
    "aggregate_benchmark": "mtebkit.reporting._aggregate",
    "BenchmarkAggregate": "mtebkit.reporting._aggregate",
    "build_report": "mtebkit.reporting._report",
    "Report": "mtebkit.reporting._table",
}

__all__ = [
    "BenchmarkAggregate",
    "CacheError",
    "ConfigError",
    "DataError",
    "DuplicateNameError",
    "Embedder",
    "EmbeddingCache",
    "EvaluationError",
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
    "__version__",
    "aggregate_benchmark",
    "build_report",
    "evaluate_two_stage",
    "get_tasks",
    "list_tasks",
    "load_results",
    "run_evaluation",
]

__getattr__, __dir__ = lazy_exports("mtebkit", _LAZY, globals(), __all__)

if TYPE_CHECKING:  # pragma: no cover
    from mtebkit.evaluation._config import RunConfig
    from mtebkit.evaluation._jobs import TaskRecord
    from mtebkit.evaluation._runner import run_evaluation
    from mtebkit.evaluation._two_stage import evaluate_two_stage
    from mtebkit.models._cache import EmbeddingCache
    from mtebkit.models._embedder import Embedder
    from mtebkit.models._reranker import Reranker
    from mtebkit.reporting._aggregate import BenchmarkAggregate, aggregate_benchmark
    from mtebkit.reporting._report import build_report
    from mtebkit.reporting._table import Report
    from mtebkit.results._loading import ResultSet, load_results
    from mtebkit.tasks._catalog import TaskInfo, get_tasks, list_tasks
