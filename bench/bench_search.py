"""Exact top-k retrieval search: mtebkit's chunked search vs mteb's full-corpus search.

Synthetic corpora of 10k, 100k and 1M 384-d float32 vectors (a memmap on disk, as a real
pre-encoded corpus would be), 1,000 queries, top 100, cosine. mteb's side is its own
``mteb.models.search_wrappers.chunked_full_corpus_search`` (what ``SearchEncoderWrapper`` runs,
chunks of 50,000 documents, torch.topk + a Python heap per query) with encoding replaced by
reading the stored vectors; mtebkit's is ``mtebkit.models.exact_search`` + ``topk_to_results``.
Peak memory is the growth of anonymous resident memory (sampled every 2 ms from /proc; file
pages of the memmap are not counted) and tracemalloc's peak (numpy + Python objects).

    python bench/bench_search.py [--quick] [--chunk-size 16384]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import _common as C

DIM, N_QUERIES, TOP_K = 384, 1000, 100


def _rss_anon() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return 0


def measure(fn: Callable[[], Any]) -> tuple[float, int, int, Any]:
    """(seconds, peak anon RSS growth, tracemalloc peak, result)."""
    base = _rss_anon()
    peak = [base]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _rss_anon())
            time.sleep(0.002)

    th = threading.Thread(target=sample, daemon=True)
    tracemalloc.start()
    th.start()
    t = time.perf_counter()
    try:
        out = fn()
    finally:
        seconds = time.perf_counter() - t
        stop.set()
        th.join()
        traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return seconds, max(0, peak[0] - base), traced, out


class _StoredCorpus:
    """Just enough of a datasets.Dataset for mteb's chunked search: len, select, ['id']."""

    def __init__(self, vectors: np.ndarray, ids: list[str]) -> None:
        self.vectors, self.ids = vectors, ids

    def __len__(self) -> int:
        return len(self.ids)

    def select(self, rows: range) -> _StoredCorpus:
        return _StoredCorpus(self.vectors[rows.start : rows.stop], self.ids[rows.start : rows.stop])

    def __getitem__(self, column: str) -> list[str]:
        assert column == "id"
        return self.ids


def mteb_search(
    queries: np.ndarray, corpus: np.ndarray, ids: list[str]
) -> dict[str, dict[str, float]]:
    import mteb.models.search_wrappers as sw
    from mteb.similarity_functions import cos_sim

    original = sw.create_dataloader
    sw.create_dataloader = lambda sub_corpus, **kw: sub_corpus  # the "encoder" reads stored vectors
    try:
        heaps = sw.chunked_full_corpus_search(
            task_corpus=_StoredCorpus(corpus, ids), corpus_chunk_size=50_000,
            query_idx_to_id={i: f"q{i}" for i in range(len(queries))}, query_embeddings=queries,
            task_metadata=None, hf_subset="default", hf_split="test", top_k=TOP_K,
            encode_kwargs={"show_progress_bar": False},
            encode_fn=lambda loader, **kw: np.asarray(loader.vectors), similarity_fn=cos_sim,
            search_k_offset=1,
        )  # fmt: skip
    finally:
        sw.create_dataloader = original
    return {qid: {doc: s for s, doc in heap} for qid, heap in heaps.items()}


def mtebkit_search(
    queries: np.ndarray, corpus: np.ndarray, ids: list[str], chunk: int
) -> dict[str, dict[str, float]]:
    from mtebkit.models._search import exact_search, topk_to_results

    s, i = exact_search(queries, corpus, TOP_K, similarity="cosine", chunk_size=chunk)
    return topk_to_results(s, i, [f"q{j}" for j in range(len(queries))], ids)


def run(quick: bool = False, chunk: int = 16_384) -> dict[str, Any]:
    from mtebkit.models._search import peak_search_bytes

    sizes = [10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]
    n_q = 200 if quick else N_QUERIES
    rng = np.random.default_rng(0)
    queries = rng.standard_normal((n_q, DIM)).astype(np.float32)
    # warm up both sides (imports, thread pools) so the first size is not charged for them
    warm = rng.standard_normal((2000, DIM)).astype(np.float32)
    mteb_search(queries[:10], warm, [f"w{j}" for j in range(2000)])
    mtebkit_search(queries[:10], warm, [f"w{j}" for j in range(2000)], chunk)
    tmp = Path(tempfile.mkdtemp(prefix="mtebkit-bench-search-"))
    rows = []
    try:
        for n in sizes:
            path = tmp / f"corpus-{n}.f32"
            mm = np.memmap(path, dtype=np.float32, mode="w+", shape=(n, DIM))
            for s in range(0, n, 100_000):
                mm[s : s + 100_000] = rng.standard_normal((min(100_000, n - s), DIM)).astype(
                    np.float32
                )
            mm.flush()
            del mm
            corpus = np.memmap(path, dtype=np.float32, mode="r", shape=(n, DIM))
            ids = [f"d{j}" for j in range(n)]
            results = {}
            for side, fn in (("mteb chunked_full_corpus_search", lambda c=corpus, i=ids: mteb_search(queries, c, i)),
                             (f"mtebkit exact_search (chunk {chunk})", lambda c=corpus, i=ids: mtebkit_search(queries, c, i, chunk))):  # fmt: skip
                seconds, anon, traced, res = measure(fn)
                results[side] = res
                rows.append({"corpus": n, "queries": n_q, "side": side, "seconds": seconds,
                             "peak_anon_MB": anon / 2**20, "tracemalloc_peak_MB": traced / 2**20})  # fmt: skip
            a, b = results.values()
            same = sum(len(set(a[q]) & set(b[q])) for q in a) / sum(len(a[q]) for q in a)
            for r in rows[-2:]:
                r["topk_overlap"] = same
                r["corpus_MB"] = n * DIM * 4 / 2**20
            rows[-1]["bound_MB"] = (
                peak_search_bytes(n_q, DIM, TOP_K, chunk_size=chunk, query_chunk_size=1024) / 2**20
            )
            path.unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    C.table(rows, ["corpus", "queries", "side", "seconds", "peak_anon_MB", "tracemalloc_peak_MB", "bound_MB",
                   "corpus_MB", "topk_overlap"], title=f"Exact top-{TOP_K} search, cosine, d={DIM}")  # fmt: skip
    return {"dim": DIM, "top_k": TOP_K, "chunk_size": chunk, "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--chunk-size", type=int, default=16_384)
    a = ap.parse_args()
    name = C.result_name("search", quick=a.quick, partial=a.chunk_size != 16_384)
    print("wrote", C.write_result(name, run(a.quick, a.chunk_size)))


if __name__ == "__main__":
    main()
