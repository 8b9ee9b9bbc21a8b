"""The model layer: presets, offline-first resolution, the embedder and reranker adapters,
the embedding cache and exact search.

Everything here knows models and vectors; nothing here knows tasks, results or reports.
Names are imported lazily, so ``import mtebkit.models`` does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mtebkit._util.lazy import lazy_exports

__all__ = [
    "DEFAULT_TEMPLATE",
    "ENGINE_VERSION",
    "MINILM_ID",
    "QUERY_TASK_TYPES",
    "BGEM3FlagModel",
    "BatchRunner",
    "Embedder",
    "EmbedderConfig",
    "EmbeddingCache",
    "EncoderOptions",
    "EncodingEngine",
    "EncodingSettings",
    "EncodingStats",
    "FlagICLModel",
    "FlagLLMModel",
    "FlagLLMReranker",
    "FlagModel",
    "FlagReranker",
    "InstructionPolicy",
    "ModelPreset",
    "Progress",
    "Reranker",
    "RerankerConfig",
    "RerankerPreset",
    "ResolvedModel",
    "TqdmProgress",
    "VectorCache",
    "VectorVariant",
    "batches_run_by",
    "config_dim",
    "configure_embedder",
    "configure_reranker",
    "embedder_settings_record",
    "exact_search",
    "fingerprint_weights",
    "get_preset",
    "get_reranker_preset",
    "join_doc",
    "list_presets",
    "list_reranker_presets",
    "resolve_model",
    "text_key",
    "vector_variants",
]

__getattr__, __dir__ = lazy_exports(globals())

if TYPE_CHECKING:  # pragma: no cover
    from mtebkit._util.progress import Progress, TqdmProgress
    from mtebkit.models._cache import EmbeddingCache, VectorCache
    from mtebkit.models._configure import (
        EmbedderConfig,
        RerankerConfig,
        configure_embedder,
        configure_reranker,
    )
    from mtebkit.models._embedder import Embedder, embedder_settings_record
    from mtebkit.models._encoding_stats import EncodingStats
    from mtebkit.models._engine import BatchRunner, EncodingEngine, batches_run_by, text_key
    from mtebkit.models._flag import FlagICLModel, FlagLLMModel, FlagModel, FlagReranker
    from mtebkit.models._instructions import DEFAULT_TEMPLATE, QUERY_TASK_TYPES, InstructionPolicy
    from mtebkit.models._llm_reranker import FlagLLMReranker
    from mtebkit.models._m3 import BGEM3FlagModel
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
    from mtebkit.models._resolve import MINILM_ID, ResolvedModel, fingerprint_weights, resolve_model
    from mtebkit.models._search import exact_search
    from mtebkit.models._settings import ENGINE_VERSION, EncodingSettings
    from mtebkit.models._texts import join_doc
    from mtebkit.models._variants import VectorVariant, config_dim, vector_variants
