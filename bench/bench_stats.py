"""Paired bootstrap speed: materialised resamples (sklearn on ``items[idx]``, a sort per draw)
against the weighted form (sorted once; a resample = integer weights per item, O(n) per draw).

Shapes of real tasks, synthetic seeded values: TwitterURLCorpus max_ap (51,524 pairs x 5 score
columns, float32-rounded scores, 25% positive), Banking77 accuracy (3,080 test items x 10
experiments, 77 classes), and the per-item mean (retrieval / summarization, 10,000 items). Both
paths draw the same indices (same seed); the table gives seconds per resample and whether the
two paths gave the same deltas (max |difference|).

    python bench/bench_stats.py [--quick]     # writes bench/results/stats.json
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import _common as C


def _per_draw(
    stat: Any, fast: bool, a: np.ndarray, b: np.ndarray, g: np.ndarray, draws: int
) -> tuple[float, np.ndarray]:
    """Seconds per bootstrap draw of ``stat(b) - stat(a)`` and the deltas (paired_bootstrap's loop)."""
    rng = np.random.default_rng(0)
    n = len(a)
    out = np.empty(draws)
    t = time.perf_counter()
    if fast:
        fa, fb = stat.prepare(a, g), stat.prepare(b, g)  # once per system, counted in the time
    for k in range(draws):
        idx = rng.integers(0, n, size=n)
        if fast:
            w = np.bincount(idx, minlength=n).astype(np.float64)
            out[k] = fb(w) - fa(w)
        else:
            out[k] = stat.full(b[idx], g[idx]) - stat.full(a[idx], g[idx])
    return (time.perf_counter() - t) / draws, out


def _cases(
    rng: np.random.Generator,
) -> dict[str, tuple[str, str, Callable[[], tuple[np.ndarray, ...]]]]:
    def pairs() -> tuple[np.ndarray, ...]:
        n = 51_524
        y = (rng.random(n) < 0.25).astype(np.float64)

        def model(noise: float) -> np.ndarray:
            base = y[:, None] + rng.normal(0, noise, (n, 5))
            return base.astype(np.float32).astype(np.float64)  # float32 ties, as real scores

        return model(1.0), model(0.9), y

    def classes() -> tuple[np.ndarray, ...]:
        n, e, k = 3080, 10, 77
        gold = rng.integers(0, k, n).astype(np.float64)

        def model(p: float) -> np.ndarray:
            right = rng.random((n, e)) < p
            return np.where(right, gold[:, None], rng.integers(0, k, (n, e))).astype(np.float64)

        return model(0.80), model(0.82), gold

    def means() -> tuple[np.ndarray, ...]:
        n = 10_000
        return rng.random(n), rng.random(n) + 0.01, np.zeros(n)

    return {
        "TwitterURLCorpus-shaped max_ap (51,524 x 5)": ("pair_classification", "max_ap", pairs),
        "Banking77-shaped accuracy (3,080 x 10)": ("classification", "accuracy", classes),
        "per-item mean (10,000)": ("retrieval", "ndcg_at_10", means),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer draws")
    args = ap.parse_args()
    from mtebkit.reporting._stats import statistic_for

    rng = np.random.default_rng(0)
    rows = []
    for name, (kind, metric, make) in _cases(rng).items():
        a, b, g = make()
        stat = statistic_for(kind, metric)
        slow_draws = 3 if args.quick else 10
        fast_draws = 20 if args.quick else 200
        t_slow, d_slow = _per_draw(stat, False, a, b, g, slow_draws)
        t_fast, d_fast = _per_draw(stat, True, a, b, g, fast_draws)
        rows.append(
            {
                "case": name,
                "materialised_s_per_draw": t_slow,
                "weighted_s_per_draw": t_fast,
                "speedup": t_slow / t_fast,
                "draws_compared": slow_draws,
                "max_abs_delta_difference": float(np.max(np.abs(d_slow - d_fast[:slow_draws]))),
                "seconds_for_1000_draws_weighted": 1000 * t_fast,
            }
        )
        print(rows[-1], flush=True)
    C.table(
        rows,
        [
            "case",
            "materialised_s_per_draw",
            "weighted_s_per_draw",
            "speedup",
            "max_abs_delta_difference",
            "seconds_for_1000_draws_weighted",
        ],
        title="Paired bootstrap: seconds per resample (two systems)",
    )
    whole = _whole_tests(rng, quick=args.quick)
    C.table(
        whole,
        ["test", "one_at_a_time_s", "blocks_s", "speedup", "same_p_value"],
        title="Whole paired tests on the per-item mean (10,000 items, 1000 resamples)",
    )
    C.write_result(C.result_name("stats", quick=args.quick), {"rows": rows, "whole": whole})


def _whole_tests(rng: np.random.Generator, *, quick: bool) -> list[dict[str, Any]]:
    """The paired tests as mtebkit runs them (resamples in blocks; the mean as one gather or
    one masked sum) against the one-resample-at-a-time loops they replaced (the tests' oracle)."""
    from mtebkit.reporting._stats import mean_statistic, paired_bootstrap, randomisation_test

    sys.path.insert(0, str(C.REPO))  # the oracle lives with the tests that check against it
    from tests.helpers.stats_oracle import bootstrap_deltas, randomisation_count

    n, resamples = 10_000, 200 if quick else 1000
    a, b, g = rng.random(n), rng.random(n) + 0.01, np.zeros(n)
    delta = float(np.mean(b) - np.mean(a))

    def bootstrap_p() -> float:
        deltas = bootstrap_deltas(a, b, g, mean_statistic, n_resamples=resamples)
        extreme = int(np.sum(np.abs(deltas - delta) >= abs(delta) - 1e-12))
        return min(1.0, (1 + extreme) / (resamples + 1))

    def randomisation_p() -> float:
        count = randomisation_count(a, b, g, mean_statistic, n_resamples=resamples)
        return min(1.0, (1 + count) / (resamples + 1))

    cases = {
        "paired bootstrap": (bootstrap_p, lambda: paired_bootstrap(a, b, g, n_resamples=resamples)),
        "randomisation": (
            randomisation_p,
            lambda: randomisation_test(a, b, g, n_resamples=resamples),
        ),
    }
    out = []
    for name, (old, new) in cases.items():
        t = time.perf_counter()
        p_old = old()
        t_old = time.perf_counter() - t
        t = time.perf_counter()
        p_new = new().p_value
        t_new = time.perf_counter() - t
        out.append({"test": name, "one_at_a_time_s": t_old, "blocks_s": t_new,
                    "speedup": t_old / t_new, "same_p_value": p_old == p_new})  # fmt: skip
    return out


if __name__ == "__main__":
    main()
