"""Exact top-k search over a corpus of vectors, in chunks, with bounded memory.

Every query is scored against every document, exactly (no approximate index), but the
corpus is visited ``chunk_size`` rows at a time and the queries ``query_chunk_size`` rows at a
time, so the extra memory is bounded by the chunk sizes, never by the corpus size. The corpus
may be a ``numpy.memmap`` on disk: only one chunk of it is read at a time.

Peak extra memory, in bytes, for ``q`` = ``query_chunk_size``, ``c`` = ``chunk_size``,
``d`` = dimension, ``n_q`` = number of queries::

    4·q·c              one block of scores
  + 4·c·d              one corpus chunk, when it must be copied (a memmap, another dtype)
  + 4·n_q·d            the normalised queries (cosine)
  + 48·n_q·k           the running top-k (scores + int64 indices) and its merge buffers
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from mtebkit.errors import ConfigError, MtebkitError

if TYPE_CHECKING:
    import torch

__all__ = ["exact_search", "peak_search_bytes", "topk_to_results"]

Similarity = Literal["cosine", "dot"]


def peak_search_bytes(
    n_queries: int, dim: int, k: int, *, chunk_size: int, query_chunk_size: int
) -> int:
    """The bound on extra memory from the module docstring (float32 scores)."""
    q = min(query_chunk_size, n_queries)
    return 4 * q * chunk_size + 4 * chunk_size * dim + 4 * n_queries * dim + 48 * n_queries * k


def exact_search(
    queries: np.ndarray,
    corpus: np.ndarray,
    k: int,
    *,
    similarity: Similarity = "cosine",
    chunk_size: int = 16_384,
    query_chunk_size: int = 1_024,
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` documents of every query: ``(scores, indices)``, each ``(n_queries, k')``.

    ``k' = min(k, len(corpus))``; rows are sorted by score, descending, ties by lower index.
    Scores are ``q·d`` for ``"dot"`` and ``q·d / (‖q‖·‖d‖)`` for ``"cosine"`` (a zero vector
    scores 0), computed in float32 like mteb's own similarity functions.
    """
    import torch

    if k < 1:
        raise ConfigError(f"exact_search: k must be >= 1, not {k}")
    if chunk_size < 1 or query_chunk_size < 1:
        raise ConfigError(
            f"exact_search: chunk sizes must be >= 1, not {chunk_size}, {query_chunk_size}"
        )
    if similarity not in ("cosine", "dot"):
        raise ConfigError(f"exact_search: similarity must be 'cosine' or 'dot', not {similarity!r}")
    if queries.ndim != 2 or corpus.ndim != 2 or queries.shape[1] != corpus.shape[1]:
        raise MtebkitError(
            f"exact_search: queries {queries.shape} and corpus {corpus.shape} must be 2-D with the same width"
        )
    n_q, n_c = queries.shape[0], corpus.shape[0]
    k_eff = min(k, n_c)
    top_s = np.full((n_q, k_eff), -np.inf, dtype=np.float32)
    top_i = np.full((n_q, k_eff), -1, dtype=np.int64)
    if n_q == 0 or n_c == 0:
        return top_s, top_i
    q_all = torch.from_numpy(np.ascontiguousarray(queries, dtype=np.float32))
    if similarity == "cosine":
        q_all = _unit_rows(q_all)
    with torch.inference_mode():
        for c0 in range(0, n_c, chunk_size):
            # one corpus chunk in memory at a time (a memmap reads just these rows)
            rows = np.ascontiguousarray(corpus[c0 : c0 + chunk_size], dtype=np.float32)
            with warnings.catch_warnings():  # a read-only memmap: only ever read here
                warnings.simplefilter("ignore", UserWarning)
                chunk = torch.from_numpy(rows)
            # cosine: divide the scores by the document norms instead of normalising a copy
            # of the chunk, so no second chunk-sized buffer is needed
            inv_norm = 1.0 / chunk.norm(dim=1).clamp(min=1e-12) if similarity == "cosine" else None
            kc = min(k_eff, chunk.shape[0])
            for q0 in range(0, n_q, query_chunk_size):
                q1 = min(q0 + query_chunk_size, n_q)
                scores = q_all[q0:q1] @ chunk.T
                if inv_norm is not None:
                    scores.mul_(inv_norm)
                vals, idx = torch.topk(scores, kc, dim=1, largest=True, sorted=False)
                del scores
                _merge(top_s[q0:q1], top_i[q0:q1], vals.numpy(), idx.numpy() + c0)
    order = _sort_rows(top_s, top_i)
    return np.take_along_axis(top_s, order, axis=1), np.take_along_axis(top_i, order, axis=1)


def _unit_rows(x: torch.Tensor) -> torch.Tensor:
    """Rows scaled to unit L2 norm; zero rows stay zero (as mteb's cos_sim)."""
    import torch

    return torch.nn.functional.normalize(x, p=2, dim=1)


def _merge(top_s: np.ndarray, top_i: np.ndarray, new_s: np.ndarray, new_i: np.ndarray) -> None:
    """Keep the best ``k`` of (running, new) per row, in place. Ties favour the lower index."""
    k = top_s.shape[1]
    s = np.concatenate([top_s, new_s], axis=1)
    i = np.concatenate([top_i, new_i], axis=1)
    if s.shape[1] > k:
        order = _sort_rows(s, i)[:, :k]
        s = np.take_along_axis(s, order, axis=1)
        i = np.take_along_axis(i, order, axis=1)
    top_s[...] = s
    top_i[...] = i


def _sort_rows(scores: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Per row: positions by score descending, then index ascending (missing, -1, last)."""
    missing = indices < 0
    key_idx = np.where(missing, np.iinfo(np.int64).max, indices)
    # lexsort sorts by the last key first; it works on 2-D along the last axis
    return np.lexsort((key_idx, -scores.astype(np.float64)), axis=-1)


def topk_to_results(
    scores: np.ndarray, indices: np.ndarray, query_ids: Sequence[str], corpus_ids: Sequence[str]
) -> dict[str, dict[str, float]]:
    """mteb's retrieval output: ``{query_id: {doc_id: score}}``."""
    if len(query_ids) != scores.shape[0]:
        raise MtebkitError(
            f"topk_to_results: {len(query_ids)} query ids for {scores.shape[0]} rows"
        )
    out: dict[str, dict[str, float]] = {}
    for qid, srow, irow in zip(query_ids, scores.tolist(), indices.tolist(), strict=True):
        out[qid] = {corpus_ids[i]: s for s, i in zip(srow, irow, strict=True) if i >= 0}
    return out
