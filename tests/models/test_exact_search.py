"""Chunked exact top-k search: identical to a brute-force ranking, at any chunk size."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from mtebkit import MtebkitError
from mtebkit.models._search import exact_search, peak_search_bytes, topk_to_results


def _brute(q: np.ndarray, c: np.ndarray, k: int, cosine: bool) -> tuple[np.ndarray, np.ndarray]:
    if cosine:
        q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
        c = c / np.maximum(np.linalg.norm(c, axis=1, keepdims=True), 1e-12)
    s = q.astype(np.float64) @ c.astype(np.float64).T
    idx = np.argsort(-s, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(s, idx, axis=1), idx


@pytest.mark.parametrize("similarity", ["cosine", "dot"])
@pytest.mark.parametrize(("chunk", "qchunk"), [(7, 3), (64, 1000), (10_000, 2)])
def test_matches_brute_force(similarity: str, chunk: int, qchunk: int) -> None:
    rng = np.random.default_rng(0)
    q = rng.standard_normal((23, 16)).astype(np.float32)
    c = rng.standard_normal((301, 16)).astype(np.float32)
    s, i = exact_search(q, c, 10, similarity=similarity, chunk_size=chunk, query_chunk_size=qchunk)  # type: ignore[arg-type]
    bs, bi = _brute(q, c, 10, similarity == "cosine")
    assert s.shape == i.shape == (23, 10)
    np.testing.assert_array_equal(i, bi)
    np.testing.assert_allclose(s, bs, atol=1e-5)


def test_ties_break_by_lower_index_and_k_larger_than_corpus() -> None:
    c = np.ones((5, 4), dtype=np.float32)
    s, i = exact_search(np.ones((2, 4), dtype=np.float32), c, 10, similarity="dot", chunk_size=2)
    assert i.tolist() == [[0, 1, 2, 3, 4]] * 2
    assert s.tolist() == [[4.0] * 5] * 2


def test_memmap_corpus_and_results_mapping(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    data = rng.standard_normal((1000, 8)).astype(np.float32)
    mm = np.memmap(tmp_path / "c.f32", dtype=np.float32, mode="w+", shape=data.shape)
    mm[:] = data
    mm.flush()
    q = rng.standard_normal((4, 8)).astype(np.float32)
    s1, i1 = exact_search(
        q,
        np.memmap(tmp_path / "c.f32", dtype=np.float32, mode="r", shape=data.shape),
        5,
        chunk_size=128,
    )
    s2, i2 = exact_search(q, data, 5)
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_array_equal(s1, s2)
    res = topk_to_results(s1, i1, ["q0", "q1", "q2", "q3"], [f"d{j}" for j in range(1000)])
    assert list(res["q0"]) == [f"d{j}" for j in i1[0]]
    assert res["q2"][f"d{i1[2][0]}"] == pytest.approx(float(s1[2][0]))


def test_peak_memory_is_bounded_by_chunk_size_not_corpus_size() -> None:
    """numpy reports its allocations to tracemalloc; torch's scores block is counted by the bound."""
    rng = np.random.default_rng(2)
    q = rng.standard_normal((64, 32)).astype(np.float32)
    peaks = []
    for n in (20_000, 80_000):
        c = rng.standard_normal((n, 32)).astype(np.float32)
        tracemalloc.start()
        exact_search(q, c, 10, chunk_size=1024, query_chunk_size=64)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    bound = peak_search_bytes(64, 32, 10, chunk_size=1024, query_chunk_size=64)
    assert max(peaks) <= bound
    assert peaks[1] < 1.5 * peaks[0]  # 4x the corpus, about the same peak
    assert bound < 20_000 * 32 * 4  # and the bound is far below even the smaller corpus


def test_bad_arguments_are_refused() -> None:
    q = np.zeros((2, 3), dtype=np.float32)
    with pytest.raises(MtebkitError, match="same width"):
        exact_search(q, np.zeros((4, 5), dtype=np.float32), 1)
    with pytest.raises(MtebkitError, match="k must be"):
        exact_search(q, q, 0)
    with pytest.raises(MtebkitError, match="similarity"):
        exact_search(q, q, 1, similarity="l2")  # type: ignore[arg-type]
