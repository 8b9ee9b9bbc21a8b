"""Paired significance tests against hand-computed small cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mtebkit.reporting._stats import (
    pair_items,
    paired_bootstrap,
    randomisation_test,
    statistic_for,
)

spearman = statistic_for("sts", "cosine_spearman")
average_precision = statistic_for("pair_classification", "cosine_ap")


def test_exact_randomisation_hand_computed() -> None:
    # per-item differences b - a = [1, 2, 3]; observed mean delta = 2. Of the 2^3 sign flips only
    # (+,+,+) and (-,-,-) reach |mean| >= 2, so p = 2/8.
    a = np.zeros(3)
    b = np.array([1.0, 2.0, 3.0])
    t = randomisation_test(a, b)
    assert t.delta == pytest.approx(2.0)
    assert t.p_value == pytest.approx(0.25)
    assert t.n_resamples == 8 and t.method == "randomisation (exact)"
    # differences [1, -1]: delta 0 -> every flip is as extreme: p = 1
    assert randomisation_test(np.zeros(2), np.array([1.0, -1.0])).p_value == pytest.approx(1.0)


def test_monte_carlo_randomisation_close_to_exact() -> None:
    a = np.zeros(3)
    b = np.array([1.0, 2.0, 3.0])
    t = randomisation_test(a, b, exact_max_items=0, n_resamples=4000, seed=3)
    assert t.p_value == pytest.approx(0.25, abs=0.03)
    assert randomisation_test(
        a, b, exact_max_items=0, n_resamples=500, seed=3
    ) == randomisation_test(a, b, exact_max_items=0, n_resamples=500, seed=3)  # seeded


def test_bootstrap_hand_computed() -> None:
    # two items with differences 0 and 2: resampled mean differences are 0, 1, 1, 2 with
    # probabilities 1/4, 1/2, 1/4. So the 95% CI is [0, 2], and |d - 1| >= 1 has probability 1/2.
    a = np.zeros(2)
    b = np.array([0.0, 2.0])
    t = paired_bootstrap(a, b, n_resamples=4000, seed=0)
    assert t.delta == pytest.approx(1.0)
    assert (t.ci_low, t.ci_high) == (0.0, 2.0)
    assert t.p_value == pytest.approx(0.5, abs=0.03)


def test_bootstrap_detects_a_real_difference_only() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(0.5, 0.1, 200)
    t = paired_bootstrap(a, a + 0.05 + rng.normal(0, 0.02, 200), n_resamples=500)
    assert t.p_value < 0.01 and t.ci_low > 0
    t0 = paired_bootstrap(a, a + rng.normal(0, 0.02, 200), n_resamples=500)
    assert t0.p_value > 0.05 and t0.ci_low < 0 < t0.ci_high


def test_spearman_and_ap_hand_computed() -> None:
    assert spearman(np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0])) == pytest.approx(-1.0)
    # ranks x = [1, 2.5, 2.5, 4], y = [1, 2, 3, 4]: rho = pearson of ranks = 0.9486832980505138
    assert spearman(
        np.array([1.0, 2.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0, 4.0])
    ) == pytest.approx(0.9486832980505138)
    # ranking (by score): rel, non, rel -> AP = (1/1 + 2/3) / 2
    ap = average_precision(np.array([0.9, 0.8, 0.7]), np.array([1.0, 0.0, 1.0]))
    assert ap == pytest.approx((1 + 2 / 3) / 2)
    # rank transform keeps Spearman
    s = np.array([0.3, 0.9, 0.1, 0.5])
    g = np.array([1.0, 4.0, 0.0, 2.0])
    assert spearman(pair_items(s), g) == pytest.approx(spearman(s, g))
    # z-scores keep Pearson; ranks would not
    pearson = statistic_for("sts", "cosine_pearson")
    assert pearson(pair_items(s, "pearson"), g) == pytest.approx(pearson(s, g))


def test_two_dimensional_items_swap_whole_rows() -> None:
    # max over two columns: B is better in column 0 only, on every item
    a = np.array([[0.1, 0.5], [0.2, 0.6], [0.3, 0.7]])
    b = a + np.array([1.0, 0.0])
    stat = lambda x, g: float(x.mean(axis=0).max())  # noqa: E731
    t = randomisation_test(a, b, statistic=stat)
    assert t.delta == pytest.approx(1.2 - 0.6)
    # only the identity and full swap reach |delta|: p = 2/8
    assert t.p_value == pytest.approx(0.25)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="same shape"):
        paired_bootstrap(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="at least 2"):
        randomisation_test(np.zeros(1), np.zeros(1))


def test_compare_skips_item_files_of_an_older_schema(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import gzip
    import json

    from mtebkit.reporting import compare_runs
    from mtebkit.results import load_results
    from tests.helpers.reporting.factory import sts, write_pair_items, write_result

    gold = [0.1, 0.5, 0.9, 0.3]
    runs = []
    for name, scores in [("a", [0.2, 0.4, 0.8, 0.1]), ("b", [0.1, 0.6, 0.7, 0.2])]:
        p = write_result(
            tmp_path / name, f"org/{name}", "STS12", sts(0.8), main_metric="cosine_spearman"
        )
        write_pair_items(p, scores, gold)
        runs.append((name, load_results(tmp_path / name)))
    cell = compare_runs(runs).cells[("b", "STS12")]
    assert len(cell.tests) == 1  # schema 2 on both sides: tested
    items = next((tmp_path / "b").rglob("STS12.items.json.gz"))
    with gzip.open(items, "rt", encoding="utf-8") as f:
        obj = json.load(f)
    with gzip.open(items, "wt", encoding="utf-8") as f:
        json.dump({**obj, "schema_version": 1}, f)
    cell = compare_runs(runs).cells[("b", "STS12")]
    assert cell.tests == () and cell.delta is not None  # the scores stay, untested
    assert "schema_version 1" in caplog.text


@pytest.mark.parametrize(
    ("kind", "shape"), [("mean", (997,)), ("mean", (300, 3)), ("ap", (997,)), ("spearman", (997,))]
)
def test_vectorised_tests_equal_the_one_at_a_time_oracle(kind: str, shape: tuple[int, ...]) -> None:
    """Blocks of resamples (one matrix product for the mean) give the oracle's numbers: the same
    random streams, the same deltas (to rounding), the same p-values and intervals."""
    from mtebkit.reporting._stats import mean_statistic
    from tests.helpers.stats_oracle import bootstrap_deltas, randomisation_count

    rng = np.random.default_rng(7)
    if kind == "mean":
        stat, a = mean_statistic, rng.random(shape)
        b, gold = a + rng.normal(0.01, 0.1, shape), np.zeros(shape[0])
    else:
        stat = average_precision if kind == "ap" else spearman
        gold = (
            (rng.random(shape[0]) < 0.4).astype(np.float64)
            if kind == "ap"
            else rng.random(shape[0])
        )
        a = gold + rng.normal(0, 0.8, shape[0])
        b = gold + rng.normal(0, 0.7, shape[0])
    n_resamples = 600  # two full blocks and a part: the block edges are covered
    want = bootstrap_deltas(a, b, gold, stat, n_resamples=n_resamples)
    got = paired_bootstrap(a, b, gold, statistic=stat, n_resamples=n_resamples)
    finite = want[np.isfinite(want)]
    q = np.quantile(finite, [0.025, 0.975])
    assert got.ci_low == pytest.approx(q[0], abs=1e-12)
    assert got.ci_high == pytest.approx(q[1], abs=1e-12)
    extreme = int(np.sum(np.abs(finite - got.delta) >= abs(got.delta) - 1e-12))
    assert got.p_value == min(1.0, (1 + extreme) / (len(finite) + 1))
    count = randomisation_count(a, b, gold, stat, n_resamples=n_resamples)
    rand = randomisation_test(a, b, gold, statistic=stat, n_resamples=n_resamples)
    assert rand.p_value == min(1.0, (1 + count) / (n_resamples + 1))


@pytest.mark.parametrize("kind", ["mean", "ap", "spearman"])
def test_one_run_bootstrap_draws_equal_one_draw_at_a_time(kind: str) -> None:
    """The interval draws of one run (sweep curves): block-drawn, with the weighted shortcuts,
    they are the statistic of each draw taken one at a time from the same random stream."""
    from mtebkit.reporting._stats import bootstrap_draws, mean_statistic

    rng = np.random.default_rng(3)
    n = 301
    gold = (rng.random(n) < 0.4).astype(np.float64) if kind == "ap" else rng.random(n)
    x = gold + rng.normal(0, 0.8, n)
    stat = {"mean": mean_statistic, "ap": average_precision, "spearman": spearman}[kind]
    got = bootstrap_draws(x, gold, statistic=stat, n_resamples=600, seed=5)
    draws = np.random.default_rng(5)
    want = []
    for _ in range(600):  # the oracle: one draw of n at a time (the same stream as the blocks)
        idx = draws.integers(0, n, n)
        want.append(stat(x[idx], gold[idx]))
    assert got.shape == (600,)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
