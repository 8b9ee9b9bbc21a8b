"""Two-stage retrieval end to end: hashed bag-of-words encoder -> tiny cross-encoder -> mteb scores."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mtebkit import MtebkitError, Reranker
from mtebkit.evaluation import evaluate_two_stage
from mtebkit.tasks import get_tasks, rehash_spec
from tests.test_reranker import build_tiny_ce

CORPUS = {
    "d1": "the cat eats food in the house",
    "d2": "a cat and a dog in the city",
    "d3": "the red car drives to the city",
    "d4": "water runs in the river from the mountain",
    "d5": "the woman sings and the man plays music",
    "d6": "an old book about a big tree",
    "d7": "the dog swims in the blue river",
    "d8": "a new film about a small house",
}
QUERIES = {
    "q1": "what does the cat eat",
    "q2": "where does the river run",
    "q3": "who sings music",
    "q4": "the dog in the city",
}
QRELS = {
    "q1": {"d1": 1, "d2": 1},
    "q2": {"d4": 1, "d7": 1},
    "q3": {"d5": 1},
    "q4": {"d2": 1, "d3": 1},
}


class HashEncoder:
    """Bag-of-words vectors hashed into 64 dims (no weights); cosine similarity."""

    def __init__(self) -> None:
        from mteb.models.model_meta import ModelMeta, ScoringFunction

        self.mteb_model_meta = ModelMeta.create_empty(
            overwrites={
                "name": "test/hash-encoder",
                "revision": "4" * 40,
                "embed_dim": 64,
                "similarity_fn_name": ScoringFunction.COSINE,
                "framework": ["PyTorch"],
            }
        )

    @staticmethod
    def vec(text: str) -> np.ndarray:
        v = np.full(64, 1e-3)
        for w in text.lower().split():
            h = int(hashlib.md5(w.encode()).hexdigest(), 16)
            v[h % 64] += 1.0 + (h // 64 % 1000) / 1000  # word-specific weights: no ties
        return v / np.linalg.norm(v)

    def encode(self, inputs: Any, **kwargs: Any) -> np.ndarray:
        return np.stack([self.vec(t) for b in inputs for t in b["text"]]).astype(np.float32)

    def similarity(self, a: Any, b: Any) -> Any:
        import torch

        return torch.as_tensor(np.asarray(a)) @ torch.as_tensor(np.asarray(b)).T

    def similarity_pairwise(self, a: Any, b: Any) -> Any:
        import torch

        return (torch.as_tensor(np.asarray(a)) * torch.as_tensor(np.asarray(b))).sum(-1)


@pytest.fixture(scope="module")
def reranker(tmp_path_factory: pytest.TempPathFactory) -> Reranker:
    return Reranker(build_tiny_ce(tmp_path_factory.mktemp("m") / "tiny-ce", seed=12))


@pytest.fixture
def spec_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    (d / "qrels").mkdir(parents=True)
    (d / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": k, "title": "", "text": v}) + "\n" for k, v in CORPUS.items()),
        "utf-8",
    )
    (d / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": k, "text": v}) + "\n" for k, v in QUERIES.items()), "utf-8"
    )
    lines = ["query-id\tcorpus-id\tscore"] + [
        f"{q}\t{doc}\t{s}" for q, docs in QRELS.items() for doc, s in docs.items()
    ]
    (d / "qrels" / "test.tsv").write_text("\n".join(lines) + "\n", "utf-8")
    (tmp_path / "TinyRetrieval.yaml").write_text(
        "name: TinyRetrieval\ntype: retrieval\ndescription: tiny\nlanguages: [eng-Latn]\n"
        "main_score: ndcg_at_10\ndata:\n  format: beir\n  dir: data\n",
        encoding="utf-8",
    )
    rehash_spec(tmp_path / "TinyRetrieval.yaml")
    return tmp_path


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
    reranker: Reranker, spec_dir: Path, top_k: int
) -> None:
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
