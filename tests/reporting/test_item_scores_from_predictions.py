"""Item scores distilled from mteb's predictions (mteb mock tasks, stub encoder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mtebkit.errors import ResultsError
from mtebkit.evaluation import evaluate_one
from mtebkit.reporting._stats import statistic_for
from mtebkit.results import (
    OutdatedItemScoresError,
    item_matrix,
    item_scores_digest,
    item_scores_path,
    load_item_scores,
    per_query_metrics,
    save_item_scores,
)
from tests.helpers.lazy import skip_unless_installed

skip_unless_installed("mteb")


def _run(task_cls: str, tmp_path: Path) -> tuple[Any, Any, Path]:
    from tests.helpers.mock_tasks import mock_task
    from tests.helpers.reporting.stub_encoder import StubEncoder

    task = mock_task(task_cls)()
    task.load_data()
    pred_dir = tmp_path / "pred"
    result = evaluate_one(
        StubEncoder(noise=0.3), task, encode_kwargs={}, prediction_folder=pred_dir
    )
    out = item_scores_path(tmp_path / "out", task.metadata.name)
    save_item_scores(task, pred_dir / f"{task.metadata.name}_predictions.json", out)
    return task, result, out


@pytest.mark.parametrize("task_cls", ["MockSTSTask", "MockMultilingualSTSTask"])
def test_sts_items_reproduce_spearman(task_cls: str, tmp_path: Path) -> None:
    task, result, out = _run(task_cls, tmp_path)
    items = load_item_scores(out)
    assert items.kind == "sts" and {e.subset for e in items.entries} == set(task.hf_subsets)
    stat = statistic_for(items.kind, items.main_metric)
    for row in result.scores["test"]:
        e = items.entry("test", row["hf_subset"])
        assert all(0.0 <= g <= 1.0 for g in e.gold)
        assert stat(item_matrix(items, e), np.array(e.gold)) == pytest.approx(
            row[items.main_metric], abs=1e-12
        )


def test_pair_classification_items(tmp_path: Path) -> None:
    _, result, out = _run("MockPairClassificationTask", tmp_path)
    items = load_item_scores(out)
    e = items.entry("test")
    assert items.kind == "pair_classification" and set(e.gold) <= {0.0, 1.0}
    assert set(e.scores) == {
        "similarity_scores",
        "cosine_scores",
        "manhattan_distances",
        "euclidean_distances",
        "dot_scores",
    }
    stat = statistic_for(items.kind, items.main_metric)
    main = result.scores["test"][0][items.main_metric]
    assert stat(item_matrix(items, e), np.array(e.gold)) == pytest.approx(main, abs=1e-12)
    pos, neg = e.positives_negatives(binary=True)
    assert len(pos) + len(neg) == len(e.gold)


@pytest.mark.parametrize("task_cls", ["MockRetrievalTask", "MockRerankingTask"])
def test_retrieval_items_mean_equals_mteb(task_cls: str, tmp_path: Path) -> None:
    task, result, out = _run(task_cls, tmp_path)
    items = load_item_scores(out)
    assert items.kind == "retrieval" and items.main_metric == task.metadata.main_score
    for split, rows in result.scores.items():
        e = items.entry(split, rows[0]["hf_subset"])
        for metric in {"ndcg_at_10", items.main_metric}:
            # mteb rounds its pytrec_eval means to 5 decimals
            assert float(np.mean(e.metrics[metric])) == pytest.approx(rows[0][metric], abs=5e-6)
        assert len(e.sample_scores) == len(e.sample_relevant) > 0
    # reproducible bytes: saving again gives the same digest
    d1 = item_scores_digest(out)
    assert len(d1) == 64


def test_per_query_metrics_hand_computed() -> None:
    run = {"q1": {"a": 0.9, "b": 0.8, "c": 0.1}, "q2": {"x": 0.5, "y": 0.4}, "q3": {"z": 1.0}}
    # q3 has only a zero judgement: kept, as mteb keeps it (it drops empty qrels only)
    qrels = {"q1": {"b": 1}, "q2": {"y": 1, "x": 0}, "q3": {"w": 0}, "q4": {}}
    qids, m = per_query_metrics(run, qrels, ("mrr_at_10", "ndcg_at_10", "recall_at_100"))
    assert qids == ["q1", "q2", "q3"]
    assert m["mrr_at_10"] == [0.5, 0.5, 0.0]
    assert m["ndcg_at_10"] == pytest.approx([1 / np.log2(3)] * 2 + [0.0])
    assert m["recall_at_100"] == [1.0, 1.0, 0.0]


def test_corrupt_items_file_named(tmp_path: Path) -> None:
    from mteb.mocks.mock_tasks.sts import MockSTSTask

    p = tmp_path / "X.items.json.gz"
    p.write_bytes(b"not gzip")
    with pytest.raises(ResultsError, match=r"X\.items\.json\.gz"):
        load_item_scores(p)
    bad_pred = tmp_path / "pred.json"
    bad_pred.write_text("{", encoding="utf-8")
    task = MockSTSTask()
    task.load_data()
    with pytest.raises(ResultsError, match=r"pred\.json"):
        save_item_scores(task, bad_pred, tmp_path / "o.items.json.gz")


def test_unexpected_shape_skips_items_but_never_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from mteb.mocks.mock_tasks.sts import MockSTSTask

    task = MockSTSTask()
    task.load_data()
    pred = tmp_path / "MockSTSTask_predictions.json"
    # three scores for a two-pair split: the item scores are dropped, with a warning
    pred.write_text('{"default": {"test": {"cosine_scores": [0.1, 0.2, 0.3]}}}', encoding="utf-8")
    out = tmp_path / "MockSTSTask.items.json.gz"
    save_item_scores(task, pred, out)
    assert not out.exists()
    assert "3 predicted cosine_scores but 2 gold labels" in caplog.text


def test_schema_1_file_is_refused_with_a_reason(tmp_path: Path) -> None:
    import gzip
    import json

    p = tmp_path / "Old.items.json.gz"
    old = {"format": "mtebkit-item-scores", "schema_version": 1, "task": "Old", "kind": "pairs"}
    with gzip.open(p, "wt", encoding="utf-8") as f:
        json.dump({**old, "entries": []}, f)
    with pytest.raises(OutdatedItemScoresError, match=r"Old\.items\.json\.gz.*re-run the task"):
        load_item_scores(p)
