"""A deterministic bag-of-words hashing encoder (no weights) for running mteb's mock tasks."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
from mteb.models.abs_encoder import AbsEncoder
from mteb.models.model_meta import ModelMeta, ScoringFunction


class StubEncoder(AbsEncoder):
    def __init__(self, name: str = "stub/hash-encoder", dim: int = 32, noise: float = 0.0) -> None:
        self.dim = dim
        self.noise = noise
        self.mteb_model_meta = ModelMeta.create_empty(
            overwrites={
                "name": name,
                "revision": "0" * 40,
                "embed_dim": dim,
                "similarity_fn_name": ScoringFunction.COSINE,
                "framework": ["PyTorch"],
            }
        )

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim)
        for w in str(text).lower().split():
            v[int(hashlib.md5(w.encode()).hexdigest(), 16) % self.dim] += 1.0
        if self.noise:
            seed = int(hashlib.md5(("n" + str(text)).encode()).hexdigest(), 16) % 2**32
            v += self.noise * np.random.default_rng(seed).standard_normal(self.dim)
        return v + 1e-3

    def encode(
        self,
        inputs: Any,
        *,
        task_metadata: Any,
        hf_split: str,
        hf_subset: str,
        prompt_type: Any = None,
        **kwargs: Any,
    ) -> np.ndarray:
        texts = [t for batch in inputs for t in batch["text"]]
        return np.stack([self._vec(t) for t in texts]).astype(np.float32)
