"""Two-stage retrieval end to end: hashed bag-of-words encoder -> tiny cross-encoder -> mteb scores."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

from mtebkit import MtebkitError, Reranker
from mtebkit.evaluation import evaluate_two_stage
from mtebkit.tasks import get_tasks
from tests.helpers.two_stage import CORPUS, QRELS, QUERIES, HashEncoder


def _expected_map(reranker: Reranker, top_k: int) -> float:
    """Stage 1: top_k by encoder cosine; stage 2: rerank them; MAP over all relevant docs."""
    aps = []
    for qid, q in QUERIES.items():
        qv = HashEncoder.vec(q)
        first = {d: float(qv @ HashEncoder.vec(t)) for d, t in CORPUS.items()}
        assert np.diff(np.sort(list(first.values()))).min() > 1e-6  # no ties in stage 1
        cands = sorted(first, key=lambda d: -first[d])[:top_k]
        scores = reranker.compute_score([[q, CORPUS[d]] for d in cands])
        assert isinstance(scores, list)
        if len(scores) > 1:
            assert np.diff(np.sort(scores)).min() > 1e-4  # no ties in stage 2
        ranked = [d for _, d in sorted(zip(scores, cands, strict=True), key=lambda x: -x[0])]
        hits, precisions = 0, []
        for rank, d in enumerate(ranked, start=1):
            if QRELS[qid].get(d, 0) > 0:
                hits += 1
                precisions.append(hits / rank)
        aps.append(sum(precisions) / len(QRELS[qid]))
    return float(np.mean(aps))


def _mine() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("mtebkit-two-stage-*")}


@pytest.mark.parametrize("top_k", [3, 8])
def test_two_stage_scores_match_a_direct_computation(
    reranker: Reranker,
    spec_dir: Path,
    top_k: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a temp folder of this test's own: other xdist workers' two-stage runs use the system's
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    (task,) = get_tasks(["TinyRetrieval"], spec_paths=[spec_dir])
    before = _mine()
    (result,) = evaluate_two_stage(HashEncoder(), reranker, [task], top_k=top_k)
    assert _mine() == before  # the predictions folder is gone
    scores = result.scores["test"][0]
    assert scores["map_at_1000"] == pytest.approx(_expected_map(reranker, top_k), abs=1e-4)
    assert scores["previous_results_model_meta"]["model_name"] == "test/hash-encoder"
    assert result.task_name == "TinyRetrieval"
    assert not task.data_loaded  # loaded and unloaded here, as it came


def test_top_k_limits_recall(reranker: Reranker, spec_dir: Path) -> None:
    (task,) = get_tasks(["TinyRetrieval"], spec_paths=[spec_dir])
    (one,) = evaluate_two_stage(HashEncoder(), reranker, [task], top_k=1)
    (all_,) = evaluate_two_stage(HashEncoder(), reranker, [task], top_k=8)
    assert one.scores["test"][0]["recall_at_100"] < all_.scores["test"][0]["recall_at_100"]
    assert all_.scores["test"][0]["recall_at_100"] == pytest.approx(1.0)


def test_preloaded_task_is_left_as_it_was(reranker: Reranker, spec_dir: Path) -> None:
    (task,) = get_tasks(["TinyRetrieval"], spec_paths=[spec_dir])
    task.load_data()
    top_k_before = task._top_k
    evaluate_two_stage(HashEncoder(), reranker, [task], top_k=2)
    assert task.data_loaded
    assert task.dataset["default"]["test"]["top_ranked"] is None
    assert task._top_k == top_k_before
    assert task._previous_results_model_meta is None


def test_refuses_non_retrieval_tasks(reranker: Reranker, tmp_path: Path) -> None:
    import mteb

    with pytest.raises(MtebkitError, match="STS12 is STS"):
        evaluate_two_stage(HashEncoder(), reranker, [mteb.get_task("STS12")])
    with pytest.raises(MtebkitError, match="top_k must be >= 1"):
        evaluate_two_stage(HashEncoder(), reranker, [], top_k=0)
