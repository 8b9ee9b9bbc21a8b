"""Per-item statistics equal mteb's own, on ties included.

Oracles: mteb's private evaluators (allowed in tests, never in the library), pytrec_eval,
sklearn and scipy. Then real runs (tiny random BERT, synthetic mteb tasks with tied scores,
through ``mtebkit.run_evaluation``): the statistic recomputed on all items equals the main score
in the result file, and the plot thresholds are mteb's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mtebkit.reporting import best_thresholds, collect_distributions
from mtebkit.reporting._stats import best_accuracy_threshold, best_f1_threshold, statistic_for
from mtebkit.results import (
    item_matrix,
    item_scores_for,
    load_item_scores,
    load_results,
    parse_main_metric,
    per_query_metrics,
    reciprocal_rank,
)

SYN = "tests.helpers.reporting.synthetic"


def _mteb_acc(scores: np.ndarray, labels: np.ndarray, high: bool = True) -> tuple[float, float]:
    from mteb.abstasks.pair_classification import AbsTaskPairClassification

    # the methods do not use self (mteb marks them PLR6301)
    return AbsTaskPairClassification._find_best_acc_and_threshold(  # type: ignore[arg-type]
        None, list(scores), labels.astype(np.int64), high
    )


def _mteb_f1(scores: np.ndarray, labels: np.ndarray, high: bool = True) -> tuple[float, ...]:
    from mteb.abstasks.pair_classification import AbsTaskPairClassification

    return AbsTaskPairClassification._find_best_f1_and_threshold(  # type: ignore[arg-type]
        None, list(scores), labels.astype(np.int64), high
    )


# ---- hand-built cases ---------------------------------------------------------------------


def test_mrr_tie_goes_to_the_larger_doc_id() -> None:
    from mteb._evaluators.retrieval_metrics import mrr

    # the finding of issue 9: equal scores, a relevant, b not. (score, id) descending puts b first.
    run = {"q": {"a": 1.0, "b": 1.0}}
    qrels = {"q": {"a": 1, "b": 0}}
    assert mrr(qrels, run, [10])["MRR@10"] == [0.5]
    assert reciprocal_rank(run["q"], qrels["q"], 10) == 0.5
    assert per_query_metrics(run, qrels, ("mrr_at_10",))[1]["mrr_at_10"] == [0.5]
    # hand-computed: ties broken by id descending: c, b, a -> the relevant a is third
    assert reciprocal_rank({"a": 0.3, "b": 0.3, "c": 0.3}, {"a": 2}, 10) == pytest.approx(1 / 3)
    assert reciprocal_rank({"a": 0.3, "b": 0.3, "c": 0.3}, {"a": 2}, 2) == 0.0


def test_average_precision_with_ties_is_sklearns() -> None:
    from sklearn.metrics import average_precision_score

    # the finding of issue 9: a positional AP over a stable sort gives 34/45 = 0.756 here; with
    # ties as one threshold step (sklearn): 1/3 * 1 + 1/3 * 2/4 + 1/3 * 3/5 = 0.7
    labels = np.array([0, 1, 0, 1, 1], dtype=np.float64)
    scores = np.array([1.0, 1.0, 1.0, 0.0, 2.0])
    ap = statistic_for("pair_classification", "cosine_ap")
    assert ap(scores, labels) == pytest.approx(0.7, abs=1e-15)
    assert ap(scores, labels) == average_precision_score(labels, scores)


def test_thresholds_hand_computed_with_ties() -> None:
    # sorted: 0.9(+) 0.5(+) 0.5(-) 0.2(-) 0.1(+); cuts only between distinct scores.
    scores = np.array([0.5, 0.9, 0.1, 0.5, 0.2])
    labels = np.array([1.0, 1.0, 1.0, 0.0, 0.0])
    # accuracy: cut below 0.9 -> (1 + 2) / 5; below the tie -> (2 + 1) / 5; below 0.2 -> 2/5.
    # The first best wins: 0.6 at (0.9 + 0.5) / 2.
    assert best_accuracy_threshold(scores, labels) == (pytest.approx(0.6), pytest.approx(0.7))
    # F1: below 0.9 -> P 1, R 1/3: 0.5; below the tie -> P 2/3, R 2/3: 2/3; below 0.2 -> P 1/2.
    f1, p, r, t = best_f1_threshold(scores, labels)
    assert (f1, p, r, t) == pytest.approx((2 / 3, 2 / 3, 2 / 3, 0.35))
    th = best_thresholds([0.5, 0.9, 0.1], [0.5, 0.2])
    assert (th.accuracy_threshold, th.f1_threshold) == pytest.approx((0.7, 0.35))


@pytest.mark.parametrize("seed", range(12))
def test_pair_metrics_equal_mteb_on_random_ties(seed: int) -> None:
    from scipy.stats import pearsonr, spearmanr

    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 40))
    scores = rng.integers(0, 5, n).astype(np.float64) / 4  # few distinct values: many ties
    labels = rng.integers(0, 2, n).astype(np.float64)
    if labels.sum() == 0:
        labels[0] = 1.0
    acc, acc_t = _mteb_acc(scores, labels)
    f1, prec, rec, f1_t = _mteb_f1(scores, labels)
    assert best_accuracy_threshold(scores, labels) == (acc, acc_t)
    assert best_f1_threshold(scores, labels) == (f1, prec, rec, f1_t)
    # distances (lower = more similar) are negated: the same accuracy and F1 as mteb's
    assert best_accuracy_threshold(-scores, labels)[0] == _mteb_acc(scores, labels, False)[0]
    assert best_f1_threshold(-scores, labels)[0] == _mteb_f1(scores, labels, False)[0]
    for metric, want in [("accuracy", acc), ("f1", f1), ("precision", prec), ("recall", rec)]:
        assert statistic_for("pair_classification", f"cosine_{metric}")(scores, labels) == want
    gold = rng.integers(0, 6, n).astype(np.float64) / 5
    if np.ptp(gold) > 0 and np.ptp(scores) > 0:
        for name, fn in [("spearman", spearmanr), ("pearson", pearsonr)]:
            got = statistic_for("sts", f"cosine_{name}")(scores, gold)
            assert got == float(fn(gold, scores)[0])


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("mode", ["plain", "ignore_identical_ids", "skip_first_result"])
def test_retrieval_metrics_equal_mteb_on_random_ties(seed: int, mode: str) -> None:
    from mteb._evaluators.retrieval_metrics import calculate_retrieval_scores, mrr

    rng = np.random.default_rng(seed)
    docs = [f"d{i}" for i in range(12)] + ["q0", "q1"]
    run: dict[str, dict[str, float]] = {}
    qrels: dict[str, dict[str, int]] = {}
    for q in range(6):
        qid = f"q{q}"
        picked = rng.choice(docs, int(rng.integers(1, 10)), replace=False)
        run[qid] = {str(d): float(rng.integers(0, 3)) / 2 for d in picked}  # heavy ties
        judged = rng.choice(docs, int(rng.integers(1, 5)), replace=False)
        qrels[qid] = {str(d): int(rng.integers(0, 3)) for d in judged}
    names = (
        "ndcg_at_10",
        "map_at_1000",
        "recall_at_3",
        "precision_at_5",
        "hit_rate_at_1",
        "mrr_at_10",
        "mrr_at_1",
    )
    qids, ours = per_query_metrics(
        run,
        qrels,
        names,
        ignore_identical_ids=mode == "ignore_identical_ids",
        skip_first_result=mode == "skip_first_result",
    )
    # mteb: RetrievalEvaluator.evaluate drops identical ids, then calculate_retrieval_scores
    results = {
        q: {d: s for d, s in docs_.items() if not (mode == "ignore_identical_ids" and d == q)}
        for q, docs_ in run.items()
    }
    theirs = calculate_retrieval_scores(
        results, qrels, [1, 3, 5, 10, 1000], mode == "skip_first_result"
    )
    per_query = theirs.all_scores
    assert qids == sorted(per_query)
    pytrec = {
        "ndcg_at_10": "ndcg_cut_10",
        "map_at_1000": "map_cut_1000",
        "recall_at_3": "recall_3",
        "precision_at_5": "P_5",
        "hit_rate_at_1": "success_1",
    }
    for ours_name, measure in pytrec.items():
        assert ours[ours_name] == [per_query[q][measure] for q in qids], ours_name
        mean = round(sum(ours[ours_name]) / len(qids), 5)  # mteb's rounding of the mean
        stem, k = ours_name.rsplit("_at_", 1)
        label = {"ndcg": "NDCG", "map": "MAP", "recall": "Recall", "precision": "P"}.get(stem)
        if label is not None:
            assert (
                mean
                == getattr(theirs, {"P": "precision"}.get(label, label.lower()))[f"{label}@{k}"]
            )
    # mteb's mrr over the same (skip-first-applied) run, in the run's query order
    skipped = (
        {
            q: dict(sorted(d.items(), key=lambda x: x[1], reverse=True)[1:])
            for q, d in results.items()
        }
        if mode == "skip_first_result"
        else results
    )
    for k in (1, 10):
        by_q = dict(zip(skipped, mrr(qrels, skipped, [k])[f"MRR@{k}"], strict=True))
        assert ours[f"mrr_at_{k}"] == [by_q[q] for q in qids]
        assert sum(ours[f"mrr_at_{k}"]) / len(qids) == pytest.approx(theirs.mrr[f"MRR@{k}"], abs=0)


def test_main_metric_parsing() -> None:
    assert parse_main_metric("pair_classification", "max_ap").columns == (  # type: ignore[union-attr]
        "similarity_scores",
        "cosine_scores",
        "manhattan_distances",
        "euclidean_distances",
        "dot_scores",
    )
    assert parse_main_metric("sts", "cosine_spearman").columns == ("cosine_scores",)  # type: ignore[union-attr]
    assert parse_main_metric("sts", "max_ap") is None
    assert parse_main_metric("retrieval", "accuracy").metric == "recall_at_1"  # type: ignore[union-attr]
    assert parse_main_metric("retrieval", "nauc_mrr_at_10_max") is None


# ---- real runs ----------------------------------------------------------------------------

TASKS = [
    f"{SYN}:SyntheticSTSTied",
    f"{SYN}:SyntheticPairClassification",
    f"{SYN}:SyntheticPairClassificationAcc",
    f"{SYN}:SyntheticRetrievalTied",
    f"{SYN}:SyntheticRetrievalMRR",
    f"{SYN}:SyntheticReranking",
]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mtebkit import RunConfig, run_evaluation
    from tests.helpers.tiny_models import make_tiny_bert

    tmp = tmp_path_factory.mktemp("equal-mteb")
    model = make_tiny_bert(tmp / "ckpt")
    run_evaluation(
        RunConfig(
            models=[str(model)],
            tasks=TASKS,
            results_dir=tmp / "results",
            use_cache=False,
            use_fp16=False,
            show_progress=False,
        )
    )
    return tmp / "results"


def _result(root: Path, task: str) -> tuple[Path, dict[str, Any]]:
    (path,) = root.rglob(f"{task}.json")
    return path, json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("task", [t.split(":")[1] for t in TASKS])
def test_items_recompute_the_main_score_in_the_result_file(tiny_run: Path, task: str) -> None:
    path, result = _result(tiny_run, task)
    items_path = item_scores_for(path)
    assert items_path is not None
    items = load_item_scores(items_path)
    stat = statistic_for(items.kind, items.main_metric)
    for split, rows in result["scores"].items():
        for row in rows:
            e = items.entry(split, row["hf_subset"])
            got = stat(item_matrix(items, e), np.asarray(e.gold, dtype=np.float64))
            # mteb rounds pytrec_eval means to 5 decimals; MRR and pair metrics are unrounded
            tol = 5e-6 if items.main_metric in ("ndcg_at_10", "map_at_1000") else 1e-6
            assert got == pytest.approx(row["main_score"], abs=tol)
            assert row["main_score"] == row[items.main_metric]
            if items.kind == "retrieval":
                assert float(np.mean(e.metrics["ndcg_at_10"])) == pytest.approx(
                    row["ndcg_at_10"], abs=5e-6
                )


def test_the_runs_had_ties(tiny_run: Path) -> None:
    # the real runs exercise the tie rules: repeated pairs score equal, and a relevant document
    # ties with its non-relevant twin (which mteb ranks first: its id is larger)
    for task in ("SyntheticSTSTied", "SyntheticPairClassification"):
        path, _ = _result(tiny_run, task)
        cos = load_item_scores(item_scores_for(path)).entries[0].scores["cosine_scores"]  # type: ignore[arg-type]
        assert len(set(cos)) < len(cos)
    path, _ = _result(tiny_run, "SyntheticRetrievalMRR")
    e = load_item_scores(item_scores_for(path)).entries[0]  # type: ignore[arg-type]
    pos, neg = e.positives_negatives()
    assert set(pos) & set(neg)
    assert 0.5 in e.metrics["mrr_at_10"]


@pytest.mark.parametrize("task", ["SyntheticPairClassification", "SyntheticPairClassificationAcc"])
def test_plot_thresholds_are_mtebs(tiny_run: Path, task: str) -> None:
    path, result = _result(tiny_run, task)
    (row,) = result["scores"]["test"]
    items = load_item_scores(item_scores_for(path))  # type: ignore[arg-type]
    e = items.entry("test")
    (dist,) = collect_distributions(load_results(tiny_run), task)
    th = dist.thresholds
    # the plotted column is the model's similarity: mteb's similarity_* metrics on it
    sims = np.asarray(e.scores["similarity_scores"])
    labels = np.asarray(e.gold)
    assert th.max_accuracy == pytest.approx(row["similarity_accuracy"], abs=1e-6)  # file: 6 dp
    assert th.max_f1 == pytest.approx(row["similarity_f1"], abs=1e-6)
    # mteb 2.26 no longer writes *_threshold fields; its rule gives the same midpoints
    assert (th.max_accuracy, th.accuracy_threshold) == _mteb_acc(sims, labels)
    assert th.f1_threshold == _mteb_f1(sims, labels)[3]


def test_paired_tests_measure_the_reported_delta(tmp_path: Path) -> None:
    """compare and check test the quantity they report: the paired delta on the items equals the
    difference of the main scores in the two result files, for every item kind."""
    from mtebkit.reporting import check_against_baseline, compare_runs, make_baseline
    from tests.helpers.reporting import synthetic as syn

    tasks = (
        syn.SyntheticSTSTied,
        syn.SyntheticPairClassification,
        syn.SyntheticPairClassificationAcc,
        syn.SyntheticRetrievalMRR,
        syn.SyntheticReranking,
    )
    syn.make_run(tmp_path / "a", "org/a", noise=0.3, tasks=tasks)
    syn.make_run(tmp_path / "b", "org/b", noise=1.0, tasks=tasks)
    ra, rb = load_results(tmp_path / "a"), load_results(tmp_path / "b")
    cmp = compare_runs([("A", ra), ("B", rb)], method="both", n_resamples=50)
    for cls in tasks:
        c = cmp.cells[("B", cls.metadata.name)]
        assert c.delta is not None and len(c.tests) == 2, cls.metadata.name
        for t in c.tests:  # files keep 6 (retrieval means: 5) decimals -> 1e-3 points
            assert 100 * t.delta == pytest.approx(c.delta, abs=1e-3), (cls.metadata.name, t)
    report = check_against_baseline(rb, make_baseline(ra), n_resamples=50, tolerance=100)
    assert all(c.p_value is not None for c in report.checks), [c.note for c in report.checks]
