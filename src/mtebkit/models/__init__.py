"""The model layer: presets, offline-first resolution, the embedder and reranker adapters,
the embedding cache and exact search.

Everything here knows models and vectors; nothing here knows tasks, results or reports.
Names are imported lazily, so ``import mtebkit.models`` does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mtebkit._util.lazy import lazy_exports

_LAZY: dict[str, str] = {
    "Embedder": "mtebkit.models._embedder",
    "EmbeddingCache": "mtebkit.models._cache",
    "VectorCache": "mtebkit.models._cache",
    "EncodingSettings": "mtebkit.models._settings",
    "EncoderOptions": "mtebkit.models._options",
    "InstructionPolicy": "mtebkit.models._instructions",
    "QUERY_TASK_TYPES": "mtebkit.models._instructions",
    "ModelPreset": "mtebkit.models._presets",
    "get_preset": "mtebkit.models._presets",
    "list_presets": "mtebkit.models._presets",
    "ResolvedModel": "mtebkit.models._resolve",
    "resolve_model": "mtebkit.models._resolve",
    "Reranker": "mtebkit.models._reranker",
    "RerankerPreset": "mtebkit.models._presets",
    "get_reranker_preset": "mtebkit.models._presets",
    "list_reranker_presets": "mtebkit.models._presets",
    "exact_search": "mtebkit.models._search",
    "VectorVariant": "mtebkit.models._variants",
}

__all__ = [
    "QUERY_TASK_TYPES",
    "Embedder",
    "EmbeddingCache",
    "EncoderOptions",
    "EncodingSettings",
    "InstructionPolicy",
    "ModelPreset",
    "Reranker",
    "RerankerPreset",
    "ResolvedModel",
    "VectorCache",
    "VectorVariant",
    "exact_search",
    "get_preset",
    "get_reranker_preset",
    "list_presets",
    "list_reranker_presets",
    "resolve_model",
]

__getattr__, __dir__ = lazy_exports("mtebkit.models", _LAZY, globals(), __all__)

if TYPE_CHECKING:  # pragma: no cover
    from mtebkit.models._cache import EmbeddingCache, VectorCache
    from mtebkit.models._embedder import Embedder
    from mtebkit.models._instructions import QUERY_TASK_TYPES, InstructionPolicy
    from mtebkit.models._options import EncoderOptions
    from mtebkit.models._presets import (
        ModelPreset,
        RerankerPreset,
        get_preset,
        get_reranker_preset,
        list_presets,
        list_reranker_presets,
    )
    from mtebkit.models._reranker import Reranker
    from mtebkit.models._resolve import ResolvedModel, resolve_model
    from mtebkit.models._search import exact_search
    from mtebkit.models._settings import EncodingSettings
    from mtebkit.models._variants import VectorVariant
