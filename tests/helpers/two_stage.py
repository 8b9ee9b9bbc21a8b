"""The two-stage tests' tiny world: a corpus, queries and qrels, a hashed bag-of-words encoder (no weights), a tiny cross-encoder and a retrieval spec folder."""

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mtebkit import Reranker
from mtebkit.tasks import rehash_spec
from tests.helpers.tiny_models import build_tiny_ce

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


def trec_lines(top: int) -> list[str]:
    """The HashEncoder's stage 1 as a TREC run: ``top`` documents per query by cosine."""
    lines = []
    for qid, q in QUERIES.items():
        qv = HashEncoder.vec(q)
        sims = {d: float(qv @ HashEncoder.vec(t)) for d, t in CORPUS.items()}
        for rank, d in enumerate(sorted(sims, key=lambda d: -sims[d])[:top], start=1):
            lines.append(f"{qid} Q0 {d} {rank} {sims[d]:.9f} hash")
    return lines
