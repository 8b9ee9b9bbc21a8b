"""mtebkit: evaluate text-embedding models and rerankers on MTEB and C-MTEB.

The public surface is listed in ``__all__``. Heavy dependencies (torch, transformers, mteb)
are imported only when a name that needs them is first used, so ``import mtebkit`` is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mtebkit._errors import (
    DataError,
    DuplicateNameError,
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
from mtebkit._lazy import lazy_exports

__version__ = "0.1.0"

# public name -> module that defines it (imported lazily on first access)
_LAZY: dict[str, str] = {
    # model side
    "Embedder": "mtebkit._embedder",
    "ModelPreset": "mtebkit._presets",
    "get_preset": "mtebkit._presets",
    "list_presets": "mtebkit._presets",
    "resolve_model": "mtebkit._resolve",
    "ResolvedModel": "mtebkit._resolve",
    "Reranker": "mtebkit._reranker",
    "evaluate_two_stage": "mtebkit._two_stage",
    # running
    "RunConfig": "mtebkit._runner",
    "run_evaluation": "mtebkit._runner",
    # tasks
    "get_tasks": "mtebkit.tasks",
    "list_tasks": "mtebkit.tasks",
    # embedding cache
    "EmbeddingCache": "mtebkit.embedding_cache",
    # aggregation shared by reports and the CI gate
    "aggregate_benchmark": "mtebkit.benchmarks",
}

__all__ = [
    "DataError",
    "DuplicateNameError",
    "Embedder",
    "EmbeddingCache",
    "HashMismatchError",
    "InputTextError",
    "MirrorMissingError",
    "ModelIntegrityError",
    "ModelNotFoundError",
    "ModelPreset",
    "MtebkitError",
    "RegistryError",
    "Reranker",
    "ResolvedModel",
    "ResultsError",
    "RunConfig",
    "TaskSpecError",
    "UnknownNameError",
    "__version__",
    "aggregate_benchmark",
    "evaluate_two_stage",
    "get_preset",
    "get_tasks",
    "list_presets",
    "list_tasks",
    "resolve_model",
    "run_evaluation",
]


__getattr__, __dir__ = lazy_exports("mtebkit", _LAZY, globals(), __all__)

if TYPE_CHECKING:  # pragma: no cover
    from mtebkit._embedder import Embedder
    from mtebkit._presets import ModelPreset, get_preset, list_presets
    from mtebkit._reranker import Reranker
    from mtebkit._resolve import ResolvedModel, resolve_model
    from mtebkit._runner import RunConfig, run_evaluation
    from mtebkit._two_stage import evaluate_two_stage
    from mtebkit.benchmarks import aggregate_benchmark
    from mtebkit.embedding_cache import EmbeddingCache
    from mtebkit.tasks import get_tasks, list_tasks
