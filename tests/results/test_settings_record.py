"""The settings record: one builder (key order is the written order), one reader, one comparison."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mtebkit.errors import ResultsError
from mtebkit.results import differences, read_settings, settings_record

EMBEDDER = {"model": "m", "revision": "r", "model_source": "/a", "cpu_kernels": None}


def test_keys_come_in_the_written_order() -> None:
    rec = settings_record(
        EMBEDDER,
        query_instruction="q: ",
        reranker={"model": "ce", "model_source": "/b"},
        rerank_top_k=10,
        first_stage={"sha256": "ab", "format": "trec", "file": "run.trec"},
        eval_splits=("test",),
    )
    assert list(rec) == [*EMBEDDER, "query_instruction", "reranker", "eval_splits"]
    assert list(rec["reranker"]) == ["model", "model_source", "top_k", "first_stage"]
    assert rec["eval_splits"] == ["test"]
    # neither chosen splits nor fixed candidates: the keys are absent, so old results compare
    plain = settings_record(EMBEDDER, query_instruction=None)
    assert plain == {**EMBEDDER, "query_instruction": None, "reranker": None}


def test_differences_ignore_provenance_only() -> None:
    planned = settings_record(EMBEDDER, query_instruction=None, reranker={"m": 1}, rerank_top_k=5)
    ran = settings_record(
        {**EMBEDDER, "model_source": "/elsewhere", "cpu_kernels": "onednn"},
        query_instruction=None,
        reranker={"m": 1, "model_source": "/c"},
        rerank_top_k=5,
    )
    assert differences(planned, ran) == []
    other = settings_record(EMBEDDER, query_instruction="x", reranker={"m": 2}, rerank_top_k=5)
    assert differences(planned, other) == ["query_instruction", "reranker"]
    assert differences(planned, {**planned, "eval_splits": ["dev"]}) == ["eval_splits"]


def test_reader(tmp_path: Path) -> None:
    path = tmp_path / "T.json"
    path.write_text(json.dumps({"scores": {}}), encoding="utf-8")
    assert read_settings(path) is None  # mteb wrote it
    path.write_text(json.dumps({"mtebkit": {"schema_version": 1}}), encoding="utf-8")
    assert read_settings(path) == {}  # differs from any planned record
    path.write_text(json.dumps({"mtebkit": {"settings": EMBEDDER}}), encoding="utf-8")
    assert read_settings(path) == EMBEDDER
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ResultsError, match="cannot read result file"):
        read_settings(path)
