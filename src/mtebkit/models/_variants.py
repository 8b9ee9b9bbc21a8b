"""Vector variants: Matryoshka dimensions and quantized precision, computed from full vectors.

A :class:`VectorVariant` is post-processing of the full-precision vectors the engine encodes
(and caches), so every variant of a model reuses one encoding. The order of operations is
sentence-transformers' (``SentenceTransformer(truncate_dim=d)`` with
``encode(normalize_embeddings=True, precision=p)``):

1. truncate to the first ``dim`` components;
2. L2-renormalise, if the model normalises its vectors;
3. quantise with sentence-transformers' :func:`sentence_transformers.util.quantize_embeddings`.

Quantisation is ST's, calibrated as ST calibrates without ``ranges``: the int8 per-dimension
ranges are the min/max of the vectors of *one encode call* (what ``encode(precision="int8")``
and mteb's ``CompressionWrapper`` do). Under mteb a call is one side of one split: a retrieval
split's queries, or its corpus (in chunks of mteb's ``corpus_chunk_size``, 50,000 documents);
each sentence side of an STS / pair split; the train or test texts of a classification split.
int8 vectors are scored with the model's own similarity (cosine or dot) on the int8 values,
as mteb's ``CompressionWrapper`` does. Binary vectors are ST's ``ubinary`` bits (1 where the
component is > 0), unpacked to 0/1, and scored by Hamming distance as ST's
``semantic_search_faiss`` / ``semantic_search_usearch`` do (faiss ``IndexBinaryFlat``, usearch
``metric="hamming"``): :func:`hamming_similarity` is the share of equal bits,
``1 - hamming / dim``, so it ranks exactly as ``-hamming``. (mteb's ``CompressionWrapper``
would score 0/1 vectors by cosine instead; mteb has no Hamming similarity.)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mtebkit.errors import ConfigError, MtebkitError

if TYPE_CHECKING:
    import torch

__all__ = [
    "PRECISIONS",
    "ReuseMemo",
    "VectorVariant",
    "config_dim",
    "hamming_similarity",
    "pairwise_hamming_similarity",
    "vector_variants",
]

# what --precision accepts: full vectors, ST's int8 and binary (sign) quantisation
PRECISIONS = ("float32", "int8", "binary")


@dataclass(frozen=True)
class VectorVariant:
    """Truncate to ``dim`` (None: keep all), renormalise, quantise to ``precision``."""

    dim: int | None = None
    precision: str = "float32"

    @property
    def is_full(self) -> bool:
        return self.dim is None and self.precision == "float32"

    @property
    def binary(self) -> bool:
        return self.precision == "binary"

    def experiment_kwargs(self) -> dict[str, Any]:
        """mteb experiment settings: ``{"dim": 256}``, ``{"precision": "int8"}``, both or none."""
        out: dict[str, Any] = {}
        if self.dim is not None:
            out["dim"] = self.dim
        if self.precision != "float32":
            out["precision"] = self.precision
        return out

    def apply(self, vectors: np.ndarray, *, normalize: bool) -> np.ndarray:
        """The variant of full float32 ``vectors`` ``(n, d)``, as float32 (int8 values, or 0/1
        bits for binary) so that mteb's similarity and classifiers take it as is."""
        if self.is_full:
            return vectors
        out = vectors[:, : self.dim] if self.dim is not None else vectors
        if normalize and self.dim is not None:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out = out / np.maximum(norms, 1e-12)  # torch's F.normalize eps, as ST uses
        out = np.ascontiguousarray(out, dtype=np.float32)
        if self.precision == "float32" or len(out) == 0:
            return out
        from sentence_transformers.util import quantize_embeddings

        if self.precision == "int8":
            if len(out) == 1:  # ST raises a ValueError: no range to calibrate on
                raise MtebkitError(
                    "--precision int8: an encode call of a single text has no range to "
                    "calibrate on (int8 ranges come from the vectors of each call)"
                )
            return np.asarray(quantize_embeddings(out, precision="int8"), dtype=np.float32)
        packed = np.asarray(quantize_embeddings(out, precision="ubinary"))
        return np.unpackbits(packed, axis=-1)[:, : out.shape[1]].astype(np.float32)


def _as_tensor(x: Any) -> torch.Tensor:
    import torch

    return x.float() if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x)).float()


def hamming_similarity(a: Any, b: Any) -> torch.Tensor:
    """Share of equal bits of 0/1 vectors: ``1 - hamming(a_i, b_j) / d``, an ``(n, m)`` matrix.

    With ``a``, ``b`` in {0, 1}: equal bits = ``a·b + (1-a)·(1-b)``.
    """
    x, y = _as_tensor(a), _as_tensor(b)
    if x.ndim == 1:
        x = x[None, :]
    if y.ndim == 1:
        y = y[None, :]
    d = max(x.shape[1], 1)
    equal = x @ y.T + (1 - x) @ (1 - y).T
    return equal / d


def pairwise_hamming_similarity(a: Any, b: Any) -> torch.Tensor:
    """Row-wise :func:`hamming_similarity`: ``1 - hamming(a_i, b_i) / d``."""
    x, y = _as_tensor(a), _as_tensor(b)
    d = max(x.shape[-1], 1)
    return (x == y).float().sum(dim=-1) / d


def config_dim(model_path: Path) -> int | None:
    """The model's vector size from its ``config.json`` (``hidden_size``), without loading it."""
    cfg_file = Path(model_path) / "config.json"
    try:
        cfg = json.loads(cfg_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    size = cfg.get("hidden_size", cfg.get("d_model")) if isinstance(cfg, dict) else None
    return int(size) if isinstance(size, int) and not isinstance(size, bool) else None


def vector_variants(
    dims: Sequence[int] | None,
    precisions: Sequence[str] | None,
    *,
    model_dim: int | None,
    model: str = "the model",
) -> list[VectorVariant]:
    """Every (dim, precision) of the cross product, checked; a dim equal to the model's own is
    no truncation (the default experiment). Bad input is a :class:`MtebkitError` naming it."""
    for p in precisions or ():
        if p not in PRECISIONS:
            raise ConfigError(
                f"--precision {p!r}: unknown precision (choose from {', '.join(PRECISIONS)})"
            )
    for d in dims or ():
        if isinstance(d, bool) or not isinstance(d, int) or d < 1:
            raise ConfigError(f"--dim {d!r}: a dimension must be a whole number >= 1")
        if model_dim is not None and d > model_dim:
            raise ConfigError(
                f"--dim {d}: larger than the {model_dim} dimensions of {model}'s vectors"
            )
    kept: list[int | None] = [None if d == model_dim else d for d in dims] if dims else [None]
    return [
        VectorVariant(dim=d, precision=p)
        for d in dict.fromkeys(kept)
        for p in dict.fromkeys(precisions or ["float32"])
    ]


class ReuseMemo:
    """Full vectors of one task's encode calls, shared by the variants of a loaded model, so
    the second and later variants of a task encode nothing (with or without the disk cache).

    ``start(scope)`` opens a task (the previous task's vectors are dropped: at most one task's
    vectors are held, as mteb itself holds them); ``stop()`` drops everything. ``texts`` and
    ``tokens`` count what was served from here instead of being encoded again.
    """

    def __init__(self) -> None:
        self.scope: object = None
        self.active = False
        self._entries: dict[tuple[str, str], tuple[np.ndarray, int, int | None]] = {}
        self.texts = 0
        self.tokens = 0

    def start(self, scope: object) -> None:
        if scope != self.scope:
            self._entries.clear()
        self.scope, self.active = scope, True

    def stop(self) -> None:
        self._entries.clear()
        self.scope, self.active = None, False

    @staticmethod
    def key(namespace: str, texts: Sequence[str]) -> tuple[str, str]:
        import hashlib

        h = hashlib.sha256()
        for t in texts:
            h.update(t.encode("utf-8"))
            h.update(b"\0")
        return namespace, h.hexdigest()

    def get(self, key: tuple[str, str], count_tokens: Callable[[], int]) -> np.ndarray | None:
        """The full vectors stored under ``key`` (counting them as saved), else None."""
        if not self.active or key not in self._entries:
            return None
        vectors, distinct, tokens = self._entries[key]
        if tokens is None:  # counted once, at the first reuse
            tokens = count_tokens()
            self._entries[key] = (vectors, distinct, tokens)
        self.texts += distinct
        self.tokens += tokens
        return vectors

    def put(self, key: tuple[str, str], vectors: np.ndarray, distinct: int) -> None:
        if self.active:
            self._entries[key] = (vectors, distinct, None)
