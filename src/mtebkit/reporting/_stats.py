"""Paired significance tests over per-item scores (pure functions, seeded).

Two systems A and B are scored on the same n items. ``statistic(items) -> float`` turns a set of
items into the task metric (the mean of per-query nDCG@10, the Spearman correlation of per-pair
scores with gold, ...). ``delta = stat(B) - stat(A)``.

* :func:`paired_bootstrap`: draw ``n`` item indices with replacement, ``B_k`` times; on each draw
  ``d_k = stat(B[idx]) - stat(A[idx])`` (the SAME indices for both systems: paired).
  95% CI = the 2.5th and 97.5th percentiles of ``d_k``. Two-sided p-value (the shifted
  bootstrap null of Berg-Kirkpatrick et al. 2012): ``p = (1 + #{|d_k - delta| >= |delta|}) / (B + 1)``.
* :func:`randomisation_test` (approximate randomisation, Noreen 1989): under H0 the two systems
  are exchangeable per item, so each item's A and B values are swapped with probability 1/2;
  ``p = (1 + #{|d_r| >= |delta|}) / (R + 1)``; with ``n <= exact_max_items`` all ``2^n`` swaps
  are enumerated and ``p = #{|d_s| >= |delta|} / 2^n`` exactly.

For pair tasks (STS, pair classification) an item is (model score, gold). Swapping raw model
scores between two models is meaningless when their similarity scales differ, so
:func:`pair_items` replaces each model's scores with their normalised ranks first; Spearman and
average precision are invariant under that monotone transform, so ``delta`` is unchanged.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "PairedTest",
    "average_precision",
    "mean_statistic",
    "pair_items",
    "paired_bootstrap",
    "randomisation_test",
    "spearman",
    "statistic_for",
]

FloatArray = npt.NDArray[np.float64]
Statistic = Callable[[FloatArray, FloatArray], float]  # (values, gold) -> metric


@dataclass(frozen=True)
class PairedTest:
    """Result of a paired test; ``delta`` = B - A on the metric's own scale."""

    method: str
    delta: float
    p_value: float
    ci_low: float | None
    ci_high: float | None
    n_items: int
    n_resamples: int

    def significant(self, alpha: float = 0.05) -> bool:
        return self.p_value < alpha


def mean_statistic(values: FloatArray, gold: FloatArray) -> float:
    """Mean of per-item metric values (retrieval: per-query nDCG@10 etc.); ``gold`` unused."""
    return float(np.mean(values))


def _rankdata(x: FloatArray) -> FloatArray:
    """Average ranks (1-based), ties sharing their mean rank (as scipy.stats.rankdata)."""
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), dtype=np.float64)
    sx = x[order]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and sx[j + 1] == sx[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def spearman(values: FloatArray, gold: FloatArray) -> float:
    """Spearman's rho = Pearson correlation of the average ranks; 0.0 when either side is constant."""
    rv, rg = _rankdata(values), _rankdata(gold)
    sv, sg = rv.std(), rg.std()
    if sv == 0 or sg == 0:
        return 0.0
    return float(np.mean((rv - rv.mean()) * (rg - rg.mean())) / (sv * sg))


def average_precision(values: FloatArray, gold: FloatArray) -> float:
    """AP = sum_k P@k * rel_k / #relevant over items sorted by score (descending), gold in {0, 1}."""
    order = np.argsort(-values, kind="mergesort")
    rel = (gold[order] > 0).astype(np.float64)
    n_rel = rel.sum()
    if n_rel == 0:
        return 0.0
    prec = np.cumsum(rel) / np.arange(1, len(rel) + 1)
    return float((prec * rel).sum() / n_rel)


def statistic_for(task_type: str | None, kind: str) -> Statistic:
    """The per-task statistic: Spearman for STS/summarization pairs, AP for pair classification,
    the mean for per-query (retrieval / reranking) values."""
    if kind == "retrieval":
        return mean_statistic
    if task_type == "PairClassification":
        return average_precision
    return spearman


def pair_items(scores: FloatArray) -> FloatArray:
    """Normalised ranks ``rank / n`` of one model's pair scores (see the module docstring)."""
    return _rankdata(np.asarray(scores, dtype=np.float64)) / max(len(scores), 1)


def _check(
    a: FloatArray, b: FloatArray, gold: FloatArray | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(
            f"paired test needs two 1-d arrays of the same length, got {a.shape} and {b.shape}"
        )
    if len(a) < 2:
        raise ValueError("paired test needs at least 2 items")
    g = np.zeros_like(a) if gold is None else np.asarray(gold, dtype=np.float64)
    if g.shape != a.shape:
        raise ValueError(f"gold has shape {g.shape}, expected {a.shape}")
    return a, b, g


def paired_bootstrap(
    a: FloatArray,
    b: FloatArray,
    gold: FloatArray | None = None,
    *,
    statistic: Statistic = mean_statistic,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> PairedTest:
    """Paired bootstrap of ``statistic(b) - statistic(a)``; see the module docstring for formulas."""
    a, b, g = _check(a, b, gold)
    delta = statistic(b, g) - statistic(a, g)
    rng = np.random.default_rng(seed)
    n = len(a)
    deltas = np.empty(n_resamples, dtype=np.float64)
    for k in range(n_resamples):
        idx = rng.integers(0, n, size=n)
        deltas[k] = statistic(b[idx], g[idx]) - statistic(a[idx], g[idx])
    tail = (1.0 - confidence) / 2.0
    q = np.quantile(deltas, [tail, 1.0 - tail])
    lo, hi = float(q[0]), float(q[1])
    extreme = int(np.sum(np.abs(deltas - delta) >= abs(delta) - 1e-12))
    p = (1 + extreme) / (n_resamples + 1)
    return PairedTest("paired bootstrap", float(delta), min(1.0, p), lo, hi, n, n_resamples)


def randomisation_test(
    a: FloatArray,
    b: FloatArray,
    gold: FloatArray | None = None,
    *,
    statistic: Statistic = mean_statistic,
    n_resamples: int = 1000,
    seed: int = 0,
    exact_max_items: int = 12,
) -> PairedTest:
    """Paired approximate randomisation (exact when ``n <= exact_max_items``); see the module docstring."""
    a, b, g = _check(a, b, gold)
    delta = statistic(b, g) - statistic(a, g)
    n = len(a)
    thr = abs(delta) - 1e-12

    def swapped(mask: npt.NDArray[np.bool_]) -> float:
        a2 = np.where(mask, b, a)
        b2 = np.where(mask, a, b)
        return statistic(b2, g) - statistic(a2, g)

    if n <= exact_max_items:
        count = 0
        total = 0
        for bits in itertools.product((False, True), repeat=n):
            total += 1
            if abs(swapped(np.array(bits))) >= thr:
                count += 1
        return PairedTest(
            "randomisation (exact)", float(delta), count / total, None, None, n, total
        )
    rng = np.random.default_rng(seed)
    count = 0
    for _ in range(n_resamples):
        if abs(swapped(rng.random(n) < 0.5)) >= thr:
            count += 1
    p = (1 + count) / (n_resamples + 1)
    return PairedTest("randomisation", float(delta), min(1.0, p), None, None, n, n_resamples)
