"""How much a vector and a score move with the batch plan and with the CPU's instruction set.

Three ways to encode the same texts, side by side in one run:

1. ``padded``: the engine's old CPU plan (token-budget batches of mixed lengths, padded);
2. ``same-length``: today's CPU plan (every batch one token length: no padding);
3. ``other-cpu``: today's plan in a child process whose kernels are those of another CPU:
   ATen without SIMD (``ATEN_CPU_CAPABILITY=default``), oneDNN capped at SSE4.1, MKL at
   SSE4.2, mtebkit's oneDNN linears off (``MTEBKIT_ONEDNN=0``).

For each it reports the encode time, whether a subset encoded on its own (another batch plan)
gives bit-identical vectors, the max abs difference and min cosine against ``same-length``,
and for the STS tasks in the mirror the main score (Spearman of cosine, x100) of each side.

    python bench/bench_invariance.py [--tasks STSBenchmark,SICK-R,BIOSSES]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import _common as C

OTHER_CPU = {
    "ATEN_CPU_CAPABILITY": "default",
    "ONEDNN_MAX_CPU_ISA": "SSE41",
    "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
    "MTEBKIT_ONEDNN": "0",
}
STS = {  # task -> mirror folder (test split; scores 0-5 or 0-1)
    "STSBenchmark": "mteb/stsbenchmark-sts",
    "SICK-R": "mteb/sickr-sts",
    "BIOSSES": "mteb/biosses-sts",
    "STS12": "mteb/sts12-sts",
    "STS16": "mteb/sts16-sts",
}


def _pairs(task: str) -> tuple[list[str], list[str], np.ndarray]:
    folder = C.data_dir() / STS[task]
    files = sorted(folder.glob("test*.jsonl*")) or sorted(folder.glob("**/test*.jsonl*"))
    opener: Any = gzip.open if files[0].suffix == ".gz" else open
    with opener(files[0], "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return (
        [r["sentence1"] for r in rows],
        [r["sentence2"] for r in rows],
        np.array([float(r["score"]) for r in rows]),
    )


def _encode(texts: list[str], *, padded: bool) -> tuple[np.ndarray, float, bool]:
    """(vectors, seconds, whether the last 300 texts encoded alone are bit-identical)."""
    import mtebkit.models._engine as engine
    from mtebkit import Embedder

    plain = engine.token_batches
    if padded:  # the pre-version-2 CPU plan, for comparison
        engine.token_batches = lambda *a, **k: plain(*a, **{**k, "same_length": False})
    try:
        model = Embedder(C.model_path(), batch_size=32)  # no cache: every text encoded
        model.encode(texts[:64])  # warm-up
        start = time.perf_counter()
        vectors = model.encode(texts)
        seconds = time.perf_counter() - start
        alone = model.encode(texts[-300:])
    finally:
        engine.token_batches = plain
    return vectors, seconds, bool(np.array_equal(alone, vectors[-300:]))


def _child(out: Path, texts_file: Path) -> None:
    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    vectors, seconds, same = _encode(texts, padded=False)
    np.save(out, vectors)
    out.with_suffix(".json").write_text(
        json.dumps({"seconds": round(seconds, 2), "subset_equal": same})
    )


def _spearman(a: np.ndarray, b: np.ndarray, gold: np.ndarray) -> float:
    from scipy.stats import spearmanr

    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return float(spearmanr(cos, gold).statistic) * 100


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default=",".join(STS))
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(Path(args.child[0]), Path(args.child[1]))
        return
    tasks = [t for t in args.tasks.split(",") if t]
    data = {t: _pairs(t) for t in tasks}
    texts = list(dict.fromkeys(s for t in tasks for s in (*data[t][0], *data[t][1])))
    sides: dict[str, dict[str, Any]] = {}
    vecs: dict[str, np.ndarray] = {}
    for name in ("padded", "same-length"):
        v, seconds, same = _encode(texts, padded=name == "padded")
        vecs[name], sides[name] = v, {"seconds": round(seconds, 2), "subset_equal": same}
    with tempfile.TemporaryDirectory() as tmp:
        tf, out = Path(tmp) / "texts.json", Path(tmp) / "other.npy"
        tf.write_text(json.dumps(texts), encoding="utf-8")
        env = {**os.environ, **OTHER_CPU}
        subprocess.run(
            [sys.executable, __file__, "--child", str(out), str(tf)], env=env, check=True
        )
        vecs["other-cpu"] = np.load(out)
        sides["other-cpu"] = json.loads(out.with_suffix(".json").read_text())
    ref = vecs["same-length"]
    index = {t: i for i, t in enumerate(texts)}
    for name, v in vecs.items():
        sides[name]["max_abs_vs_same_length"] = float(np.abs(v - ref).max())
        sides[name]["min_cos_vs_same_length"] = float((v * ref).sum(1).min())
        sides[name]["scores"] = {}
        for t in tasks:
            s1, s2, gold = data[t]
            a = v[[index[s] for s in s1]]
            b = v[[index[s] for s in s2]]
            sides[name]["scores"][t] = _spearman(a, b, gold)
    print(f"{len(texts)} distinct texts of {', '.join(tasks)}; all-MiniLM-L6-v2, batch 32, CPU")
    print(
        f"{'side':<12} {'seconds':>8} {'subset==':>9} {'max|dv|':>9} {'min cos':>12}  scores x100"
    )
    for name, s in sides.items():
        scores = "  ".join(f"{t} {x:.6f}" for t, x in s["scores"].items())
        print(
            f"{name:<12} {s['seconds']:>8} {s['subset_equal']!s:>9} "
            f"{s['max_abs_vs_same_length']:>9.2e} {s['min_cos_vs_same_length']:>12.9f}  {scores}"
        )
    worst = {
        t: max(abs(s["scores"][t] - sides["same-length"]["scores"][t]) for s in sides.values())
        for t in tasks
    }
    print("largest score difference x100 per task:", {t: f"{d:.2e}" for t, d in worst.items()})
    C.write_result("invariance", {"texts": len(texts), "sides": sides, "worst_delta": worst})


if __name__ == "__main__":
    main()
