"""Encode throughput of ``mtebkit.Embedder`` vs ``SentenceTransformer.encode``, and the limit.

Both sides encode the same distinct real texts (STSBenchmark test sentences; a fixed sample of
SciFact corpus documents) in the same process, interleaved run by run so machine load hits both
alike; the best of ``--repeats`` runs counts. Useful work is counted in FLOPs from the model
config and the real token counts after truncation (``_common.encoder_flops``); the ceiling is
this machine's float32 matmul rate for (4096x384)@(384x1536), the best of two kernels
(torch.matmul, i.e. MKL, and oneDNN with a packed weight) run two ways (one product on all
threads, median; one single-threaded product per thread at once), measured between runs. The
fraction of torch.matmul's rate alone (the issue's reference) is reported next to it.
Vectors of both sides are compared (max abs diff). A torch profiler pass then splits the
Embedder's time into matmuls, attention, elementwise ops, and the rest.

    python bench/bench_encode.py [--quick] [--device cpu|cuda] [--batch-sizes 32,128]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import _common as C

# torch profiler op name -> where the time goes
_CATEGORIES = {
    "matmul (linear layers; oneDNN: with bias and GELU fused)": (
        "mkldnn::_linear_pointwise",
        "aten::addmm",
        "aten::mm",
        "aten::bmm",
        "aten::matmul",
        "aten::linear",
    ),
    "bias copy inside addmm": ("aten::copy_",),
    "attention (SDPA: scores, softmax, mixing)": (
        "aten::_scaled_dot_product",
        "aten::scaled_dot_product",
    ),
    "layernorm": ("aten::native_layer_norm", "aten::layer_norm"),
    "residual adds": ("aten::add",),
    "GELU": ("aten::gelu",),
    "embeddings lookup": ("aten::index_select", "aten::embedding"),
}


def _load(device: str) -> tuple[Any, Any, Any]:
    """(SentenceTransformer, Embedder, Embedder with torch's default CPU kernels)."""
    import os

    from sentence_transformers import SentenceTransformer

    from mtebkit import Embedder
    from mtebkit.models._cpu_kernels import ENV_SWITCH

    path = C.model_path()
    st = SentenceTransformer(path, device=device)
    emb = Embedder(path, device=device, use_fp16=False, show_progress_bar=False)
    before = os.environ.get(ENV_SWITCH)
    os.environ[ENV_SWITCH] = "0"
    try:
        plain = Embedder(path, device=device, use_fp16=False, show_progress_bar=False)
    finally:
        if before is None:
            del os.environ[ENV_SWITCH]
        else:
            os.environ[ENV_SWITCH] = before
    return st, emb, plain


def profile_breakdown(fn: Callable[[], Any]) -> dict[str, float]:
    """Share of self CPU time per category (torch profiler, one pass)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fn()
    shares: dict[str, float] = dict.fromkeys(_CATEGORIES, 0.0)
    shares["other"] = 0.0
    total = 0.0
    for ev in prof.key_averages():
        t = float(ev.self_cpu_time_total)
        total += t
        for cat, prefixes in _CATEGORIES.items():
            if ev.key.startswith(prefixes):
                shares[cat] += t
                break
        else:
            shares["other"] += t
    return {k: v / total for k, v in shares.items()} if total else shares


def run_profile(quick: bool, device: str, batch_size: int) -> dict[str, dict[str, float]]:
    _, emb, _ = _load(device)
    emb.engine.cpu_lanes = 1  # every op on the profiled thread
    docs = C.scifact_docs()
    corpora = {
        "STSBenchmark sentences": C.sts_sentences(unique=True)[: 1000 if quick else None],
        "SciFact documents": docs[:: 40 if quick else 20],
    }
    profiles = {
        c: profile_breakdown(lambda t=t: emb.encode(t, batch_size=batch_size))
        for c, t in corpora.items()
    }
    _print_profiles(profiles)
    return profiles


def _print_profiles(profiles: dict[str, dict[str, float]]) -> None:
    prof_rows = [
        {"category": k, **{c: f"{p[k]:.1%}" for c, p in profiles.items()}}
        for k in [*_CATEGORIES, "other"]
    ]
    C.table(
        prof_rows,
        ["category", *profiles],
        title="Where the Embedder's time goes (torch profiler, self CPU time)",
    )


def run(
    quick: bool = False, device: str = "cpu", batch_sizes: list[int] | None = None, repeats: int = 3
) -> dict[str, Any]:
    import torch

    st, emb, plain = _load(device)
    cfg = emb.engine._replicas[0][1].config
    dims = {
        "hidden": cfg.hidden_size,
        "intermediate": cfg.intermediate_size,
        "layers": cfg.num_hidden_layers,
    }
    docs = C.scifact_docs()
    corpora = {
        "STSBenchmark sentences": C.sts_sentences(unique=True)[: 1000 if quick else None],
        # a fixed, deterministic sample keeps the long-document runs to a minute or so
        "SciFact documents": docs[:: 40 if quick else 10],
    }
    batch_sizes = batch_sizes or ([32] if quick else [32, 128])
    default_lanes = emb.engine.cpu_lanes  # None: one lane per core
    rows: list[dict[str, Any]] = []
    rates: list[float] = []
    profiles: dict[str, dict[str, float]] = {}
    for cname, texts in corpora.items():
        lengths = C.token_lengths(emb.engine.tokenizer, texts, emb.max_length)
        flops = C.encoder_flops(lengths, **dims)
        for bs in batch_sizes:
            sides: dict[str, Callable[[], Any]] = {
                "sentence-transformers": lambda t=texts, b=bs: st.encode(
                    t, batch_size=b, convert_to_numpy=True, show_progress_bar=False
                ),
                # the core before lanes and oneDNN: one batch at a time on every torch thread
                "mtebkit, torch kernels, 1 lane": lambda t=texts, b=bs: plain.encode(
                    t, batch_size=b
                ),
                "mtebkit, torch kernels": lambda t=texts, b=bs: plain.encode(t, batch_size=b),
                "mtebkit": lambda t=texts, b=bs: emb.encode(t, batch_size=b),
            }
            times: dict[str, list[float]] = {s: [] for s in sides}
            vecs: dict[str, np.ndarray] = {}
            my_rates: list[float] = []
            torch_rates: list[float] = []
            for _ in range(repeats):
                mm = C.matmul_rate(repeats=10)
                my_rates.append(mm["gflops_ceiling"] * 1e9)
                torch_rates.append(mm["gflops_torch_matmul"] * 1e9)
                for side, fn in sides.items():
                    plain.engine.cpu_lanes = 1 if side.endswith("1 lane") else default_lanes
                    t, v = C.timed(fn)
                    times[side].append(t)
                    vecs[side] = np.asarray(v)
            plain.engine.cpu_lanes = default_lanes
            rates += my_rates
            rate = statistics.median(my_rates)
            torch_rate = statistics.median(torch_rates)
            ref = vecs["sentence-transformers"]
            for side, ts in times.items():
                best = min(ts)
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
                        "torch_matmul_gflops": torch_rate / 1e9,
                        "fraction_of_torch_matmul": flops / best / torch_rate,
                        "max_abs_diff_vs_st": float(np.abs(vecs[side] - ref).max()),
                        "all_seconds": ts,
                    }
                )
        # one lane, so every op runs on the profiled thread (the ops are the same with lanes)
        emb.engine.cpu_lanes = 1
        profiles[cname] = profile_breakdown(
            lambda t=texts: emb.encode(t, batch_size=batch_sizes[0])
        )
        emb.engine.cpu_lanes = default_lanes
    cols = ["texts", "n", "batch_size", "side", "seconds", "texts_per_s", "tokens_per_s", "useful_gflops",
            "ceiling_gflops", "fraction_of_ceiling", "torch_matmul_gflops", "fraction_of_torch_matmul",
            "max_abs_diff_vs_st"]  # fmt: skip
    C.table(rows, cols, title=f"Encode throughput (best of {repeats}, interleaved)")
    _print_profiles(profiles)
    return {
        "device": device,
        "threads": torch.get_num_threads(),
        "model": "all-MiniLM-L6-v2",
        "model_dims": dims,
        "rows": rows,
        "profile_shares": profiles,
        "matmul_rates_gflops": [r / 1e9 for r in rates],
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batch-sizes", default=None, help="comma separated, e.g. 32,128")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--profile-only", action="store_true", help="only the profiler breakdown")
    a = ap.parse_args()
    bs = [int(x) for x in a.batch_sizes.split(",")] if a.batch_sizes else None
    t = time.perf_counter()
    if a.profile_only:
        out: dict[str, Any] = {"profile_shares": run_profile(a.quick, a.device, (bs or [32])[0])}
        out["wall_s"] = time.perf_counter() - t
        print(
            "wrote",
            C.write_result(C.result_name("encode_profile", quick=a.quick, device=a.device), out),
        )
        return
    out = run(a.quick, a.device, bs, a.repeats)
    out["wall_s"] = time.perf_counter() - t
    name = C.result_name("encode", quick=a.quick, device=a.device, partial=bs is not None)
    print("wrote", C.write_result(name, out))


if __name__ == "__main__":
    main()
