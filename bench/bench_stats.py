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
    C.write_result(C.result_name("stats", quick=args.quick), {"rows": rows})


if __name__ == "__main__":
    main()
