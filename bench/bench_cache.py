"""Embedding cache speed: put and get of SciFact-sized (5,183) and STS-sized (40,000) sets.

Vectors are 384-d float32 (all-MiniLM-L6-v2's width), keys sha256 hex as the Embedder makes
them. Each size runs in a fresh cache folder; "re-put" stores the same keys again (all present).

    python bench/bench_cache.py [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import _common as C


def run(quick: bool = False, repeats: int = 3) -> dict[str, Any]:
    from mtebkit.models import EmbeddingCache

    rows = []
    for n in (5183, 40_000):
        keys = [hashlib.sha256(f"text {i}".encode()).hexdigest() for i in range(n)]
        vecs = np.random.default_rng(0).standard_normal((n, 384)).astype(np.float32)
        items = dict(zip(keys, vecs, strict=True))
        best = {"put_s": float("inf"), "get_s": float("inf"), "reput_s": float("inf")}
        for _ in range(1 if quick else repeats):
            root = Path(tempfile.mkdtemp(prefix="mtebkit-bench-cache-"))
            try:
                cache = EmbeddingCache(root)
                t = time.perf_counter()
                cache.put_many("ns", items)
                best["put_s"] = min(best["put_s"], time.perf_counter() - t)
                cache.close()
                cache = EmbeddingCache(root)  # a new process would start like this
                t = time.perf_counter()
                got = cache.get_many("ns", keys)
                best["get_s"] = min(best["get_s"], time.perf_counter() - t)
                t = time.perf_counter()
                cache.put_many("ns", items)
                best["reput_s"] = min(best["reput_s"], time.perf_counter() - t)
                assert len(got) == n and all(np.array_equal(got[k], items[k]) for k in keys[:100])
                info = cache.info()
            finally:
                shutil.rmtree(root, ignore_errors=True)
        rows.append({"vectors": n, **best, "vectors_per_s_get": n / best["get_s"],
                     "shard_bytes": info["bytes"], "index_bytes": info["index_bytes"]})  # fmt: skip
    C.table(rows, ["vectors", "put_s", "get_s", "reput_s", "vectors_per_s_get", "shard_bytes", "index_bytes"],
            title="Embedding cache (384-d float32, best of runs)")  # fmt: skip
    return {"rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    print("wrote", C.write_result(C.result_name("cache", quick=a.quick), run(a.quick)))


if __name__ == "__main__":
    main()
