"""``Embedder``: a FlagEmbedding-compatible encoder that mteb can evaluate directly.

Two entry points share one encoding engine (:mod:`mtebkit.models._engine`):

* FlagModel's API: ``encode(list_of_str)``, ``encode_queries``, ``encode_corpus``;
* mteb's ``EncoderProtocol`` (:mod:`mtebkit.models._mteb_adapter`): ``encode(DataLoader, *,
  task_metadata, hf_split, hf_subset, prompt_type)``, ``similarity``, ``similarity_pairwise``,
  ``mteb_model_meta``.

Both always return a float32 ``np.ndarray`` of shape ``(n, d)``. :meth:`Embedder.variant` gives
a second facade over the same loaded weights with other instruction or experiment settings.
"""

from __future__ import annotations

import copy
import inspect
import logging
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mtebkit._util.progress import Progress, TqdmProgress
from mtebkit._util.registry import did_you_mean
from mtebkit.errors import ConfigError
from mtebkit.models._cache import VectorCache
from mtebkit.models._configure import UNSET, configure_embedder
from mtebkit.models._encoding_stats import EncodingStats
from mtebkit.models._engine import EncodingEngine
from mtebkit.models._engine_facts import (
    engine_facts_key,
    recall_engine_facts,
    remember_engine_facts,
)
from mtebkit.models._instructions import DEFAULT_TEMPLATE, InstructionPolicy
from mtebkit.models._mteb_adapter import MtebEncoderMixin
from mtebkit.models._presets import ModelPreset, Pooling
from mtebkit.models._resolve import ResolvedModel
from mtebkit.models._settings import EncodingSettings
from mtebkit.models._texts import join_doc, validate_texts
from mtebkit.models._variants import ReuseMemo, VectorVariant

if TYPE_CHECKING:
    from mteb.abstasks.task_metadata import TaskMetadata
    from mteb.models.model_meta import ModelMeta
    from torch.utils.data import DataLoader

__all__ = ["FLAGMODEL_ALIASES", "FLAGMODEL_IGNORED", "Embedder", "embedder_settings_record"]

logger = logging.getLogger(__name__)

# FlagEmbedding's names for options mtebkit spells otherwise: accepted, mapped.
FLAGMODEL_ALIASES: dict[str, str] = {
    "pooling_method": "pooling",
    "normalize_embeddings": "normalize",
    "normlized": "normalize",  # FlagEmbedding 1.0's spelling
    "query_instruction_for_retrieval": "query_instruction",
    "query_instruction_format": "query_template",
}
# FlagEmbedding options that change nothing here: accepted and ignored.
FLAGMODEL_IGNORED: frozenset[str] = frozenset(
    {
        "trust_remote_code",  # models load with transformers' AutoModel, local files only
        "cache_dir",  # nothing is downloaded: models resolve offline-first
        "convert_to_numpy",  # mtebkit always returns a float32 numpy array
    }
)


class Embedder(MtebEncoderMixin):
    """A dense text encoder with the FlagEmbedding ``FlagModel`` interface.

    Args:
        model: local directory or hub id (resolved offline-first, see :func:`resolve_model`).
        revision: pin a hub revision (defaults to the preset's official one).
        preset: apply a known model's settings (name from ``mtebkit models``); by default the
            preset whose name equals ``model`` is used, if any.
        query_instruction: text prepended to queries. Default: the preset's, else none.
        query_template: how it is put in: ``template.format(instruction, query)``; default
            ``"{}{}"`` (FlagModel's ``query_instruction_format``, also accepted).
        pooling, normalize, max_length: default: the preset's, else the model's own
            sentence-transformers configuration, else cls / True / 512.
        use_fp16: half precision on CUDA (ignored, with one notice, on CPU).
        dtype: ``"float32"``, ``"float16"`` or ``"bfloat16"``; wins over ``use_fp16`` and applies
            on any device (bfloat16 on CPU is the user's explicit choice).
        batch_size: texts per forward pass.
        devices: e.g. ``["cuda:0", "cuda:1"]``; default all visible GPUs, else the CPU.
        cpu_lanes: batches encoded at once on CPU, each single-threaded (default: one per core;
            1 gives torch's usual one batch at a time over all cores).
        use_instructions: False turns every query instruction off (``--no-instruction``).
        task_instructions: per-task override ``{task_name: instruction or None}``; wins over
            everything else for that task's queries.
        spec_instructions: instructions declared by custom task specs; used only for models
            that use instructions at all (bge style), in place of the preset's instruction.
        cache: an embedding cache (``mtebkit.EmbeddingCache``) or None.

    FlagModel's own spellings ``pooling_method``, ``normalize_embeddings`` (and ``normlized``),
    ``query_instruction_for_retrieval`` and ``query_instruction_format`` are accepted for
    ``pooling``, ``normalize``, ``query_instruction`` and ``query_template``; ``trust_remote_code``, ``cache_dir`` and ``convert_to_numpy`` are
    accepted and ignored (:data:`FLAGMODEL_IGNORED`). Any other keyword is a ``TypeError``.
    """

    def __init__(
        self,
        model: str | os.PathLike[str],
        revision: str | None = None,
        *,
        preset: str | ModelPreset | None = None,
        query_instruction: str | None = UNSET,
        pooling: Pooling | None = None,
        normalize: bool | None = None,
        max_length: int | None = None,
        use_fp16: bool = True,
        dtype: str | None = None,
        batch_size: int = 64,
        devices: Sequence[str] | str | None = None,
        device: str | None = None,
        cpu_lanes: int | None = None,
        use_instructions: bool = True,
        task_instructions: Mapping[str, str | None] | None = None,
        spec_instructions: Mapping[str, str | None] | None = None,
        cache: VectorCache | None = None,
        show_progress_bar: bool = False,
        query_max_length: int | None = None,
        query_template: str = DEFAULT_TEMPLATE,
        **flagmodel_options: Any,
    ) -> None:
        aliased = _flagmodel_options(flagmodel_options)
        if "query_instruction" in aliased:
            query_instruction = aliased["query_instruction"]
        self.config = configure_embedder(
            model,
            revision,
            preset=preset,
            query_instruction=query_instruction,
            pooling=aliased.get("pooling", pooling),
            normalize=aliased.get("normalize", normalize),
            max_length=max_length,
            use_fp16=use_fp16,
            dtype=dtype,
            devices=devices if devices is not None else device,
            query_max_length=query_max_length,
            query_template=aliased.get("query_template", query_template),
        )
        cfg = self.config
        self.resolved: ResolvedModel = cfg.resolved
        self.preset = cfg.preset
        # What this model is published with: overrides that differ from these name an mteb
        # experiment, so they never mix with the default results.
        self.defaults: dict[str, Any] = cfg.defaults.as_dict()
        self.pooling: Pooling = cfg.pooling
        self.normalize: bool = cfg.normalize
        self.max_length: int = cfg.max_length
        self.query_max_length: int | None = cfg.query_max_length  # mteb's query side only
        self.query_instruction: str | None = cfg.query_instruction
        self.query_template: str = cfg.query_template
        self.use_instructions = use_instructions
        self.task_instructions: dict[str, str | None] = dict(task_instructions or {})
        self.spec_instructions: dict[str, str | None] = dict(spec_instructions or {})
        if isinstance(batch_size, bool) or int(batch_size) < 1:
            raise ConfigError(f"batch_size must be >= 1, not {batch_size}")
        self.batch_size = int(batch_size)
        self.cache = cache
        self.show_progress_bar = show_progress_bar
        # a run's progress display: reports every encoding call, whatever show_progress_bar
        # says (None: a tqdm bar when show_progress_bar, else nothing)
        self.progress: Progress | None = None
        self._described: set[str] = set()  # cache namespaces already described
        # With the model's facts on record in the cache, the weights load on the first cache
        # miss only: a run whose every vector is cached never loads them.
        facts_key = engine_facts_key(
            weights_sha256=self.resolved.weights_sha256,
            model_files_sha256=self.resolved.model_files_sha256,
            dtype=cfg.dtype,
            devices=cfg.devices,
        )
        facts = recall_engine_facts(cache, facts_key)
        # what this facade has encoded (a variant starts afresh: one per job)
        self.encoding_stats = EncodingStats()
        self.engine = EncodingEngine(
            self.resolved.path,
            weights_sha256=self.resolved.weights_sha256,
            devices=cfg.devices,
            dtype=cfg.dtype,
            cpu_lanes=cpu_lanes,
            facts=facts,
        )
        if facts is None:
            remember_engine_facts(cache, facts_key, self.engine.facts())
        self.embed_dim = self.engine.embed_dim
        self._n_parameters = self.engine.n_parameters
        self._meta: ModelMeta | None = None
        self.experiment_kwargs: dict[str, Any] = {}
        # Matryoshka dimension / precision applied to the full vectors (see _variants)
        self.vectors = VectorVariant()
        self.reuse = ReuseMemo()  # shared by every variant() of this embedder

    # ------------------------------------------------------------------ derived state
    @property
    def dtype(self) -> str:
        return self.engine.dtype

    @property
    def cpu_kernels(self) -> str | None:
        return self.engine.cpu_kernels

    @property
    def devices(self) -> list[str]:
        return list(self.engine.devices)

    @property
    def settings(self) -> EncodingSettings:
        """What changes a vector, read from the current attributes (so it never goes stale)."""
        return self._settings_for(self.max_length)

    def _settings_for(self, max_length: int) -> EncodingSettings:
        return self.engine.settings(
            pooling=self.pooling,
            normalize=self.normalize,
            max_length=max_length,
            append_eos=self.config.append_eos,
        )

    @property
    def policy(self) -> InstructionPolicy:
        """Where the query instruction applies, from the current attributes."""
        return InstructionPolicy(
            query_instruction=self.query_instruction,
            preset=self.preset,
            enabled=self.use_instructions,
            task_overrides=self.task_instructions,
            spec_instructions=self.spec_instructions,
            template=self.query_template,
        )

    def instruction_for(self, task_name: str, task_type: str) -> str | None:
        """The instruction prepended to this task's *queries* (never to documents or pairs)."""
        return self.policy.for_task(task_name, task_type)

    def variant(
        self,
        *,
        use_instructions: bool | None = None,
        experiment_kwargs: Mapping[str, Any] | None = None,
        vectors: VectorVariant | None = None,
    ) -> Embedder:
        """Another facade over the same loaded weights, with other instruction or experiment
        settings, or another Matryoshka dimension / precision of the same full vectors (the
        original is left as it is)."""
        other = copy.copy(self)
        other.task_instructions = dict(self.task_instructions)
        other.spec_instructions = dict(self.spec_instructions)
        if use_instructions is not None:
            other.use_instructions = use_instructions
        if experiment_kwargs is not None:
            other.experiment_kwargs = dict(experiment_kwargs)
        if vectors is not None:
            other.vectors = vectors
            other.embed_dim = vectors.dim or self.engine.embed_dim
        other._meta = None
        other.encoding_stats = EncodingStats()
        return other

    def settings_record(self) -> dict[str, Any]:
        """The adapter settings that change scores, recorded in every result file."""
        return {
            **embedder_settings_record(
                self.resolved,
                self.settings,
                use_instructions=self.use_instructions,
                cpu_kernels=self.cpu_kernels,
                query_max_length=self.query_max_length,
                query_template=self.query_template,
            ),
            **self.vectors.experiment_kwargs(),  # only when set: older results compare equal
        }

    # ------------------------------------------------------------------ FlagModel API
    def encode(
        self,
        sentences: str | Sequence[str] | DataLoader[Any],
        *,
        batch_size: int | None = None,
        max_length: int | None = None,
        show_progress_bar: bool | None = None,
        allow_empty: bool = False,
        task_metadata: TaskMetadata | None = None,
        hf_split: str | None = None,
        hf_subset: str | None = None,
        prompt_type: Any = None,
        **kwargs: Any,
    ) -> np.ndarray:
        """Encode texts into a float32 array of shape ``(n, d)``.

        A list of strings (FlagModel style) or an mteb DataLoader (with ``task_metadata``).
        """
        if task_metadata is not None or not isinstance(sentences, (str, list, tuple)):
            return self._encode_mteb(
                sentences,  # type: ignore[arg-type]
                task_metadata=task_metadata,
                prompt_type=prompt_type,
                batch_size=batch_size,
                show_progress_bar=show_progress_bar,
            )
        texts = [sentences] if isinstance(sentences, str) else sentences
        return self._encode_texts(
            validate_texts(texts, allow_empty=allow_empty),
            batch_size=batch_size,
            max_length=max_length,
            show_progress_bar=show_progress_bar,
        )

    def encode_queries(
        self,
        queries: str | Sequence[str],
        *,
        batch_size: int | None = None,
        max_length: int | None = None,
    ) -> np.ndarray:
        """Encode queries with the query instruction prepended (if any, and if instructions are on)."""
        qs = validate_texts(
            [queries] if isinstance(queries, str) else queries, allow_empty=False, what="queries"
        )
        policy = self.policy
        qs = policy.apply(policy.for_queries(), qs)
        return self._encode_texts(qs, batch_size=batch_size, max_length=max_length, kind="query")

    def encode_corpus(
        self,
        corpus: Sequence[str | Mapping[str, Any]],
        *,
        batch_size: int | None = None,
        max_length: int | None = None,
    ) -> np.ndarray:
        """Encode documents: strings, or ``{"title", "text"}`` records joined as mteb joins them."""
        texts = [join_doc(d, i) for i, d in enumerate(corpus)]
        return self._encode_texts(
            validate_texts(texts, allow_empty=False, what="corpus"),
            batch_size=batch_size,
            max_length=max_length,
            kind="document",
        )

    # ------------------------------------------------------------------ the core
    def _progress(self, show_progress_bar: bool | None) -> Progress | None:
        if self.progress is not None:
            return self.progress
        show = self.show_progress_bar if show_progress_bar is None else show_progress_bar
        return TqdmProgress() if show else None

    def _encode_texts(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        max_length: int | None = None,
        show_progress_bar: bool | None = None,
        kind: str = "text",
    ) -> np.ndarray:
        if max_length is not None and max_length < 1:
            raise ConfigError(f"max_length must be >= 1, not {max_length}")
        settings = self._settings_for(int(max_length or self.max_length))
        self._describe_namespace(settings)
        key = ReuseMemo.key(settings.namespace(), texts) if self.reuse.active else None
        full = None
        if key is not None:
            full = self.reuse.get(key, lambda: self._count_tokens(texts, settings.max_length))
        if full is None:
            full = self.engine.encode(
                texts,
                settings=settings,
                batch_size=int(batch_size or self.batch_size),
                cache=self.cache,
                progress=self._progress(show_progress_bar),
                tally=self.encoding_stats.tally(kind),
            )
            if key is not None:
                self.reuse.put(key, full, len(set(texts)))
        return self.vectors.apply(full, normalize=self.normalize)

    def _count_tokens(self, texts: Sequence[str], max_length: int) -> int:
        """Tokens the engine would encode for ``texts`` (distinct texts, after truncation)."""
        unique = list(dict.fromkeys(texts))
        ids = self.engine.tokenizer(unique, truncation=True, max_length=max_length)["input_ids"]
        return sum(len(x) for x in ids)

    def encoding_record(self) -> dict[str, Any]:
        """What this facade encoded, by kind, with the device (a result's provenance)."""
        return self.encoding_stats.as_dict(devices=self.devices, dtype=self.dtype)

    def _describe_namespace(self, settings: EncodingSettings) -> None:
        """Tell the cache (once per namespace) which model and settings a namespace holds."""
        describe = getattr(self.cache, "describe", None)  # optional beyond VectorCache
        ns = settings.namespace()
        if describe is None or ns in self._described:
            return
        self._described.add(ns)
        describe(
            ns,
            {
                "model": self.resolved.name,
                "revision": self.resolved.revision,
                **settings.as_dict(),
            },
        )

    def __repr__(self) -> str:
        return (
            f"Embedder({self.resolved.name!r}, revision={self.resolved.revision!r}, "
            f"pooling={self.pooling!r}, normalize={self.normalize}, max_length={self.max_length}, "
            f"dtype={self.dtype!r}, devices={self.devices})"
        )


def _flagmodel_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Map FlagModel's spellings to mtebkit's; drop the ignored ones; refuse anything else."""
    out: dict[str, Any] = {}
    for key, value in options.items():
        if key in FLAGMODEL_ALIASES:
            out[FLAGMODEL_ALIASES[key]] = value
        elif key not in FLAGMODEL_IGNORED:
            params = inspect.signature(Embedder.__init__).parameters
            known = [
                *(n for n, p in params.items() if p.kind is p.KEYWORD_ONLY),
                *FLAGMODEL_ALIASES,
                *FLAGMODEL_IGNORED,
            ]
            raise TypeError(
                f"Embedder() got an unexpected keyword argument {key!r}.{did_you_mean(key, known)}"
            )
        else:
            logger.debug("Embedder: FlagModel option %s=%r has no effect here", key, value)
    return out


def embedder_settings_record(
    resolved: ResolvedModel,
    settings: EncodingSettings,
    *,
    use_instructions: bool,
    cpu_kernels: str | None,
    query_max_length: int | None = None,
    query_template: str = DEFAULT_TEMPLATE,
) -> dict[str, Any]:
    """The settings recorded in a result file (``cpu_kernels`` is provenance only;
    ``query_max_length`` and ``query_template`` only when set, so older results keep
    comparing equal)."""
    extra: dict[str, Any] = (
        {} if query_max_length is None else {"query_max_length": query_max_length}
    )
    if query_template != DEFAULT_TEMPLATE:
        extra["query_template"] = query_template
    return {
        "model": resolved.name,
        "revision": resolved.revision,
        "model_source": resolved.source,
        "weights_sha256": resolved.weights_sha256,
        "preset": resolved.preset.name if resolved.preset else None,
        "use_instructions": use_instructions,
        **settings.as_dict(),
        **extra,
        "cpu_kernels": cpu_kernels,
    }
