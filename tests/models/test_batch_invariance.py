"""The invariant a vector keeps (docs/invariance.md).

On one machine, on CPU with mtebkit's oneDNN kernels (the float32 default): a text's vector is
bit-identical whatever batch, order, subset or number of lanes it is encoded in (batches hold
texts of one token length, so nothing is padded, and oneDNN's packed GEMMs do not depend on the
row count). With torch's default kernels (``MTEBKIT_ONEDNN=0``: MKL picks its GEMM kernel by
the row count) the same holds within float32 rounding (``_close``). Across CPUs (other instruction sets, other kernels) it moves within float32 rounding:
max abs difference <= 1e-6 and cosine >= 1 - 1e-6 for unit vectors, and a cached vector
written on one CPU serves another within that tolerance.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.invariance import MAX_ABS, MIN_COS, same_in_any_batch
from tests.helpers.tiny_models import varied_texts

# Kernels of another CPU on any machine: ATen without SIMD, oneDNN capped at SSE4.1, MKL at
# SSE4.2, mtebkit's oneDNN linear layers off.
OTHER_CPU = {
    "ATEN_CPU_CAPABILITY": "default",
    "ONEDNN_MAX_CPU_ISA": "SSE41",
    "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
    "MTEBKIT_ONEDNN": "0",
}


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.helpers.tiny_models import make_tiny_mean_bert

    return make_tiny_mean_bert(tmp_path_factory.mktemp("tiny") / "m")


@pytest.mark.parametrize("lanes", [1, 2])
def test_a_vector_does_not_depend_on_its_batch_on_cpu(tiny_model: Path, lanes: int) -> None:
    from mtebkit import Embedder

    texts = varied_texts(80)
    model = Embedder(tiny_model, batch_size=4, cpu_lanes=lanes)
    kernels = model.engine.cpu_kernels
    everything = model.encode(texts)
    assert np.array_equal(model.encode(texts), everything)  # same plan: always bit for bit
    alone = np.stack([model.encode([t])[0] for t in texts[:12]])
    assert same_in_any_batch(alone, everything[:12], kernels)
    assert same_in_any_batch(model.encode(texts[::-1])[::-1], everything, kernels)
    assert same_in_any_batch(model.encode(texts[5:50]), everything[5:50], kernels)
    bigger = Embedder(tiny_model, batch_size=16, cpu_lanes=lanes)  # another batch plan
    assert same_in_any_batch(bigger.encode(texts), everything, kernels)


def test_cpu_batches_are_never_padded(tiny_model: Path) -> None:
    from mtebkit import Embedder

    engine = Embedder(tiny_model, batch_size=4).engine
    settings = engine.settings(pooling="mean", normalize=True, max_length=48)
    ids, batches = engine.batch_plan(varied_texts(80), settings=settings, batch_size=4)
    assert all(len({len(ids[i]) for i in b}) == 1 for b in batches)
    assert sorted(i for b in batches for i in b) == list(range(80))


_CHILD = """
import json, sys
import numpy as np
from mtebkit import Embedder, EmbeddingCache
texts = json.loads(sys.argv[2])
model = Embedder(sys.argv[1], batch_size=8, cache=EmbeddingCache(sys.argv[3]))
print(json.dumps({"kernels": model.engine.cpu_kernels}))
np.save(sys.argv[4], model.encode(texts))
"""


def _demo_sts() -> tuple[list[str], list[str], list[float]]:
    from importlib.resources import files

    rows = [
        json.loads(line)
        for line in (files("mtebkit") / "tasks/demo/sts_en/test.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
        if line.strip()
    ]
    return (
        [r["sentence1"] for r in rows],
        [r["sentence2"] for r in rows],
        [r["score"] for r in rows],
    )


def test_another_cpus_vectors_and_cache_stay_within_the_stated_tolerance(tmp_path: Path) -> None:
    """all-MiniLM-L6-v2 (the real weights) on the demo STS pairs: a child process with another
    CPU's kernels encodes and fills a cache; this process reads that cache and encodes afresh."""
    from scipy.stats import spearmanr

    from mtebkit import Embedder, EmbeddingCache
    from mtebkit.models import resolve_model

    path = str(resolve_model("sentence-transformers/all-MiniLM-L6-v2").path)
    s1, s2, gold = _demo_sts()
    texts = list(dict.fromkeys(s1 + s2))
    cache_dir, out = tmp_path / "cache", tmp_path / "other.npy"
    env = {**os.environ, **OTHER_CPU}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, path, json.dumps(texts), str(cache_dir), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1])["kernels"] == "default"
    other = np.load(out)
    here_model = Embedder(path, batch_size=8)
    assert here_model.engine.cpu_kernels in {"onednn", "default"}
    here = here_model.encode(texts)
    assert np.abs(here - other).max() <= MAX_ABS
    assert (here * other).sum(1).min() >= MIN_COS
    cached = Embedder(path, batch_size=8, cache=EmbeddingCache(cache_dir)).encode(texts)
    assert np.array_equal(cached, other)  # the cache serves the other CPU's vectors as stored

    def score(v: np.ndarray) -> float:
        at = {t: i for i, t in enumerate(texts)}
        a, b = v[[at[t] for t in s1]], v[[at[t] for t in s2]]
        return float(spearmanr((a * b).sum(1), gold).statistic) * 100

    assert abs(score(cached) - score(here)) <= 1e-3  # x100: far below a reported digit
