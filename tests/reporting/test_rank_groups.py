"""Rank groups in leaderboards: adjacent runs merged while their average difference is not
significant (both of compare's tests), with synthetic item scores whose answer is known."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mtebkit.reporting._compare import PairedItems, paired_tests
from mtebkit.reporting._ranks import pooled_items, rank_labels, rank_table
from mtebkit.reporting._stats import mean_statistic, statistic_for
from mtebkit.results import load_results
from tests.helpers.reporting.factory import sts, write_pair_items, write_result

N = 150


def test_rank_labels_merge_non_significant_steps_only() -> None:
    assert rank_labels([]) == ["1"]
    assert rank_labels([True, True]) == ["1", "2", "3"]
    assert rank_labels([False, True, False]) == ["1–2", "1–2", "3–4", "3–4"]
    assert rank_labels([False, False]) == ["1–3"] * 3  # chained, even if 1 and 3 would differ
    assert rank_labels([None, False]) == ["1", "2–3", "2–3"]  # untested: no merge


def _items(task: str, a: np.ndarray, b: np.ndarray, gold: np.ndarray, kind: str) -> PairedItems:
    if kind == "retrieval":
        return PairedItems(task, kind, "ndcg", a, b, np.zeros(len(a)), mean_statistic)
    stat = statistic_for("sts", "cosine_spearman")
    return PairedItems(task, kind, "spearman", a, b, gold, stat)


def test_pooled_statistic_is_the_mean_of_the_task_statistics() -> None:
    from scipy.stats import spearmanr

    rng = np.random.default_rng(0)
    gold = rng.random(40)
    sa, sb = gold + rng.normal(0, 0.3, 40), gold + rng.normal(0, 0.1, 40)
    qa, qb = rng.random(25), rng.random(25)
    pooled = pooled_items(
        [_items("S", sa, sb, gold, "sts"), _items("R", qa, qb, gold, "retrieval")]
    )
    want_b = (spearmanr(gold, sb)[0] + qb.mean()) / 2
    want_a = (spearmanr(gold, sa)[0] + qa.mean()) / 2
    assert pooled.statistic(pooled.b, pooled.gold) == pytest.approx(want_b, abs=1e-12)
    assert pooled.statistic(pooled.a, pooled.gold) == pytest.approx(want_a, abs=1e-12)
    (boot,) = paired_tests(pooled, method="bootstrap", n_resamples=50)
    assert boot.delta == pytest.approx(want_b - want_a, abs=1e-12)


def test_pooled_tests_find_a_consistent_gain_and_no_gain() -> None:
    rng = np.random.default_rng(1)
    tasks = []
    same = []
    for t in range(3):  # a small gain on each task: the average gain is clear
        base = rng.random(N)
        tasks.append(_items(f"R{t}", base, base + 0.05 + rng.normal(0, 0.05, N), base, "retrieval"))
        same.append(_items(f"R{t}", base, base + rng.normal(0, 0.05, N), base, "retrieval"))
    gain = paired_tests(pooled_items(tasks), method="both", n_resamples=300)
    assert [t.method for t in gain] == ["paired bootstrap", "randomisation"]
    assert all(t.p_value < 0.05 for t in gain)
    tie = paired_tests(pooled_items(same), method="both", n_resamples=300)
    assert all(t.p_value > 0.05 for t in tie)


def _run(root: Path, name: str, scores: dict[str, np.ndarray] | None, gold: np.ndarray) -> None:
    from scipy.stats import spearmanr

    for task in ("STS12", "STS13"):
        s = (scores or {}).get(task)
        value = float(spearmanr(gold, s)[0]) if s is not None else 0.05
        p = write_result(
            root / name, f"org/{name}", task, sts(value), main_metric="cosine_spearman"
        )
        if s is not None:
            write_pair_items(p, [float(x) for x in s], [float(x) for x in gold])


def test_rank_table_groups_ties_and_separates_clear_gaps(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    gold = rng.random(N)
    good = {t: gold + rng.normal(0, 0.1, N) for t in ("STS12", "STS13")}
    twin = {t: v + rng.normal(0, 1e-3, N) for t, v in good.items()}  # the same model, nearly
    poor = {t: gold + rng.normal(0, 1.0, N) for t in ("STS12", "STS13")}
    for name, scores in [("good", good), ("twin", twin), ("poor", poor), ("noitems", None)]:
        _run(tmp_path, name, scores, gold)
    runs = [(name, load_results(tmp_path / name)) for name in ("poor", "noitems", "twin", "good")]
    table = rank_table(runs, n_resamples=200)
    assert table is not None
    ranks = {row[1]: row[0] for row in table.rows}
    assert ranks == {"good": "1–2", "twin": "1–2", "poor": "3", "noitems": "4"}
    verdict = {row[1]: row[-1] for row in table.rows}
    assert verdict["good"] == "not significant" and verdict["twin"] == "significant"
    assert verdict["poor"] == "untested" and verdict["noitems"] == "-"
    assert [row[4] for row in table.rows[:3]] == [2, 2, 0]  # tasks tested per step


def test_without_item_scores_ranks_are_unqualified(tmp_path: Path) -> None:
    gold = np.linspace(0, 1, 10)
    for name in ("a", "b"):
        _run(tmp_path, name, None, gold)
    table = rank_table([(n, load_results(tmp_path / n)) for n in ("a", "b")])
    assert table is not None and "unqualified" in table.note
    assert [row[0] for row in table.rows] == ["1", "2"]
