"""Encode throughput of ``mtebkit.Embedder`` vs ``SentenceTransformer.encode``, and the limit.

Both sides encode the same distinct real texts (STSBenchmark test sentences; SciFact corpus
documents) in the same process, interleaved run by run so machine load hits both alike. Useful
work is counted in FLOPs from the model config and the real token counts after truncation
(``_common.encoder_flops``); the ceiling is this machine's median float32 matmul rate, measured
between runs. Vectors of both sides are compared (max abs diff).

    python bench/bench_encode.py [--quick] [--device cpu|cuda] [--batch-sizes 32,128]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import _common as C
import numpy as np


def _load(device: str) -> tuple[Any, Any]:
    from sentence_transformers import SentenceTransformer

    from mtebkit import Embedder

    path = C.model_path()
    st = SentenceTransformer(path, device=device)
    emb = Embedder(path, device=device, use_fp16=False, show_progress_bar=False)
    return st, emb


def run(quick: bool = False, device: str = "cpu", batch_sizes: list[int] | None = None, repeats: int = 2) -> dict[str, Any]:
    import torch

    import mtebkit._embedder as E

    st, emb = _load(device)
    cfg = emb._replicas[0][1].config
    dims = {"hidden": cfg.hidden_size, "intermediate": cfg.intermediate_size, "layers": cfg.num_hidden_layers}
    docs = C.scifact_docs()
    corpora = {
        "STSBenchmark sentences": C.sts_sentences(unique=True),
        # a fixed, deterministic sample keeps the long-document run to about a minute per side
        "SciFact documents": docs[:: 20 if quick else 5],
    }
    if quick:
        corpora["STSBenchmark sentences"] = corpora["STSBenchmark sentences"][:1000]
    batch_sizes = batch_sizes or ([32] if quick else [32, 128])
    rows: list[dict[str, Any]] = []
    rates: list[float] = []
    for cname, texts in corpora.items():
        lengths = C.token_lengths(emb.tokenizer, texts, emb.max_length)
        flops = C.encoder_flops(lengths, **dims)
        for bs in batch_sizes:
            sides: dict[str, list[float]] = {"sentence-transformers": [], "mtebkit fixed-count": [], "mtebkit token-budget": []}
            vecs: dict[str, np.ndarray] = {}
            for _ in range(repeats):
                rates.append(C.matmul_rate(repeats=10)["gflops_median"] * 1e9)
                for side in sides:
                    if side == "sentence-transformers":
                        fn = lambda: st.encode(texts, batch_size=bs, convert_to_numpy=True, show_progress_bar=False)  # noqa: E731
                    else:
                        E.MAX_TEXTS_FACTOR = 1 if side == "mtebkit fixed-count" else 8
                        fn = lambda: emb.encode(texts, batch_size=bs)  # noqa: E731
                    t, v = C.timed(fn)
                    sides[side].append(t)
                    vecs[side] = np.asarray(v)
            E.MAX_TEXTS_FACTOR = 8
            rate = statistics.median(rates[-repeats:])
            ref = vecs["sentence-transformers"]
            for side, times in sides.items():
                best = min(times)
                rows.append(
                    {
                        "texts": cname,
                        "n": len(texts),
                        "tokens": sum(lengths),
                        "batch_size": bs,
                        "side": side,
                        "seconds": best,
                        "texts_per_s": len(texts) / best,
                        "tokens_per_s": sum(lengths) / best,
                        "useful_gflops": flops / best / 1e9,
                        "ceiling_gflops": rate / 1e9,
                        "fraction_of_ceiling": flops / best / rate,
                        "max_abs_diff_vs_st": float(np.abs(vecs[side] - ref).max()),
                    }
                )
    C.table(
        rows,
        ["texts", "n", "batch_size", "side", "seconds", "texts_per_s", "tokens_per_s", "useful_gflops",
         "ceiling_gflops", "fraction_of_ceiling", "max_abs_diff_vs_st"],
        title="Encode throughput (best of %d, interleaved)" % repeats,
    )
    return {"device": device, "threads": torch.get_num_threads(), "model": "all-MiniLM-L6-v2",
            "model_dims": dims, "rows": rows, "matmul_rates_gflops": [r / 1e9 for r in rates]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batch-sizes", default=None, help="comma separated, e.g. 32,128")
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args()
    bs = [int(x) for x in a.batch_sizes.split(",")] if a.batch_sizes else None
    t = time.perf_counter()
    out = run(a.quick, a.device, bs, a.repeats)
    out["wall_s"] = time.perf_counter() - t
    print("wrote", C.write_result("encode", out))


if __name__ == "__main__":
    main()
