"""Item scores of classification and summarization, and the fast weighted AP of the bootstrap.

The items recompute mteb's own score: exactly (``==``) against the unrounded scores of the same
``mteb`` evaluation (mock tasks, and the real Banking77 / SummEval mirror with a hashing stub
encoder, so no model runs), for every metric mteb reports, not only
the main one. Result files keep 6 decimals, so against a file the check is ``round(x, 6)``.
Oracles: sklearn (``average_precision_score`` with ``sample_weight`` and on materialised
resamples), scipy, and mteb's summarization evaluators (private, allowed in tests only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mtebkit.evaluation import evaluate_one
from mtebkit.reporting._stats import (
    WeightedStatistic,
    average_precision_weighted,
    mean_statistic,
    paired_bootstrap,
    randomisation_test,
    shared_scale,
    statistic_for,
)
from mtebkit.results import (
    item_matrix,
    item_scores_path,
    load_item_scores,
    paired_arrays,
    save_item_scores,
)
from tests.helpers.lazy import skip_unless_installed

skip_unless_installed("mteb")

CLASSIFICATION_METRICS = (
    "accuracy",
    "f1",
    "f1_weighted",
    "precision",
    "precision_weighted",
    "recall",
    "recall_weighted",
    "ap",
    "ap_weighted",
)
SUMMARIZATION_METRICS = (
    "cosine_spearman",
    "cosine_pearson",
    "dot_spearman",
    "dot_pearson",
    "spearman",
    "pearson",
)


def _run(task: Any, tmp_path: Path, noise: float = 0.3, name: str = "stub/a") -> tuple[Any, Path]:
    from tests.helpers.reporting.stub_encoder import StubEncoder

    if not task.data_loaded:
        task.load_data()
    pred = tmp_path / f"pred-{name.replace('/', '_')}"
    result = evaluate_one(
        StubEncoder(name=name, noise=noise), task, encode_kwargs={}, prediction_folder=pred
    )
    out = item_scores_path(tmp_path / f"out-{name.replace('/', '_')}", task.metadata.name)
    save_item_scores(task, pred / f"{task.metadata.name}_predictions.json", out)
    return result, out


def _recompute(out: Path, split: str, subset: str, metric: str) -> float:
    items = load_item_scores(out)
    e = items.entry(split, subset)
    stat = statistic_for(items.kind, metric)
    m = item_matrix(items, e) if metric == items.main_metric else _matrix_for(items, e, metric)
    return stat(m, np.asarray(e.gold, dtype=np.float64) if e.gold else np.zeros(len(m)))


def _matrix_for(items: Any, e: Any, metric: str) -> np.ndarray:
    from dataclasses import replace

    return item_matrix(replace(items, main_metric=metric), e)


# ---- hand-computed ------------------------------------------------------------------------


def test_classification_statistic_hand_computed() -> None:
    from sklearn.metrics import average_precision_score

    gold = np.array([0, 1, 1, 0, 1], dtype=np.float64)
    # two experiments: 4/5 and 3/5 correct -> accuracy (0.8 + 0.6) / 2 = 0.7
    preds = np.array([[0, 0], [1, 1], [1, 0], [1, 1], [1, 1]], dtype=np.float64)
    acc = statistic_for("classification", "accuracy")
    assert acc(preds, gold) == pytest.approx(0.7, abs=1e-15)
    # macro F1 of experiment 1: class 0 P=1 R=1/2 F=2/3; class 1 P=3/4 R=1 F=6/7 -> mean 16/21
    # experiment 2: class 0 P=1/2 R=1/2 F=1/2; class 1 P=2/3 R=2/3 F=2/3 -> mean 7/12
    f1 = statistic_for("classification", "f1")
    assert f1(preds, gold) == pytest.approx((16 / 21 + 7 / 12) / 2, abs=1e-15)
    ap = statistic_for("classification", "ap")
    want = np.mean([average_precision_score(gold, preds[:, e]) for e in range(2)])
    assert ap(preds, gold) == want
    # ap is only defined for two classes in the gold labels: one class -> nan (draw dropped)
    assert np.isnan(ap(preds[[1, 2]], gold[[1, 2]]))
    # the weighted form of accuracy: item 0 twice, item 2 never -> per experiment 4/5 and 4/5
    w = np.array([2.0, 1.0, 0.0, 1.0, 1.0])
    assert isinstance(acc, WeightedStatistic)
    assert acc.prepare(preds, gold)(w) == acc(preds[[0, 0, 1, 3, 4]], gold[[0, 0, 1, 3, 4]])


def test_weighted_ap_hand_computed() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    labels = np.array([1.0, 0.0, 1.0, 0.0])
    ap = average_precision_weighted(scores, labels)
    # all weights 1: hits at ranks 1 and 3 -> (1 + 2/3) / 2
    assert ap(np.ones(4)) == pytest.approx(5 / 6, abs=1e-15)
    # the negative at 0.8 not drawn, the top positive twice: every positive above every negative
    assert ap(np.array([2.0, 0.0, 1.0, 1.0])) == 1.0
    # ties: (0.5, pos) and (0.5, neg) form one threshold: P = 1/2 at R = 1
    tied = average_precision_weighted(np.array([0.5, 0.5]), np.array([1.0, 0.0]))
    assert tied(np.ones(2)) == 0.5


def test_weighted_ap_equals_sklearn_to_the_bit() -> None:
    from sklearn.metrics import average_precision_score

    rng = np.random.default_rng(3)
    for n, decimals in ((2000, 2), (2000, 9), (9, 1)):  # many ties, none, tiny
        x = np.round(rng.normal(size=n), decimals)
        y = (rng.random(n) < 0.35).astype(np.float64)
        ap = average_precision_weighted(x, y)
        assert ap(np.ones(n)) == average_precision_score(y, x)
        for _ in range(10):
            idx = rng.integers(0, n, size=n)
            if y[idx].sum() == 0:
                continue
            w = np.bincount(idx, minlength=n).astype(np.float64)
            assert ap(w) == average_precision_score(y, x, sample_weight=w)
            assert ap(w) == average_precision_score(y[idx], x[idx])


def test_bootstrap_fast_path_gives_the_materialised_p_value() -> None:
    rng = np.random.default_rng(5)
    n = 400
    y = (rng.random(n) < 0.4).astype(np.float64)
    a = np.stack([y + rng.normal(0, 1.0, n), -(y + rng.normal(0, 1.2, n))], axis=1)
    b = np.stack([y + rng.normal(0, 0.8, n), -(y + rng.normal(0, 1.1, n))], axis=1)
    stat = statistic_for("pair_classification", "max_ap")
    assert isinstance(stat, WeightedStatistic)
    fast = paired_bootstrap(a, b, y, statistic=stat, n_resamples=40, seed=1)
    slow = paired_bootstrap(a, b, y, statistic=stat.full, n_resamples=40, seed=1)
    assert fast == slow  # the same draws, AP bit-identical on each
    # the mean's weighted form: equal to float rounding (a weighted sum, not a mean of copies)
    va, vb = rng.random(300), rng.random(300)
    f = paired_bootstrap(va, vb, statistic=mean_statistic, n_resamples=300, seed=2)
    s = paired_bootstrap(va, vb, statistic=mean_statistic.full, n_resamples=300, seed=2)
    assert (f.p_value, f.n_resamples) == (s.p_value, s.n_resamples)
    assert (f.ci_low, f.ci_high) == pytest.approx((s.ci_low, s.ci_high), abs=1e-12)


def test_summarization_per_document_mean_is_mtebs_for_both_evaluators() -> None:
    from mteb._evaluators import DeprecatedSummarizationEvaluator, SummarizationEvaluator

    rng = np.random.default_rng(0)
    human = [list(rng.integers(0, 5, 6) / 4) for _ in range(7)]
    distances: dict[str, Any] = {
        k: [list(rng.random(6)) for _ in range(7)]
        for k in ("cosine_scores", "dot_scores", "similarity_scores")
    }
    distances["human_scores"] = human
    from scipy.stats import spearmanr

    stat = [spearmanr(h, c) for h, c in zip(human, distances["cosine_scores"], strict=True)]
    v2 = np.array([r.statistic for r in stat])
    old = np.stack([v2, [r.pvalue for r in stat]], axis=1)  # mteb issue 1156: p-values averaged
    mean = statistic_for("summarization", "cosine_spearman")
    z = np.zeros(7)
    dep = DeprecatedSummarizationEvaluator._calculate_metrics(None, distances)  # type: ignore[arg-type]
    cur = SummarizationEvaluator._calculate_metrics(None, distances)  # type: ignore[arg-type]
    assert mean(v2, z) == cur["cosine_spearman"]
    assert mean(old, z) == dep["cosine_spearman"]
    assert mean(old, z) == pytest.approx((v2.mean() + old[:, 1].mean()) / 2, abs=1e-15)


# ---- mteb's own evaluation: mock tasks ------------------------------------------------------


@pytest.mark.parametrize("task_cls", ["FewExperimentsClassification", "FewExperimentsMultilingual"])
def test_classification_items_recompute_every_metric(task_cls: str, tmp_path: Path) -> None:
    from tests.helpers.mock_tasks import mock_task

    task = mock_task(task_cls)()
    result, out = _run(task, tmp_path)
    items = load_item_scores(out)
    assert items.kind == "classification" and items.main_metric == "accuracy"
    for row in result.scores["test"]:
        e = items.entry("test", row["hf_subset"])
        assert len(e.predictions) == task.n_experiments and len(e.gold) == len(e.predictions[0])
        for metric in CLASSIFICATION_METRICS:
            got = _recompute(out, "test", row["hf_subset"], metric)
            assert got == row[metric] or (np.isnan(got) and np.isnan(row[metric])), metric


def test_summarization_items_recompute_every_metric(tmp_path: Path) -> None:
    from mteb.mocks.mock_tasks.summarization import MockSummarizationTask

    result, out = _run(MockSummarizationTask(), tmp_path)
    items = load_item_scores(out)
    assert items.kind == "summarization"
    (row,) = result.scores["test"]
    for metric in SUMMARIZATION_METRICS:
        assert _recompute(out, "test", "default", metric) == row[metric], metric


# ---- the real mirror, hashing stub encoder (no model) ------------------------------------


def _real(name: str, data_dir: Path, subsets: list[str] | None = None) -> Any:
    from mtebkit.tasks import get_tasks

    (task,) = get_tasks([name], data_dir=data_dir)
    if subsets is not None:
        task.hf_subsets = subsets
    return task


@pytest.mark.slow  # mteb's undersampling and metrics read datasets columns row by row
def test_banking77_items_exact_and_compact(data_dir: Path, tmp_path: Path) -> None:
    task = _real("Banking77Classification", data_dir)
    task.load_data()
    # every 7th train row (the split is sorted by label: all 77 labels stay): mteb's
    # undersampling reads the train labels row by row, slow on the full 10,003
    splits = task.dataset.get("default", task.dataset)
    splits["train"] = splits["train"].select(range(0, len(splits["train"]), 7))
    result, out = _run(task, tmp_path)
    (row,) = result.scores["test"]
    assert _recompute(out, "test", "default", "accuracy") == row["main_score"]
    assert _recompute(out, "test", "default", "f1") == row["f1"]
    e = load_item_scores(out).entry("test")
    assert (len(e.gold), len(e.predictions), len(e.labels)) == (3080, 10, 77)
    # 3080 x 10 label indices: a few dozen KiB, not the megabytes of the predictions file
    assert out.stat().st_size < 100_000


@pytest.mark.slow
def test_summeval_items_exact_and_paired(data_dir: Path, tmp_path: Path) -> None:
    task = _real("SummEval", data_dir)
    result, out = _run(task, tmp_path)
    (row,) = result.scores["test"]
    for metric in SUMMARIZATION_METRICS:
        assert _recompute(out, "test", "default", metric) == row[metric], metric
    items = load_item_scores(out)
    e = items.entry("test")
    assert len(e.query_ids) == 100 and "cosine_spearman_pvalue" in e.metrics
    # a second "model": paired tests run on the per-document values, no rescaling needed
    result_b, out_b = _run(task, tmp_path, noise=2.0, name="stub/b")
    ib = load_item_scores(out_b)
    a, b, gold = paired_arrays(items, e, ib, ib.entry("test"))
    stat = statistic_for(items.kind, items.main_metric)
    boot = paired_bootstrap(a, b, gold, statistic=stat, n_resamples=200)
    assert boot.delta == pytest.approx(
        result_b.scores["test"][0]["main_score"] - row["main_score"], abs=1e-15
    )
    assert shared_scale(items.kind, a, "cosine_spearman") is a
    rand = randomisation_test(a, b, gold, statistic=stat, n_resamples=200)
    assert 0 < rand.p_value <= 1 and rand.delta == boot.delta


def test_compare_and_check_test_classification_and_summarization(tmp_path: Path) -> None:
    """compare and check give both paired tests on the new kinds, measuring the reported delta."""
    from mteb.mocks.mock_tasks.summarization import MockSummarizationTask

    from mtebkit.reporting import check_against_baseline, compare_runs, make_baseline
    from mtebkit.results import load_results
    from tests.helpers.mock_tasks import FewExperimentsClassification
    from tests.helpers.reporting import synthetic as syn

    tasks = (FewExperimentsClassification, MockSummarizationTask)
    syn.make_run(tmp_path / "a", "org/a", noise=0.3, tasks=tasks)
    syn.make_run(tmp_path / "b", "org/b", noise=1.5, tasks=tasks)
    ra, rb = load_results(tmp_path / "a"), load_results(tmp_path / "b")
    cmp = compare_runs([("A", ra), ("B", rb)], method="both", n_resamples=50)
    for cls in tasks:
        c = cmp.cells[("B", cls.metadata.name)]
        assert c.delta is not None and len(c.tests) == 2, cls.metadata.name
        for t in c.tests:  # files keep 6 decimals -> 1e-3 points
            assert 100 * t.delta == pytest.approx(c.delta, abs=1e-3), (cls.metadata.name, t)
    report = check_against_baseline(rb, make_baseline(ra), n_resamples=50, tolerance=100)
    assert all(c.p_value is not None for c in report.checks), [c.note for c in report.checks]
