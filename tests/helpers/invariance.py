"""The vector invariant the engine keeps (docs/invariance.md), for tests to assert."""

from __future__ import annotations

import numpy as np

# Across CPUs, kernels and (with torch's default kernels) batch plans: float32 rounding.
MAX_ABS = 1e-6
MIN_COS = 1 - 1e-6


def same_in_any_batch(a: np.ndarray, b: np.ndarray, kernels: str | None) -> bool:
    """The invariant across batch plans on one machine: bit for bit with the oneDNN kernels,
    else within float32 rounding."""
    if kernels == "onednn":
        return bool(np.array_equal(a, b))
    return bool(np.abs(a - b).max() <= MAX_ABS and (a * b).sum(1).min() >= MIN_COS)
