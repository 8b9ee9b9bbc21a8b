"""``Embedder``: a FlagEmbedding-compatible encoder that mteb can evaluate directly.

Two entry points share one encoding core:

* FlagModel's API: ``encode(list_of_str)``, ``encode_queries``, ``encode_corpus``;
* mteb's ``EncoderProtocol``: ``encode(DataLoader, *, task_metadata, hf_split, hf_subset,
  prompt_type)``, ``similarity``, ``similarity_pairwise``, ``mteb_model_meta``.

Both always return a float32 ``np.ndarray`` of shape ``(n, d)``.

The core deduplicates texts, sorts them by token length (longest first, so padding is minimal
and an out-of-memory error shows up on the first batch), encodes in batches, restores the
original order, and optionally reads/writes an embedding cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from mtebkit._errors import InputTextError, MtebkitError
from mtebkit._presets import ModelPreset, Pooling
from mtebkit._resolve import ResolvedModel, resolve_model

if TYPE_CHECKING:
    import torch
    from mteb.abstasks.task_metadata import TaskMetadata
    from mteb.models.model_meta import ModelMeta
    from torch.utils.data import DataLoader

__all__ = ["QUERY_TASK_TYPES", "Embedder", "EncodingSettings", "VectorCache"]

logger = logging.getLogger(__name__)

# The bge convention: instructions go only to queries of these task types.
QUERY_TASK_TYPES = frozenset({"Retrieval", "Reranking"})

_UNSET: Any = object()


class VectorCache(Protocol):
    """Storage for embeddings, addressed by (namespace, key). See ``mtebkit.embedding_cache``."""

    def get_many(self, namespace: str, keys: Sequence[str]) -> dict[str, np.ndarray]: ...

    def put_many(self, namespace: str, items: Mapping[str, np.ndarray]) -> None: ...


class EncodingSettings:
    """Everything that changes a vector, besides the text. Recorded beside every result."""

    __slots__ = ("dtype", "max_length", "normalize", "pooling", "weights_sha256")

    def __init__(
        self, *, pooling: Pooling, normalize: bool, max_length: int, dtype: str, weights_sha256: str
    ) -> None:
        self.pooling = pooling
        self.normalize = normalize
        self.max_length = max_length
        self.dtype = dtype
        self.weights_sha256 = weights_sha256

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}

    def namespace(self) -> str:
        """Cache namespace: a digest of every setting that changes a vector."""
        blob = json.dumps(self.as_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:32]


def _read_st_config(path: Path) -> dict[str, Any]:
    """Pooling, normalisation and max length from a sentence-transformers model folder."""
    out: dict[str, Any] = {}
    modules_file = path / "modules.json"
    if not modules_file.is_file():
        return out
    modules = json.loads(modules_file.read_text(encoding="utf-8"))
    for m in modules:
        kind = str(m.get("type", ""))
        if kind.endswith("Pooling"):
            cfg_file = path / m.get("path", "") / "config.json"
            if cfg_file.is_file():
                cfg = json.loads(cfg_file.read_text(encoding="utf-8"))
                if cfg.get("pooling_mode_cls_token"):
                    out["pooling"] = "cls"
                elif cfg.get("pooling_mode_mean_tokens"):
                    out["pooling"] = "mean"
                else:
                    modes = [k for k, v in cfg.items() if k.startswith("pooling_mode") and v]
                    raise MtebkitError(
                        f"{cfg_file}: pooling {modes} is not supported (mtebkit supports cls and mean)"
                    )
        elif kind.endswith("Normalize"):
            out["normalize"] = True
    out.setdefault("normalize", False)
    st_cfg = path / "sentence_bert_config.json"
    if st_cfg.is_file():
        msl = json.loads(st_cfg.read_text(encoding="utf-8")).get("max_seq_length")
        if msl:
            out["max_length"] = int(msl)
    return out


def _join_doc(doc: Mapping[str, Any] | str, position: int) -> str:
    """A corpus record as mteb joins it: ``"title text"`` stripped, or the text alone."""
    if isinstance(doc, str):
        return doc
    if not isinstance(doc, Mapping) or "text" not in doc:
        raise InputTextError(f"corpus[{position}] must be a string or a mapping with a 'text' key")
    title = doc.get("title") or ""
    text = doc["text"]
    if not isinstance(text, str):
        raise InputTextError(f"corpus[{position}]['text'] is {type(text).__name__}, not a string")
    return f"{title} {text}".strip() if title else text.strip()


def _validate_texts(
    texts: Sequence[Any], *, allow_empty: bool, what: str = "sentences"
) -> list[str]:
    out: list[str] = []
    empty = 0
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise InputTextError(
                f"{what}[{i}] is {t!r} ({type(t).__name__}); every input must be a string"
            )
        if not t.strip():
            if not allow_empty:
                raise InputTextError(
                    f"{what}[{i}] is an empty string; pass allow_empty=True to encode it as "
                    "the model's special tokens only"
                )
            empty += 1
        out.append(t)
    if empty:
        logger.warning(
            "%d empty text(s) among %d %s: encoded as special tokens only", empty, len(out), what
        )
    return out


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Embedder:
    """A dense text encoder with the FlagEmbedding ``FlagModel`` interface.

    Args:
        model: local directory or hub id (resolved offline-first, see :func:`resolve_model`).
        revision: pin a hub revision (defaults to the preset's official one).
        preset: apply a known model's settings (name from ``mtebkit models``); by default the
            preset whose name equals ``model`` is used, if any.
        query_instruction: text prepended to queries. Default: the preset's, else none.
        pooling, normalize, max_length: default: the preset's, else the model's own
            sentence-transformers configuration, else cls / True / 512.
        use_fp16: half precision on CUDA (ignored, with one notice, on CPU).
        dtype: ``"float32"``, ``"float16"`` or ``"bfloat16"``; wins over ``use_fp16`` and applies
            on any device (bfloat16 on CPU is the user's explicit choice).
        batch_size: texts per forward pass.
        devices: e.g. ``["cuda:0", "cuda:1"]``; default all visible GPUs, else the CPU.
        use_instructions: False turns every query instruction off (``--no-instruction``).
        task_instructions: per-task override ``{task_name: instruction or None}``; wins over
            everything else for that task's queries.
        spec_instructions: instructions declared by custom task specs; used only for models
            that use instructions at all (bge style), in place of the preset's instruction.
        cache: an embedding cache (``mtebkit.EmbeddingCache``) or None.
    """

    def __init__(
        self,
        model: str | os.PathLike[str],
        revision: str | None = None,
        *,
        preset: str | ModelPreset | None = None,
        query_instruction: str | None = _UNSET,
        pooling: Pooling | None = None,
        normalize: bool | None = None,
        max_length: int | None = None,
        use_fp16: bool = True,
        dtype: str | None = None,
        batch_size: int = 64,
        devices: Sequence[str] | str | None = None,
        device: str | None = None,
        use_instructions: bool = True,
        task_instructions: Mapping[str, str | None] | None = None,
        spec_instructions: Mapping[str, str | None] | None = None,
        cache: VectorCache | None = None,
        show_progress_bar: bool = False,
        **unused: Any,
    ) -> None:
        if unused:
            logger.debug("Embedder ignores unknown options %s", sorted(unused))
        self.resolved: ResolvedModel = resolve_model(model, revision=revision, preset=preset)
        p = self.resolved.preset
        st = _read_st_config(self.resolved.path)
        self.preset = p
        # What this model is published with (preset, else its own ST config): overrides that
        # differ from these name an mteb experiment, so they never mix with the default results.
        self.defaults: dict[str, Any] = {
            "pooling": p.pooling if p else st.get("pooling", "cls"),
            "normalize": p.normalize if p else bool(st.get("normalize", True)),
            "max_length": int(p.max_length if p else st.get("max_length", 512)),
        }
        self._max_length_configured = bool(p or "max_length" in st)
        self._max_length_explicit = max_length is not None
        self.pooling: Pooling = pooling or self.defaults["pooling"]
        if self.pooling not in ("cls", "mean"):
            raise MtebkitError(f"pooling must be 'cls' or 'mean', not {self.pooling!r}")
        self.normalize: bool = normalize if normalize is not None else self.defaults["normalize"]
        self.max_length: int = int(max_length or self.defaults["max_length"])
        if query_instruction is _UNSET:
            query_instruction = p.query_instruction if p else None
        self.query_instruction: str | None = query_instruction
        self.use_instructions = use_instructions
        self.task_instructions: dict[str, str | None] = dict(task_instructions or {})
        self.spec_instructions: dict[str, str | None] = dict(spec_instructions or {})
        self.batch_size = int(batch_size)
        if self.batch_size < 1:
            raise MtebkitError(f"batch_size must be >= 1, not {batch_size}")
        self.cache = cache
        self.show_progress_bar = show_progress_bar
        self._use_fp16_requested = use_fp16
        if dtype is not None and dtype not in _DTYPES:
            raise MtebkitError(f"dtype must be one of {', '.join(_DTYPES)}, not {dtype!r}")
        self._dtype_requested = dtype
        # padded-token ceiling per device, learned from CUDA out-of-memory errors (see
        # _forward_batch): later batches are split before they run, not after they fail
        self._oom_cap: dict[str, int] = {}
        self._devices = self._pick_devices(devices if devices is not None else device)
        self._load()
        self._meta: ModelMeta | None = None
        self.experiment_kwargs: dict[str, Any] = {}

    @property
    def settings(self) -> EncodingSettings:
        """What changes a vector, read from the current attributes (so it never goes stale)."""
        return self._settings_for(self.max_length)

    def _settings_for(self, max_length: int) -> EncodingSettings:
        return EncodingSettings(
            pooling=self.pooling,
            normalize=self.normalize,
            max_length=max_length,
            dtype=self.dtype,
            weights_sha256=self.resolved.weights_sha256,
        )

    # ------------------------------------------------------------------ loading
    @staticmethod
    def _pick_devices(devices: Sequence[str] | str | None) -> list[str]:
        import torch

        if devices is None:
            n = torch.cuda.device_count()
            return [f"cuda:{i}" for i in range(n)] if n else ["cpu"]
        if isinstance(devices, str):
            return [devices]
        return list(devices) or ["cpu"]

    def _load(self) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # the per-weight loading bar is noise in a report
        path = str(self.resolved.path)
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        on_cuda = all(d.startswith("cuda") for d in self._devices)
        if self._dtype_requested is not None:
            self.dtype = self._dtype_requested
        else:
            if self._use_fp16_requested and not on_cuda:
                _say_once(
                    "use_fp16 applies on CUDA only; running float32 on {}".format(
                        ",".join(self._devices)
                    )
                )
            self.dtype = "float16" if (self._use_fp16_requested and on_cuda) else "float32"
        torch_dtype = getattr(torch, self.dtype)
        base = AutoModel.from_pretrained(path, local_files_only=True, dtype=torch_dtype)
        base.eval()
        self._n_parameters = sum(p.numel() for p in base.parameters())  # before any kernel swap
        self._replicas: list[tuple[str, torch.nn.Module]] = []
        for i, dev in enumerate(self._devices):
            m = base if i == 0 else _copy_module(base)
            self._replicas.append((dev, m.to(dev)))
        # float32 on CPU: oneDNN kernels with packed weights (see _cpu_kernels; MTEBKIT_ONEDNN=0
        # keeps torch's defaults); the same numbers to float32 rounding, ~1.2x faster here
        self.cpu_kernels: str | None = None
        if any(d == "cpu" or d.startswith("cpu:") for d in self._devices):
            from mtebkit._cpu_kernels import use_onednn_linears

            self.cpu_kernels = "default"
            if self.dtype == "float32" and all(
                use_onednn_linears(m) > 0 for d, m in self._replicas if d.startswith("cpu")
            ):
                self.cpu_kernels = "onednn"
        cfg = base.config
        self.embed_dim = int(getattr(cfg, "hidden_size", 0)) or None
        model_max = getattr(cfg, "max_position_embeddings", None)
        if model_max and not self._max_length_configured:
            # no configured length: the model's own position limit is its default
            self.defaults["max_length"] = min(self.defaults["max_length"], int(model_max))
            if not self._max_length_explicit:
                self.max_length = self.defaults["max_length"]
        if model_max and self.max_length > int(model_max):
            # position embeddings beyond this do not exist: fail here, not deep in the forward pass
            raise MtebkitError(
                f"max_length {self.max_length} exceeds the model's max_position_embeddings {model_max}"
            )

    # ------------------------------------------------------------------ instructions
    def instruction_for(self, task_name: str, task_type: str) -> str | None:
        """The instruction prepended to this task's *queries* (never to documents or pairs)."""
        if not self.use_instructions or task_type not in QUERY_TASK_TYPES:
            return None
        if task_name in self.task_instructions:
            return self.task_instructions[task_name]
        if self.preset is not None:
            rule = self.preset.instruction_for(task_name, task_type)
            if rule is None:
                return None
            if task_name in self.spec_instructions:
                return self.spec_instructions[task_name]
            return self.query_instruction if self.query_instruction is not None else rule
        return self.query_instruction

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
            _validate_texts(texts, allow_empty=allow_empty),
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
        qs = _validate_texts(
            [queries] if isinstance(queries, str) else queries, allow_empty=False, what="queries"
        )
        instr = self.query_instruction if self.use_instructions else None
        if instr:
            qs = [f"{instr}{q}" for q in qs]
        return self._encode_texts(qs, batch_size=batch_size, max_length=max_length)

    def encode_corpus(
        self,
        corpus: Sequence[str | Mapping[str, Any]],
        *,
        batch_size: int | None = None,
        max_length: int | None = None,
    ) -> np.ndarray:
        """Encode documents: strings, or ``{"title", "text"}`` records joined as mteb joins them."""
        texts = [_join_doc(d, i) for i, d in enumerate(corpus)]
        return self._encode_texts(
            _validate_texts(texts, allow_empty=False, what="corpus"),
            batch_size=batch_size,
            max_length=max_length,
        )

    # ------------------------------------------------------------------ mteb EncoderProtocol
    def _encode_mteb(
        self,
        inputs: Iterable[Mapping[str, Any]],
        *,
        task_metadata: TaskMetadata | None,
        prompt_type: Any,
        batch_size: int | None,
        show_progress_bar: bool | None,
    ) -> np.ndarray:
        texts: list[str] = []
        for batch in inputs:
            if "text" not in batch:
                raise MtebkitError(
                    f"mtebkit.Embedder encodes text only; got a batch with {sorted(batch)}"
                )
            texts.extend(batch["text"])
        instr = None
        if task_metadata is not None and _prompt_value(prompt_type) == "query":
            instr = self.instruction_for(task_metadata.name, task_metadata.type)
        if instr:
            texts = [f"{instr}{t}" for t in texts]
        # real corpora contain the odd empty document; mteb's own runner encodes it, so do we
        valid = _validate_texts(
            texts, allow_empty=True, what=f"{getattr(task_metadata, 'name', 'task')} texts"
        )
        return self._encode_texts(valid, batch_size=batch_size, show_progress_bar=show_progress_bar)

    def similarity(self, embeddings1: Any, embeddings2: Any) -> Any:
        from mteb.similarity_functions import cos_sim, dot_score

        fn = dot_score if (self.preset and self.preset.similarity == "dot") else cos_sim
        return fn(embeddings1, embeddings2)

    def similarity_pairwise(self, embeddings1: Any, embeddings2: Any) -> Any:
        from mteb.similarity_functions import pairwise_cos_sim, pairwise_dot_score

        fn = (
            pairwise_dot_score
            if (self.preset and self.preset.similarity == "dot")
            else pairwise_cos_sim
        )
        return fn(embeddings1, embeddings2)

    @property
    def mteb_model_meta(self) -> ModelMeta:
        """A ModelMeta with a unique name and revision (never mteb's ``no_model_name``)."""
        if self._meta is None:
            self._meta = self._build_meta()
        return self._meta

    def set_experiment(self, experiment_kwargs: Mapping[str, Any]) -> None:
        """File results under mteb's experiment folder for these non-default settings."""
        self.experiment_kwargs = dict(experiment_kwargs)
        self._meta = None

    def _build_meta(self) -> ModelMeta:
        from mteb.models.model_meta import ModelMeta, ScoringFunction

        base: ModelMeta | None = None
        try:
            import mteb

            base = mteb.get_model_meta(self.resolved.name) if self.resolved.preset else None
        except Exception:  # not in mteb's registry: build from scratch
            base = None
        n_params = self._n_parameters
        fields: dict[str, Any] = {
            "name": self.resolved.name,
            "revision": self.resolved.revision,
            "embed_dim": self.embed_dim,
            "max_tokens": self.max_length,
            "n_parameters": n_params,
            "similarity_fn_name": ScoringFunction.DOT_PRODUCT
            if (self.preset and self.preset.similarity == "dot")
            else ScoringFunction.COSINE,
            "use_instructions": bool(self.query_instruction) and self.use_instructions,
            "experiment_kwargs": dict(self.experiment_kwargs) or None,
        }
        if base is not None:
            return base.model_copy(update={**fields, "loader": None})
        return ModelMeta.create_empty(
            overwrites={
                **fields,
                "framework": ["PyTorch"],
                "languages": list(self.preset.languages)
                if self.preset and self.preset.languages
                else None,
                "open_weights": True,
            }
        )

    def settings_record(self) -> dict[str, Any]:
        """The adapter settings that change scores, recorded in every result file."""
        return {
            "model": self.resolved.name,
            "revision": self.resolved.revision,
            "model_source": self.resolved.source,
            "weights_sha256": self.resolved.weights_sha256,
            "preset": self.preset.name if self.preset else None,
            "use_instructions": self.use_instructions,
            **self.settings.as_dict(),
            "cpu_kernels": self.cpu_kernels,
        }

    # ------------------------------------------------------------------ the core
    def _encode_texts(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        max_length: int | None = None,
        show_progress_bar: bool | None = None,
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.embed_dim or 0), dtype=np.float32)
        max_len = int(max_length or self.max_length)
        unique = list(dict.fromkeys(texts))  # identical texts are encoded once
        vectors: dict[str, np.ndarray] = {}
        namespace = self._settings_for(max_len).namespace()
        keys = {t: _text_key(t) for t in unique}
        if self.cache is not None:
            hit = self.cache.get_many(namespace, list(keys.values()))
            by_key = {k: t for t, k in keys.items()}
            for k, v in hit.items():
                vectors[by_key[k]] = v
        todo = [t for t in unique if t not in vectors]
        bar = None
        if todo and (self.show_progress_bar if show_progress_bar is None else show_progress_bar):
            from tqdm.auto import tqdm

            bar = tqdm(total=len(todo), desc="Encoding", unit="text", leave=False)
        # Chunks of similar length (characters: a cheap proxy for tokens), each cached as soon
        # as it is done, so a long corpus interrupted late keeps what it has encoded.
        todo.sort(key=len, reverse=True)
        try:
            for start in range(0, len(todo), CACHE_CHUNK_TEXTS):
                chunk = todo[start : start + CACHE_CHUNK_TEXTS]
                fresh = self._forward_all(
                    chunk, batch_size=batch_size or self.batch_size, max_length=max_len, bar=bar
                )
                new = dict(zip(chunk, fresh, strict=True))
                vectors.update(new)
                if self.cache is not None:
                    self.cache.put_many(namespace, {keys[t]: v for t, v in new.items()})
        finally:
            if bar is not None:
                bar.close()
        out = np.stack([vectors[t] for t in texts]).astype(np.float32, copy=False)
        return out

    def _forward_all(
        self, texts: list[str], *, batch_size: int, max_length: int, bar: Any = None
    ) -> list[np.ndarray]:
        """Encode unique texts, longest first; return vectors in the input order."""
        enc = self.tokenizer(
            texts,
            truncation=True,
            max_length=max_length,
            padding=False,
            return_attention_mask=False,
            return_token_type_ids=False,
        )
        ids: list[list[int]] = enc["input_ids"]
        order = sorted(range(len(texts)), key=lambda i: -len(ids[i]))
        batches = _token_batches(
            order,
            [len(x) for x in ids],
            max_tokens=batch_size * max_length,
            max_texts=_max_texts(batch_size, self._devices),
        )
        result: list[np.ndarray | None] = [None] * len(texts)

        # batches are handed out in order (longest first) to one worker per lane: a lane is a
        # device, or on CPU a single-threaded share of the cores (see _lanes)
        lanes, threads_per_lane = _lanes([d for d, _ in self._replicas], len(batches))
        pending = iter(batches)
        lock = threading.Lock()

        def work(replica: int) -> None:
            dev, model = self._replicas[replica]
            while True:
                with lock:
                    b = next(pending, None)
                if b is None:
                    return
                for idx, vec in zip(
                    b, self._forward_batch(model, dev, [ids[i] for i in b]), strict=True
                ):
                    result[idx] = vec
                if bar is not None:
                    bar.update(len(b))

        if len(lanes) == 1:
            work(lanes[0])
        else:
            # one thread per lane: torch releases the GIL inside kernels
            errors: list[BaseException] = []

            def guarded(r: int) -> None:
                try:
                    work(r)
                except BaseException as exc:  # re-raised in the caller
                    errors.append(exc)
                    with lock:  # the other lanes stop after their current batch
                        for _ in pending:
                            pass

            with _torch_threads(threads_per_lane):
                threads = [threading.Thread(target=guarded, args=(r,)) for r in lanes]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            if errors:
                raise errors[0]
        missing = [i for i, r in enumerate(result) if r is None]
        if missing:  # pragma: no cover - defensive: every index is in exactly one batch
            raise MtebkitError(f"internal error: {len(missing)} texts were not encoded")
        return result  # type: ignore[return-value]

    def _forward_batch(
        self, model: torch.nn.Module, device: str, batch_ids: list[list[int]]
    ) -> np.ndarray:
        """One padded forward pass, split in halves on CUDA out-of-memory instead of failing.

        Vectors already computed are kept; the failing batch alone is retried in halves, and
        its padded size halved becomes this device's ceiling, so later batches are split
        before they run rather than failing one by one.
        """
        import torch

        padded = len(batch_ids) * max(len(x) for x in batch_ids)
        cap = self._oom_cap.get(device)
        if cap is not None and padded > cap and len(batch_ids) > 1:
            return self._forward_halves(model, device, batch_ids)
        try:
            return self._forward_padded(model, device, batch_ids)
        except torch.cuda.OutOfMemoryError:
            if device.startswith("cuda"):
                torch.cuda.empty_cache()
            if len(batch_ids) == 1:
                raise MtebkitError(
                    f"one text of {padded} tokens does not fit in memory on {device}; "
                    "lower max_length or use another device"
                ) from None
            self._oom_cap[device] = min(self._oom_cap.get(device, padded), padded // 2)
            logger.warning(
                "out of memory on %s at %d texts x %d tokens; splitting batches above %d tokens",
                device,
                len(batch_ids),
                padded // len(batch_ids),
                self._oom_cap[device],
            )
            return self._forward_halves(model, device, batch_ids)

    def _forward_halves(
        self, model: torch.nn.Module, device: str, batch_ids: list[list[int]]
    ) -> np.ndarray:
        half = len(batch_ids) // 2
        return np.concatenate(
            [
                self._forward_batch(model, device, batch_ids[:half]),
                self._forward_batch(model, device, batch_ids[half:]),
            ]
        )

    @staticmethod
    def _pad(batch_ids: list[list[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
        longest = max(len(x) for x in batch_ids)
        input_ids = np.full((len(batch_ids), longest), pad_id, dtype=np.int64)
        mask = np.zeros((len(batch_ids), longest), dtype=np.int64)
        for r, x in enumerate(batch_ids):
            input_ids[r, : len(x)] = x
            mask[r, : len(x)] = 1
        return input_ids, mask

    def _forward_padded(
        self, model: torch.nn.Module, device: str, batch_ids: list[list[int]]
    ) -> np.ndarray:
        import torch

        pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        input_ids, mask = self._pad(batch_ids, pad_id)
        with torch.inference_mode():
            ids_t = torch.from_numpy(input_ids).to(device)
            mask_t = torch.from_numpy(mask).to(device)
            out = model(input_ids=ids_t, attention_mask=mask_t, return_dict=True).last_hidden_state
            if self.pooling == "cls":
                emb = out[:, 0]
            else:
                # summed in float32: a bfloat16 sum over hundreds of tokens loses digits
                m = mask_t.unsqueeze(-1).float()
                emb = (out.float() * m).sum(dim=1) / m.sum(dim=1).clamp(min=1e-9)
            emb = emb.float()
            if self.normalize:
                emb = torch.nn.functional.normalize(emb, p=2, dim=-1)
            return emb.cpu().numpy()

    def __repr__(self) -> str:
        return (
            f"Embedder({self.resolved.name!r}, revision={self.resolved.revision!r}, pooling={self.pooling!r}, "
            f"normalize={self.normalize}, max_length={self.max_length}, dtype={self.dtype!r}, "
            f"devices={self._devices})"
        )


_SAID: set[str] = set()


def _say_once(message: str) -> None:
    """Log a notice once per process (not once per model or per call)."""
    if message not in _SAID:
        _SAID.add(message)
        # info, not warning: fp16 is the default (as in FlagEmbedding, which falls back
        # silently), so every CPU run would otherwise start with a warning
        logger.info(message)


def _prompt_value(prompt_type: Any) -> str | None:
    if prompt_type is None:
        return None
    return str(getattr(prompt_type, "value", prompt_type))


def _copy_module(m: Any) -> Any:
    import copy

    return copy.deepcopy(m)


_DTYPES = ("float32", "float16", "bfloat16")

# Texts encoded between two cache writes: large enough that every lane stays busy, small
# enough that an interruption loses minutes, not hours.
CACHE_CHUNK_TEXTS = 8192

# How many times ``batch_size`` texts one batch may hold when its texts are short (the token
# budget, ``batch_size * max_length``, still bounds memory). On CPU larger batches are slower:
# measured on 2 cores, 256 short sentences per batch ran ~1.4x slower than 32, because the
# activations no longer fit in cache (bench/README.md). GPUs want big batches.
MAX_TEXTS_FACTOR = {"cpu": 1, "cuda": 4}


def _max_texts(batch_size: int, devices: Sequence[str]) -> int:
    kind = "cuda" if devices and all(d.startswith("cuda") for d in devices) else "cpu"
    return max(1, batch_size * MAX_TEXTS_FACTOR.get(kind, 1))


def _token_batches(
    order: list[int], lengths: list[int], *, max_tokens: int, max_texts: int
) -> list[list[int]]:
    """Split ``order`` (longest first) into batches of at most ``max_tokens`` padded token slots.

    A batch's cost is ``len(batch) * longest``; with ``max_tokens = batch_size * max_length`` no
    batch needs more memory than ``batch_size`` texts of maximal length would, while batches of
    short texts grow (up to ``max_texts``) so every matrix product stays large and efficient.
    """
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for i in order:
        width = max(longest, lengths[i], 1)
        if current and ((len(current) + 1) * width > max_tokens or len(current) >= max_texts):
            batches.append(current)
            current, width = [], max(lengths[i], 1)
        current.append(i)
        longest = width
    if current:
        batches.append(current)
    return batches


# CPU lanes: how many batches run at once on the CPU, each single-threaded. None: one per
# torch thread (usually one per core). Measured on 2 cores: 2 lanes x 1 thread encode short
# sentences up to 4x faster than 1 lane x 2 threads when other processes load the machine,
# since no thread ever waits at a barrier for a descheduled sibling (bench/README.md).
CPU_LANES: int | None = None


def _lanes(devices: Sequence[str], n_batches: int) -> tuple[list[int], int | None]:
    """(replica index of each worker lane, torch threads per lane or None to leave as is)."""
    import torch

    if not devices:
        return [0], None
    if not all(d == "cpu" or d.startswith("cpu:") for d in devices):
        return list(range(len(devices))), None
    cores = torch.get_num_threads()
    n = min(CPU_LANES if CPU_LANES is not None else cores, max(1, n_batches))
    n = max(n, 1)
    if n <= 1 and len(devices) == 1:
        return [0], None
    lanes = [r % len(devices) for r in range(max(n, len(devices)))]
    return lanes, max(1, cores // len(lanes))


class _torch_threads:  # used like a function: ``with _torch_threads(n):``
    """Set torch's intra-op threads for the block (process-wide), then restore them."""

    def __init__(self, n: int | None) -> None:
        self.n = n
        self.before: int | None = None

    def __enter__(self) -> None:
        if self.n is not None:
            import torch

            self.before = torch.get_num_threads()
            torch.set_num_threads(self.n)

    def __exit__(self, *exc: object) -> None:
        if self.before is not None:
            import torch

            torch.set_num_threads(self.before)
