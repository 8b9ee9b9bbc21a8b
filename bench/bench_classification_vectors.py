"""Banking77 train texts: mtebkit's vectors against sentence-transformers', element by element.

mteb's classification trains a logistic regression on these vectors; this measures how far apart
the two encoders' float32 vectors are (all-MiniLM-L6-v2, CPU, batch size 32 on both sides).

    python bench/bench_classification_vectors.py [--n 1000] [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from pathlib import Path

import numpy as np

import _common as C


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=0, help="first N train rows (0: all 10,003)")
    ap.add_argument("--cache-dir", type=Path, default=None, help="mtebkit embedding cache")
    a = ap.parse_args()
    from sentence_transformers import SentenceTransformer

    from mtebkit import Embedder

    with gzip.open(C.data_dir() / "mteb/banking77/train.jsonl.gz", "rt", encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh]
    texts = texts[: a.n] if a.n else texts
    t = time.perf_counter()
    st = SentenceTransformer(C.model_path(), device="cpu").encode(texts, batch_size=32)
    st_s = time.perf_counter() - t
    cache = None
    if a.cache_dir is not None:  # the vectors a run stored: exactly what mteb was handed
        from mtebkit.models import EmbeddingCache

        cache = EmbeddingCache(a.cache_dir)
    emb = Embedder(C.model_path(), batch_size=32, cache=cache)
    t = time.perf_counter()
    ours = emb.encode(texts)
    ours_s = time.perf_counter() - t
    diff = np.abs(ours.astype(np.float64) - st.astype(np.float64))
    cos = np.sum(ours.astype(np.float64) * st, axis=1)
    out = {
        "texts": len(texts), "distinct": len(set(texts)), "dim": int(ours.shape[1]),
        "max_abs_diff": float(diff.max()), "mean_abs_diff": float(diff.mean()),
        "max_abs_value": float(np.abs(st).max()), "min_cosine_mtebkit_vs_st": float(cos.min()),
        "float32_eps": float(np.finfo(np.float32).eps), "st_s": st_s, "mtebkit_s": ours_s,
    }  # fmt: skip
    C.table([out], list(out), title="Banking77 train: mtebkit vs sentence-transformers vectors")
    print("wrote", C.write_result("classification_vectors", out))


if __name__ == "__main__":
    main()
