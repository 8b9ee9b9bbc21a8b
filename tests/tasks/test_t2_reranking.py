"""Built-in C-MTEB tasks mteb 2.x lacks: T2RerankingZh2En / T2RerankingEn2Zh from a fixture mirror."""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mtebkit import DataError, MirrorMissingError
from mtebkit.tasks import get_tasks, list_tasks

ROWS = [
    {
        "query": "红茶 绿茶 区别",
        "positive": ["红茶 全发酵", "绿茶 不发酵 区别"],
        "negative": ["火车 票", "熊猫 竹子"],
    },
    {
        "query": "panda bamboo diet",
        "positive": ["panda eats bamboo"],
        "negative": ["tea leaves", "train ticket", "bamboo floor"],
    },
    {"query": "no negatives here", "positive": ["only positive"], "negative": []},
    {"query": "no positives here", "positive": [], "negative": ["only negative"]},
    {
        "query": "bamboo floor cleaning",
        "positive": ["how to wash wooden boards", "cleaning tips"],
        "negative": ["bamboo floor for sale", "floor robot bamboo", "panda"],
    },
    {
        "query": "train ticket refund",
        "positive": ["refund a train ticket"],
        "negative": ["panda", "ticket to a concert"],
    },
]


def write_t2(root: Path, repo: str, rows: list[dict[str, Any]]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    d = root / repo
    (d / "data").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), d / "data" / "dev-00000-of-00001.parquet")
    (d / "README.md").write_text(
        "---\nconfigs:\n- config_name: default\n  data_files:\n  - split: dev\n    path: data/dev-*\n---\n",
        encoding="utf-8",
    )
    return d


class _Overlap:
    """Bag-of-words (whitespace tokens) vectors: cosine = lexical overlap."""

    def __init__(self) -> None:
        from mteb.models.model_meta import ModelMeta, ScoringFunction

        self.mteb_model_meta = ModelMeta.create_empty(
            overwrites={
                "name": "test/overlap",
                "revision": "3" * 40,
                "embed_dim": 128,
                "similarity_fn_name": ScoringFunction.COSINE,
                "framework": ["PyTorch"],
            }
        )

    @staticmethod
    def vec(text: str) -> np.ndarray:
        v = np.full(128, 1e-3)
        for w in text.lower().split():
            v[int(hashlib.md5(w.encode()).hexdigest(), 16) % 128] += 1.0
        return v / np.linalg.norm(v)

    def encode(self, inputs: Any, **kwargs: Any) -> np.ndarray:
        return np.stack([self.vec(t) for b in inputs for t in b["text"]]).astype(np.float32)

    def similarity(self, a: Any, b: Any) -> Any:
        import torch

        return torch.as_tensor(np.asarray(a)) @ torch.as_tensor(np.asarray(b)).T

    def similarity_pairwise(self, a: Any, b: Any) -> Any:
        import torch

        return (torch.as_tensor(np.asarray(a)) * torch.as_tensor(np.asarray(b))).sum(-1)


def _average_precision(query: str, positives: list[str], negatives: list[str]) -> float:
    """AP over the candidate list ranked by cosine (positives first on ties, as mteb's ids sort)."""
    q = _Overlap.vec(query)
    cands = [(float(q @ _Overlap.vec(t)), 1, i) for i, t in enumerate(positives)]
    cands += [(float(q @ _Overlap.vec(t)), 0, i) for i, t in enumerate(negatives)]
    ranked = sorted(cands, key=lambda c: (-round(c[0], 6), -c[1], c[2]))
    hits, precisions = 0, []
    for rank, (_, rel, _) in enumerate(ranked, start=1):
        if rel:
            hits += 1
            precisions.append(hits / rank)
    return sum(precisions) / len(positives)


@pytest.mark.parametrize(
    ("name", "repo"),
    [
        ("T2RerankingZh2En", "C-MTEB/T2Reranking_zh2en"),
        ("T2RerankingEn2Zh", "C-MTEB/T2Reranking_en2zh"),
    ],
)
def test_t2_cross_lingual_from_fixture_mirror(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, name: str, repo: str
) -> None:
    import mteb

    write_t2(tmp_path, repo, ROWS)
    (task,) = get_tasks([name], data_dir=tmp_path, spec_paths=[])
    assert task.metadata.eval_splits == ["dev"] and task.metadata.main_score == "map_at_1000"
    assert task.metadata.type == "Reranking"
    native = mteb.get_task("T2Reranking").metadata
    assert (native.eval_splits, native.main_score) == (
        task.metadata.eval_splits,
        task.metadata.main_score,
    )
    with caplog.at_level(logging.WARNING):
        res = mteb.evaluate(
            _Overlap(), task, cache=None, show_progress_bar=False, co2_tracker=False
        )
    assert not res.exceptions, res.exceptions
    assert re.search(r"dropped 2 of 6 dev rows with no positive or no negative", caplog.text)
    kept = [r for r in ROWS if r["positive"] and r["negative"]]
    expected = np.mean([_average_precision(r["query"], r["positive"], r["negative"]) for r in kept])
    score = res.task_results[0].scores["dev"][0]
    assert score["map_at_1000"] == pytest.approx(expected, abs=1e-4)
    assert score["main_score"] == score["map_at_1000"]


def test_t2_missing_from_mirror(tmp_path: Path) -> None:
    with pytest.raises(MirrorMissingError, match=r"C-MTEB/T2Reranking_en2zh.*--revision main"):
        get_tasks(["T2RerankingEn2Zh"], data_dir=tmp_path, spec_paths=[])


def test_t2_wrong_columns(tmp_path: Path) -> None:
    write_t2(tmp_path, "C-MTEB/T2Reranking_zh2en", [{"query": "q", "pos": ["a"], "neg": ["b"]}])
    with pytest.raises(
        DataError, match=r"dev-00000-of-00001\.parquet lacks column\(s\) positive, negative"
    ):
        get_tasks(["T2RerankingZh2En"], data_dir=tmp_path, spec_paths=[])


def test_t2_listed_as_builtin(tmp_path: Path) -> None:
    write_t2(tmp_path, "C-MTEB/T2Reranking_zh2en", ROWS)
    infos = {i.name: i for i in list_tasks(data_dir=tmp_path, spec_paths=[])}
    assert infos["T2RerankingZh2En"].present_in_mirror is True
    assert infos["T2RerankingEn2Zh"].present_in_mirror is False
    assert infos["T2RerankingZh2En"].source == "C-MTEB/T2Reranking_zh2en@main"
    assert infos["T2RerankingZh2En"].languages == ("cmn-Hans", "eng-Latn")
