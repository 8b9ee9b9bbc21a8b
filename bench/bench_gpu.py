"""The GPU path: fp16 / bf16 / fp32 throughput against the GPU's matmul rate, OOM back-off, scores.

Run where a GPU exists (``python bench/bench_gpu.py``); ``--device cpu --quick`` checks the
plumbing on a CPU (float32 and bfloat16 only, small samples). Parts:

1. **matmul rate** of the device per dtype, for each model's feed-forward shape
   ``(16384 x H) @ (H x 4H)``, median of 20 timed products (CUDA events); float32 with TF32 off;
2. **encode throughput** of ``mtebkit.Embedder`` per model and dtype on STSBenchmark sentences and
   SciFact documents: texts/s, tokens/s, useful GFLOP/s (``_common.encoder_flops``, real tokens
   only) and that as a fraction of the same dtype's matmul rate; next to it
   ``SentenceTransformer.encode`` in the same dtype;
3. **OOM back-off**: the same documents with an absurd batch size under a capped memory
   fraction; the number of out-of-memory retries and the max abs difference to the normal run;
4. **scores**: ``mtebkit run`` of STSBenchmark and SciFact in float16, bfloat16 and float32 and the
   differences (x100) to float32 (expected within 0.1 points).

    python bench/bench_gpu.py [--quick] [--device cuda] [--models minilm,mpnet]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import _common as C

MODELS = {
    "minilm": "all-MiniLM-L6-v2",
    "mpnet": "sentence-transformers/all-mpnet-base-v2",
}
SCORE_TASKS = ["STSBenchmark", "SciFact"]


def _model_path(key: str) -> str:
    if key == "minilm":
        return C.model_path()
    from mtebkit.models import resolve_model

    return str(resolve_model(MODELS[key]).path)


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def gpu_matmul_rate(device: str, dtype: str, hidden: int, repeats: int = 20) -> float:
    """GFLOP/s of ``(16384 x H) @ (H x 4H)`` in ``dtype`` on ``device`` (median)."""
    import torch

    m, k, n = 16384, hidden, 4 * hidden
    dt = getattr(torch, dtype)
    torch.backends.cuda.matmul.allow_tf32 = False  # float32 means float32
    a = torch.randn(m, k, device=device, dtype=dt)
    b = torch.randn(k, n, device=device, dtype=dt)
    for _ in range(3):
        a @ b
    _sync(device)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        _sync(device)
        times.append(time.perf_counter() - t)
    return 2.0 * m * k * n / statistics.median(times) / 1e9


def _dims(model: Any) -> dict[str, int]:
    cfg = model.config
    return {
        "hidden": cfg.hidden_size,
        "intermediate": cfg.intermediate_size,
        "layers": cfg.num_hidden_layers,
    }


def throughput(
    key: str, device: str, dtypes: list[str], quick: bool, batch_size: int
) -> list[dict[str, Any]]:
    import torch
    from sentence_transformers import SentenceTransformer

    from mtebkit import Embedder

    path = _model_path(key)
    corpora = {
        "STSBenchmark sentences": C.sts_sentences()[: 500 if quick else None],
        "SciFact documents": C.scifact_docs()[: 100 if quick else None],
    }
    rows = []
    for dtype in dtypes:
        emb = Embedder(path, devices=[device], dtype=dtype, batch_size=batch_size)
        dims = _dims(emb._replicas[0][1])
        rate = gpu_matmul_rate(device, dtype, dims["hidden"], repeats=5 if quick else 20)
        st = SentenceTransformer(path, device=device)
        if dtype != "float32":
            st = st.to(getattr(torch, dtype))
        for cname, texts in corpora.items():
            lengths = C.token_lengths(emb.tokenizer, texts, emb.max_length)
            flops = C.encoder_flops(lengths, **dims)
            sides = {
                "sentence-transformers": lambda t=texts, m=st: m.encode(
                    t, batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False
                ),
                "mtebkit": lambda t=texts, m=emb: m.encode(t),
            }
            vecs = {}
            for side, fn in sides.items():
                fn()  # warm-up: kernels, allocator
                _sync(device)
                seconds, v = C.timed(lambda fn=fn: (fn(), _sync(device))[0], repeats=2)
                vecs[side] = np.asarray(v, dtype=np.float32)
                rows.append(
                    {
                        "model": MODELS[key],
                        "dtype": dtype,
                        "texts": cname,
                        "n": len(texts),
                        "side": side,
                        "seconds": seconds,
                        "texts_per_s": len(texts) / seconds,
                        "tokens_per_s": sum(lengths) / seconds,
                        "useful_gflops": flops / seconds / 1e9,
                        "matmul_gflops": rate,
                        "fraction_of_matmul": flops / seconds / 1e9 / rate,
                    }
                )
            rows[-1]["max_abs_diff_vs_st"] = float(
                np.abs(vecs["mtebkit"] - vecs["sentence-transformers"]).max()
            )
        del emb, st
        if device.startswith("cuda"):
            torch.cuda.empty_cache()
    return rows


def oom_backoff(device: str, quick: bool) -> dict[str, Any]:
    """Force out-of-memory with a huge batch under a capped memory fraction; nothing is lost."""
    import torch

    from mtebkit import Embedder

    docs = C.scifact_docs()[: 200 if quick else 2000]
    normal = Embedder(
        C.model_path(), devices=[device], dtype="float16" if device != "cpu" else None
    )
    expected = normal.encode(docs)
    emb = Embedder(
        C.model_path(),
        devices=[device],
        dtype="float16" if device != "cpu" else None,
        batch_size=4096,
    )
    retries: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "out of memory" in record.getMessage():
                retries.append(record.getMessage())

    handler = Catch()
    logging.getLogger("mtebkit.models._engine").addHandler(handler)
    capped = False
    try:
        if device.startswith("cuda"):
            torch.cuda.empty_cache()
            torch.cuda.set_per_process_memory_fraction(0.02, torch.device(device))
            capped = True
        t = time.perf_counter()
        got = emb.encode(docs)
        seconds = time.perf_counter() - t
    finally:
        logging.getLogger("mtebkit.models._engine").removeHandler(handler)
        if capped:
            torch.cuda.set_per_process_memory_fraction(1.0, torch.device(device))
    return {
        "docs": len(docs),
        "requested_batch_size": 4096,
        "memory_fraction": 0.02 if capped else None,
        "oom_retries": len(retries),
        "learned_token_cap": emb._oom_cap.get(device),
        "seconds": seconds,
        "max_abs_diff_vs_normal_run": float(np.abs(got - expected).max()),
    }


def scores(device: str, dtypes: list[str], quick: bool) -> list[dict[str, Any]]:
    from mtebkit.evaluation import RunConfig, run_evaluation

    tasks = ["STSBenchmark"] if quick else SCORE_TASKS
    out: dict[str, dict[tuple[str, str], float]] = {}
    for dtype in dtypes:
        results = Path(tempfile.mkdtemp(prefix="mtebkit-bench-gpu-"))
        try:
            cfg = RunConfig(
                models=[C.model_path()], tasks=tasks, data_dir=C.data_dir(), results_dir=results,
                dtype=dtype, use_cache=False, show_progress=False, devices=[device],
            )  # fmt: skip
            out[dtype] = {(r.task, r.split): r.main_score for r in run_evaluation(cfg)}
        finally:
            shutil.rmtree(results, ignore_errors=True)
    ref = out.get("float32", {})
    rows = []
    for dtype, by_task in out.items():
        for (task, split), score in sorted(by_task.items()):
            base = ref.get((task, split))
            rows.append(
                {
                    "task": task,
                    "split": split,
                    "dtype": dtype,
                    "score_x100": 100 * score,
                    "diff_vs_float32_x100": None if base is None else 100 * (score - base),
                }
            )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--models", default="minilm,mpnet")
    ap.add_argument(
        "--dtypes", default=None, help="default float16,bfloat16,float32 (cpu: no fp16)"
    )
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--skip", default="", help="comma separated: throughput,oom,scores")
    a = ap.parse_args()
    import torch

    if a.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("bench_gpu: no CUDA device here (use --device cpu to check the plumbing)")
    default = "float16,bfloat16,float32" if a.device != "cpu" else "bfloat16,float32"
    dtypes = (a.dtypes or default).split(",")
    skip = set(filter(None, a.skip.split(",")))
    # a CPU run only checks the plumbing: it must not overwrite a GPU measurement
    name = ("gpu" if a.device != "cpu" else "gpu_plumbing_cpu") + ("_quick" if a.quick else "")
    t0 = time.perf_counter()
    out: dict[str, Any] = {
        "device": a.device,
        "device_name": torch.cuda.get_device_name(a.device) if a.device != "cpu" else "cpu",
        "visible_gpus": torch.cuda.device_count(),
        "batch_size": a.batch_size,
    }
    if "throughput" not in skip:
        rows = []
        for key in a.models.split(","):
            rows += throughput(key, a.device, dtypes, a.quick, a.batch_size)
            C.write_result(name, {**out, "throughput": rows, "complete": False})
        out["throughput"] = rows
        C.table(rows, ["model", "dtype", "texts", "side", "seconds", "texts_per_s", "tokens_per_s",
                       "useful_gflops", "matmul_gflops", "fraction_of_matmul", "max_abs_diff_vs_st"],
                title="Encode throughput")  # fmt: skip
    if "oom" not in skip:
        out["oom_backoff"] = oom_backoff(a.device, a.quick)
        C.table([out["oom_backoff"]], list(out["oom_backoff"]), title="Out-of-memory back-off")
    if "scores" not in skip:
        out["scores"] = scores(a.device, dtypes, a.quick)
        C.table(out["scores"], ["task", "split", "dtype", "score_x100", "diff_vs_float32_x100"],
                title="Scores by dtype (all-MiniLM-L6-v2)")  # fmt: skip
    out["wall_s"] = time.perf_counter() - t0
    out["complete"] = True
    print("wrote", C.write_result(name, out))


if __name__ == "__main__":
    main()
