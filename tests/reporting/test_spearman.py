"""The numpy Spearman of the paired tests is scipy's to the bit (no scipy.stats import)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mtebkit.reporting._stats import average_ranks, spearman


@pytest.mark.parametrize("seed", range(20))
def test_spearman_is_scipys_to_the_bit(seed: int) -> None:
    from scipy.stats import rankdata, spearmanr

    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 300))
    gold = np.round(rng.uniform(0, 5, n), int(rng.integers(0, 3)))  # many ties
    x = gold + rng.normal(0, 1, n)
    for idx in (np.arange(n), rng.integers(0, n, n)):  # as given, and a bootstrap resample
        g, v = gold[idx], x[idx]
        assert np.array_equal(average_ranks(v), rankdata(v))
        want = float(spearmanr(g, v)[0])
        got = spearman(g, v)
        assert got == want or (math.isnan(got) and math.isnan(want))


def test_undefined_cases_are_nan_as_scipy() -> None:
    assert math.isnan(spearman(np.array([1.0]), np.array([2.0])))
    assert math.isnan(spearman(np.ones(5), np.arange(5.0)))
    assert math.isnan(spearman(np.array([1.0, np.nan, 3.0]), np.arange(3.0)))
