"""References for mtebkit's vector variants, built from sentence-transformers (and scipy).

``STVariantEncoder`` is mteb's ``EncoderProtocol`` over ``SentenceTransformer(truncate_dim=d)``
whose every ``encode`` call is ST's ``encode(normalize_embeddings=True, precision=p)``: ST
truncates, renormalises and runs ``quantize_embeddings`` on the call's vectors (nothing of
mtebkit is used). ``STOnVectors`` does the same to the full vectors of another encoder (ST's
``truncate_embeddings``, torch's ``normalize``, ST's ``quantize_embeddings``): the ST path on
the same vectors. Binary vectors are ST's ``ubinary`` bits, scored by scipy's Hamming distance.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["STOnVectors", "STVariantEncoder"]


class _Reference:
    precision: str
    dim: int | None

    def _unpack(self, out: Any) -> np.ndarray:
        if self.precision == "binary":
            return np.unpackbits(out, axis=-1)[:, : self.dim].astype(np.float32)
        return np.asarray(out, dtype=np.float32)

    def similarity(self, a: Any, b: Any) -> Any:
        import torch
        from mteb.similarity_functions import cos_sim
        from scipy.spatial.distance import cdist

        if self.precision == "binary":
            return torch.from_numpy(1 - cdist(np.asarray(a), np.asarray(b), "hamming"))
        return cos_sim(a, b)

    def similarity_pairwise(self, a: Any, b: Any) -> Any:
        import torch
        from mteb.similarity_functions import pairwise_cos_sim

        if self.precision == "binary":
            return torch.from_numpy(1 - (np.asarray(a) != np.asarray(b)).mean(axis=1))
        return pairwise_cos_sim(a, b)

    @property
    def mteb_model_meta(self) -> Any:
        from mteb.models.model_meta import ModelMeta

        exp = {"dim": self.dim, "precision": self.precision}
        return ModelMeta.create_empty(
            overwrites={"name": "reference/st-variant", "revision": "0", "experiment_kwargs": exp}
        )


class STVariantEncoder(_Reference):
    def __init__(self, model_path: str, *, dim: int | None, precision: str, device: str = "cpu"):
        from sentence_transformers import SentenceTransformer

        self.st = SentenceTransformer(model_path, device=device, truncate_dim=dim)
        self.precision = precision
        self.dim = self.st.get_embedding_dimension()

    def encode(self, inputs: Any, *, batch_size: int = 32, **_: Any) -> np.ndarray:
        texts = [t for batch in inputs for t in batch["text"]]
        st_precision = "ubinary" if self.precision == "binary" else self.precision
        out = self.st.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            precision=st_precision,  # type: ignore[arg-type]
            convert_to_numpy=True,
        )
        return self._unpack(out)


class STOnVectors(_Reference):
    """``encoder``'s full vectors, truncated, renormalised and quantised by ST's functions."""

    def __init__(self, encoder: Any, *, dim: int, precision: str):
        self.encoder, self.dim, self.precision = encoder, dim, precision

    def encode(self, inputs: Any, **kw: Any) -> np.ndarray:
        import torch
        from sentence_transformers.util import quantize_embeddings, truncate_embeddings

        full = torch.from_numpy(np.asarray(self.encoder.encode(inputs, **kw)))
        vectors = torch.nn.functional.normalize(truncate_embeddings(full, self.dim), dim=1)
        st_precision = "ubinary" if self.precision == "binary" else self.precision
        return self._unpack(quantize_embeddings(vectors.numpy(), precision=st_precision))  # type: ignore[arg-type]
