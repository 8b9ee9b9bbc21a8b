"""A FlagReranker-compatible cross-encoder that mteb scores as a ``CrossEncoderProtocol``.

``Reranker("BAAI/bge-reranker-base").compute_score([["query", "passage"], ...])`` returns the
raw relevance logits (``normalize=True``: ``sigmoid(logit) = 1 / (1 + exp(-logit))``), as
FlagEmbedding's ``FlagReranker`` does: pairs tokenized together (``[CLS] q [SEP] p [SEP]``,
truncated longest-first to ``max_length``), one logit per pair from a sequence-classification
head. Batches are formed in length order (long first) and scores returned in input order.

The model is found offline only (local folder, or a hub id already in the HF cache); results
are filed under the hub id + cached commit, or ``local/<dir>`` + a weights fingerprint.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mtebkit._util.progress import Progress
from mtebkit.errors import ConfigError, InputTextError, ModelNotFoundError, MtebkitError
from mtebkit.models._configure import configure_reranker

if TYPE_CHECKING:
    import numpy as np
    from mteb.models.model_meta import ModelMeta

__all__ = ["Reranker"]

logger = logging.getLogger(__name__)


def _sigmoid(x: float) -> float:
    """1 / (1 + exp(-x)), without overflow for large negative x."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _check_pair(pair: Any, index: int) -> tuple[str, str]:
    if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
        raise InputTextError(f"pair {index} is not a (query, passage) pair: {pair!r}")
    q, p = pair
    for side, text in (("query", q), ("passage", p)):
        if not isinstance(text, str):
            kind = "None" if text is None else type(text).__name__
            raise InputTextError(f"pair {index}: the {side} is {kind}, not a string")
        if not text.strip():
            raise InputTextError(f"pair {index}: the {side} is empty")
    return q, p


class Reranker:
    """FlagReranker-compatible cross-encoder (``compute_score``) and mteb CrossEncoder (``predict``).

    Args:
        model_name_or_path: a local folder or a hub id already in the HF cache.
        use_fp16: half precision on CUDA; on CPU a notice is logged once and fp32 is used.
        max_length: tokens per (query, passage) pair; default the preset's, else 512.
        batch_size: pairs per forward pass; default the preset's, else 128.
        device / devices: e.g. ``"cuda:0"``; default the first GPU, else the CPU. Scoring runs on
            one device (the first of ``devices``).
        normalize: default for ``compute_score``: sigmoid the logits.
        revision: pin a revision for a hub id (the cached snapshot must match it).
    """

    def __init__(
        self,
        model_name_or_path: str | os.PathLike[str],
        *,
        use_fp16: bool = True,
        max_length: int | None = None,
        batch_size: int | None = None,
        device: str | None = None,
        devices: Sequence[str] | str | None = None,
        normalize: bool = False,
        revision: str | None = None,
    ) -> None:
        self.config = configure_reranker(
            model_name_or_path,
            use_fp16=use_fp16,
            max_length=max_length,
            batch_size=batch_size,
            device=device,
            devices=devices,
            revision=revision,
        )
        self.preset = self.config.preset
        self.resolved = self.config.resolved
        self.max_length = self.config.max_length
        self.batch_size = self.config.batch_size
        self.model_max_length = self.config.model_max_length
        self.device = self.config.device
        self.use_fp16 = self.config.dtype == "float16"
        self.normalize = normalize
        self._load()
        self._meta: ModelMeta | None = None
        # pairs scored by each call (a run's progress display; None: none)
        self.progress: Progress | None = None

    # ------------------------------------------------------------------ setup
    def _load(self) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        path = str(self.resolved.path)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            model = AutoModelForSequenceClassification.from_pretrained(path, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelNotFoundError(f"cannot load a cross-encoder from {path}: {exc}") from None
        if model.config.num_labels != 1:
            raise MtebkitError(
                f"{path}: a reranker needs a single-logit classification head, "
                f"this one has num_labels={model.config.num_labels}"
            )
        model.eval()
        if self.use_fp16:
            model = model.half()
        self._n_parameters = sum(p.numel() for p in model.parameters())  # before a kernel swap
        self.model = model.to(torch.device(self.device))
        if self.device.startswith("cpu") and not self.use_fp16:
            from mtebkit.models._cpu_kernels import use_onednn_linears

            use_onednn_linears(self.model)  # as the Embedder does: same scores, faster on CPU

    # ------------------------------------------------------------------ FlagReranker API
    def compute_score(
        self,
        sentence_pairs: Sequence[Sequence[str]] | Sequence[str],
        *,
        batch_size: int | None = None,
        max_length: int | None = None,
        normalize: bool | None = None,
    ) -> list[float] | float:
        """Relevance score per (query, passage) pair; a single pair gives a single float."""
        single = (
            isinstance(sentence_pairs, Sequence)
            and len(sentence_pairs) == 2
            and all(isinstance(x, str) for x in sentence_pairs)
        )
        pairs_in: Sequence[Any] = [sentence_pairs] if single else sentence_pairs
        pairs = [_check_pair(p, i) for i, p in enumerate(pairs_in)]
        scores = self._score(pairs, batch_size=batch_size, max_length=max_length)
        if self.normalize if normalize is None else normalize:
            scores = [_sigmoid(s) for s in scores]
        return scores[0] if single else scores

    def _score(
        self,
        pairs: Sequence[tuple[str, str]],
        *,
        batch_size: int | None = None,
        max_length: int | None = None,
    ) -> list[float]:
        if not pairs:
            return []
        bs = int(batch_size or self.batch_size)
        ml = int(max_length or self.max_length)
        if ml > self.model_max_length:
            raise ConfigError(
                f"max_length {ml} exceeds what the model supports ({self.model_max_length} tokens)"
            )
        # long pairs first (FlagEmbedding's order): similar lengths share a batch, less padding
        order = sorted(range(len(pairs)), key=lambda i: -(len(pairs[i][0]) + len(pairs[i][1])))
        progress = self.progress
        if progress is not None:
            progress.start(len(pairs))
        try:
            return self._score_sorted(pairs, order, bs, ml, progress)
        finally:
            if progress is not None:
                progress.close()

    def _score_sorted(
        self,
        pairs: Sequence[tuple[str, str]],
        order: list[int],
        bs: int,
        ml: int,
        progress: Progress | None,
    ) -> list[float]:
        import torch

        out = [0.0] * len(pairs)
        with torch.inference_mode():
            for start in range(0, len(order), bs):
                idx = order[start : start + bs]
                enc = self.tokenizer(
                    [pairs[i][0] for i in idx],
                    [pairs[i][1] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=ml,
                    return_tensors="pt",
                ).to(self.model.device)
                logits = self.model(**enc).logits.view(-1).float().cpu().tolist()
                for i, s in zip(idx, logits, strict=True):
                    out[i] = float(s)
                if progress is not None:
                    progress.update(len(idx))
        return out

    # ------------------------------------------------------------------ mteb CrossEncoderProtocol
    def predict(
        self,
        inputs1: Any,
        inputs2: Any,
        *,
        task_metadata: Any = None,
        hf_split: str | None = None,
        hf_subset: str | None = None,
        prompt_type: Any = None,
        **kwargs: Any,
    ) -> np.ndarray:
        """Scores for aligned (inputs1[i], inputs2[i]) pairs (mteb DataLoaders of ``text``)."""
        import numpy as np

        queries = [t for batch in inputs1 for t in batch["text"]]
        docs = [t for batch in inputs2 for t in batch["text"]]
        if len(queries) != len(docs):
            raise MtebkitError(f"predict: {len(queries)} queries but {len(docs)} documents")
        pairs = [_check_pair((q, d), i) for i, (q, d) in enumerate(zip(queries, docs, strict=True))]
        scores = self._score(pairs, batch_size=kwargs.get("batch_size"))
        return np.asarray(scores, dtype=np.float32)

    @property
    def mteb_model_meta(self) -> ModelMeta:
        """Unique name + revision (official commit, or ``fp-<weights sha256>`` for a folder)."""
        if self._meta is None:
            from mteb.models.model_meta import ModelMeta

            n_params = self._n_parameters
            self._meta = ModelMeta.create_empty(
                overwrites={
                    "name": self.resolved.name,
                    "revision": self.resolved.revision,
                    "model_type": ["cross-encoder"],
                    "max_tokens": self.max_length,
                    "n_parameters": n_params,
                    "framework": ["PyTorch"],
                    "open_weights": True,
                    "languages": list(self.preset.languages)
                    if self.preset and self.preset.languages
                    else None,
                }
            )
        return self._meta

    def settings_record(self) -> dict[str, Any]:
        """The settings that change scores, for result files."""
        return self.config.settings_record()

    def __repr__(self) -> str:
        return f"Reranker({self.resolved.name!r}, revision={self.resolved.revision!r}, device={self.device!r})"
