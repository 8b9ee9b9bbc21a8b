"""The paired tests as first written: one resample at a time (the oracle of the vectorised ones)."""

from __future__ import annotations

import numpy as np

from mtebkit.reporting._stats import Statistic, mean_statistic


def bootstrap_deltas(
    a: np.ndarray, b: np.ndarray, g: np.ndarray, statistic: Statistic = mean_statistic,
    n_resamples: int = 1000, seed: int = 0,
) -> np.ndarray:  # fmt: skip
    rng = np.random.default_rng(seed)
    n = len(a)
    deltas = np.empty(n_resamples, dtype=np.float64)
    prepare = getattr(statistic, "prepare", None)
    fa, fb = (prepare(a, g), prepare(b, g)) if prepare is not None else (None, None)
    for k in range(n_resamples):
        idx = rng.integers(0, n, size=n)
        if fa is not None and fb is not None:
            w = np.bincount(idx, minlength=n).astype(np.float64)
            deltas[k] = fb(w) - fa(w)
        else:
            deltas[k] = statistic(b[idx], g[idx]) - statistic(a[idx], g[idx])
    return deltas


def randomisation_count(
    a: np.ndarray, b: np.ndarray, g: np.ndarray, statistic: Statistic = mean_statistic,
    n_resamples: int = 1000, seed: int = 0,
) -> int:  # fmt: skip
    n = len(a)
    thr = abs(statistic(b, g) - statistic(a, g)) - 1e-12
    rng = np.random.default_rng(seed)
    count = 0
    for _ in range(n_resamples):
        m = (rng.random(n) < 0.5).reshape((n,) + (1,) * (a.ndim - 1))
        a2, b2 = np.where(m, b, a), np.where(m, a, b)
        if abs(statistic(b2, g) - statistic(a2, g)) >= thr:
            count += 1
    return count
