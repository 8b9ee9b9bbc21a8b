"""Out-of-memory back-off and compute dtypes, exercised on CPU (the logic is device-agnostic)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mtebkit import Embedder, MtebkitError
from tests.helpers.tiny_models import WORDS, make_tiny_bert


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_bert(tmp_path_factory.mktemp("tiny"), seed=3)


def _texts(n: int = 60) -> list[str]:
    """Texts of two word counts (each word one token): large batches even on CPU, where a
    batch holds texts of one token length only."""
    rng = random.Random(7)
    ascii_words = [w for w in WORDS if w.isascii()]
    return [" ".join(rng.choices(ascii_words, k=rng.choice([8, 30]))) for _ in range(n)]


def _limit_memory(emb: Embedder, monkeypatch: pytest.MonkeyPatch, limit: int) -> list[int]:
    """Make batches above ``limit`` padded tokens fail as CUDA does; return the failed sizes."""
    import torch

    failures: list[int] = []
    real = emb.engine._forward_padded

    def limited(model: Any, device: str, batch_ids: list[list[int]], settings: Any) -> np.ndarray:
        padded = len(batch_ids) * max(len(x) for x in batch_ids)
        if padded > limit:
            failures.append(padded)
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return real(model, device, batch_ids, settings)

    monkeypatch.setattr(emb.engine, "_forward_padded", limited)
    return failures


def test_out_of_memory_splits_batches_and_loses_nothing(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = _texts()
    expected = Embedder(tiny_dir, device="cpu", batch_size=32).encode(texts)
    emb = Embedder(tiny_dir, device="cpu", batch_size=32)
    failures = _limit_memory(emb, monkeypatch, limit=150)
    got = emb.encode(texts)
    np.testing.assert_allclose(got, expected, atol=1e-5)  # every vector, in the input order
    # the ceiling is learned: a few failures at first, not one per batch
    assert 1 <= len(failures) <= 4
    assert emb.engine._oom_cap["cpu"] <= 150
    failures.clear()
    again = emb.encode([t + " again" for t in texts])
    assert again.shape == got.shape
    assert failures == []  # later calls split before running


def test_a_single_text_that_does_not_fit_is_a_clear_error(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emb = Embedder(tiny_dir, device="cpu")
    _limit_memory(emb, monkeypatch, limit=3)
    with pytest.raises(MtebkitError, match=r"one text of \d+ tokens does not fit in memory on cpu"):
        emb.encode(["the cat plays with the dog in the city"])


def test_bfloat16_is_an_explicit_choice_with_its_own_cache_namespace(tiny_dir: Path) -> None:
    texts = _texts(20)
    fp32 = Embedder(tiny_dir, device="cpu")
    bf16 = Embedder(tiny_dir, device="cpu", dtype="bfloat16")
    assert (fp32.dtype, bf16.dtype) == ("float32", "bfloat16")
    assert bf16.cpu_kernels == "default"  # oneDNN swap is for float32 only
    assert bf16.settings.namespace() != fp32.settings.namespace()
    a, b = fp32.encode(texts), bf16.encode(texts)
    assert b.dtype == np.float32
    cos = (a * b).sum(axis=1)  # both normalised
    assert float(cos.min()) > 0.99
    assert float(np.abs(a - b).max()) > 0  # really computed in bfloat16


def test_dtype_wins_over_use_fp16_and_bad_values_are_refused(tiny_dir: Path) -> None:
    assert Embedder(tiny_dir, device="cpu", use_fp16=True, dtype="float32").dtype == "float32"
    with pytest.raises(MtebkitError, match="dtype must be one of float32, float16, bfloat16"):
        Embedder(tiny_dir, device="cpu", dtype="fp8")


def test_an_interrupted_encode_keeps_the_chunks_it_finished(
    tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mtebkit.models._engine as E
    from mtebkit import EmbeddingCache

    monkeypatch.setattr(E, "CACHE_CHUNK_TEXTS", 10)
    texts = _texts(45)
    expected = Embedder(tiny_dir, device="cpu").encode(texts)
    cache = EmbeddingCache(tmp_path / "cache")
    emb = Embedder(tiny_dir, device="cpu", batch_size=4, cache=cache)
    real = emb.engine._forward_padded
    calls = {"n": 0}

    def dies_late(model: Any, device: str, batch_ids: list[list[int]], settings: Any) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] > 7:  # chunks of 10 texts in batches of <= 4: 3 batches per chunk
            raise KeyboardInterrupt
        return real(model, device, batch_ids, settings)

    monkeypatch.setattr(emb.engine, "_forward_padded", dies_late)
    with pytest.raises(KeyboardInterrupt):
        emb.encode(texts)
    fresh = Embedder(tiny_dir, device="cpu", batch_size=4, cache=cache)
    encoded: list[int] = []
    real_all = fresh.engine._forward_all

    def counting(chunk: list[str], **kw: Any) -> list[np.ndarray]:
        encoded.append(len(chunk))
        return real_all(chunk, **kw)

    monkeypatch.setattr(fresh.engine, "_forward_all", counting)
    np.testing.assert_allclose(fresh.encode(texts), expected, atol=1e-5)
    assert sum(encoded) == len(set(texts)) - 20  # two finished chunks came from the cache


def test_settings_follow_attributes_changed_after_construction(tiny_dir: Path) -> None:
    emb = Embedder(tiny_dir, device="cpu", max_length=64)
    before = emb.settings.namespace()
    emb.max_length = 16  # a vector cached at 64 tokens must not be served for 16
    assert emb.settings.max_length == 16
    assert emb.settings.namespace() != before
    assert emb.settings_record()["max_length"] == 16
