"""Truncation and throughput per task: exact truncation counts, cache hits apart, provenance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mtebkit import Embedder, RunConfig, run_evaluation
from mtebkit.models._encoding_stats import EncodingStats, count_truncated, prompt_kind
from mtebkit.results import (
    encoding_of,
    load_results,
    tokens_per_s_cell,
    truncated_share,
    truncation_cell,
    truncation_note,
)
from tests.helpers.tiny_models import make_tiny_bert

MAX_LEN = 12


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_bert(
        tmp_path_factory.mktemp("tiny") / "tiny-trunc",
        st_config={"pooling": "mean", "normalize": True, "max_length": MAX_LEN},
    )


def _words(n: int) -> str:
    # "cat" and "dog" are one token each in the tiny vocabulary: n words = n + 2 tokens
    return " ".join(["cat", "dog"] * (n // 2) + ["cat"] * (n % 2))


def _cut_by_tokenizer(tokenizer: Any, texts: list[str], max_length: int) -> int:
    """The ground truth: tokenise each text whole, count those longer than the limit."""
    return sum(len(tokenizer(t)["input_ids"]) > max_length for t in texts)


def test_count_truncated_is_exact_at_the_limit(tiny_dir: Path) -> None:
    tok = Embedder(tiny_dir).engine.tokenizer
    assert len(tok(_words(MAX_LEN - 2))["input_ids"]) == MAX_LEN  # fits exactly: not cut
    texts = [_words(n) for n in (1, MAX_LEN - 3, MAX_LEN - 2, MAX_LEN - 1, MAX_LEN, 40)]
    ids = tok(texts, truncation=True, max_length=MAX_LEN)["input_ids"]
    assert count_truncated(tok, texts, ids, MAX_LEN) == 3
    assert count_truncated(tok, texts, ids, MAX_LEN) == _cut_by_tokenizer(tok, texts, MAX_LEN)
    short = tok(texts, truncation=True, max_length=5)["input_ids"]
    assert count_truncated(tok, texts, short, 5) == _cut_by_tokenizer(tok, texts, 5) == 5


def test_queries_and_documents_are_counted_apart_each_at_its_own_limit(tiny_dir: Path) -> None:
    from mteb.mocks.mock_tasks.retrieval import MockRetrievalTask
    from mteb.types import PromptType

    emb = Embedder(tiny_dir, query_max_length=6).variant()
    meta = MockRetrievalTask.metadata
    queries = [_words(n) for n in (2, 4, 5, 8, 8)]  # limit 6: 5, 8 and 8 words are cut
    docs = [_words(n) for n in (3, 10, 11, 30)]  # limit 12: 11 and 30 words are cut
    emb.encode([{"text": queries}], task_metadata=meta, prompt_type=PromptType.query)
    emb.encode([{"text": docs}], task_metadata=meta, prompt_type=PromptType.document)
    tok = emb.engine.tokenizer
    rec = emb.encoding_record()
    q, d = rec["kinds"]["query"], rec["kinds"]["document"]
    assert (q["texts"], q["distinct"], q["encoded"], q["max_length"]) == (5, 4, 4, 6)
    assert q["truncated"] == _cut_by_tokenizer(tok, list(set(queries)), 6) == 2
    assert (d["texts"], d["encoded"], d["max_length"]) == (4, 4, MAX_LEN)
    assert d["truncated"] == _cut_by_tokenizer(tok, docs, MAX_LEN) == 2
    # tokens: what went through the model, truncated, special tokens included
    assert q["tokens"] == sum(min(len(tok(t)["input_ids"]), 6) for t in set(queries))
    assert d["tokens"] == sum(min(len(tok(t)["input_ids"]), MAX_LEN) for t in docs)
    assert d["seconds"] > 0 and d["tokens_per_s"] > 0 and d["texts_per_s"] > 0
    assert rec["device"] == "cpu" and rec["all"]["encoded"] == 8
    assert truncation_cell(rec) == "q 50.0% d 50.0%"
    # a variant (one per job) starts with empty counts
    assert emb.variant().encoding_record()["kinds"] == {}


def test_a_warm_run_counts_cache_hits_apart_and_has_no_speed(
    tiny_dir: Path, tmp_path: Path
) -> None:
    from mtebkit import EmbeddingCache

    texts = [_words(n) for n in (3, 20, 20, 5)]
    cold = Embedder(tiny_dir, cache=EmbeddingCache(tmp_path / "c"))
    cold.encode(texts)
    first = cold.encoding_record()["kinds"]["text"]
    assert (first["encoded"], first["cached"], first["truncated"]) == (3, 0, 1)
    warm = cold.variant()
    warm.encode(texts)
    warm.encode(texts)  # a repeat within the job is neither encoded nor a second hit
    rec = warm.encoding_record()
    w = rec["kinds"]["text"]
    assert (w["texts"], w["distinct"], w["cached"], w["encoded"]) == (8, 3, 3, 0)
    assert (w["tokens"], w["truncated"], w["texts_per_s"], w["tokens_per_s"]) == (0, 0, None, None)
    assert tokens_per_s_cell(rec) == "cached" and truncation_cell(rec) == "cached"


def test_cells_and_the_truncation_note() -> None:
    stats = EncodingStats()
    stats.tally("query").forwarded(10, 100, 0, 1.0)
    stats.tally("document").forwarded(100, 5000, 6, 2.0)
    rec = stats.as_dict(devices=["cpu"], dtype="float32")
    assert rec["all"]["tokens_per_s"] == pytest.approx(5100 / 3.0, abs=0.1)
    assert tokens_per_s_cell(rec) == "1,700"
    assert truncated_share(rec, "document") == pytest.approx(0.06)
    note = truncation_note("m / T", rec)
    assert note is not None and "6.0% of documents (6 of 100)" in note
    at_five = EncodingStats()
    at_five.tally("document").forwarded(100, 5000, 5, 2.0)  # 5% is not "more than 5%"
    assert truncation_note("m / T", at_five.as_dict(devices=["cpu"], dtype="float32")) is None
    texts = EncodingStats()
    texts.tally("text").forwarded(10, 50, 1, 1.0)
    plain = texts.as_dict(devices=["cpu"], dtype="float32")
    assert truncation_cell(plain) == "10.0%" and "of texts" in str(truncation_note("x", plain))
    assert truncation_cell(None) == tokens_per_s_cell(None) == "-"
    assert [prompt_kind(p) for p in ("query", "document", None)] == ["query", "document", "text"]


def test_encoding_fields_are_provenance_and_never_make_results_differ(
    tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mtebkit.cli import main

    results = tmp_path / "results"
    argv = ["run", "--model", str(tiny_dir), "--tasks", "mteb.mocks.mock_tasks.retrieval:"]
    argv[-1] += "MockRetrievalTask"
    argv += ["--results", str(results), "--no-cache", "-q"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "truncated" in out and "tokens/s" in out
    (path,) = results.rglob("MockRetrievalTask.json")
    data = json.loads(path.read_text())
    enc = data["mtebkit"]["provenance"]["encoding"]
    assert set(enc["kinds"]) == {"query", "document"} and enc["all"]["encoded"] > 0
    assert "encoding" not in data["mtebkit"]["settings"]
    # another machine, another speed, other counts: still the same result
    enc["all"]["tokens_per_s"] = 1.0
    enc["kinds"]["document"]["truncated"] = 10**6
    enc["device"] = "cuda:7"
    path.write_text(json.dumps(data))
    records = run_evaluation(
        RunConfig(
            models=[str(tiny_dir)],
            tasks=["mteb.mocks.mock_tasks.retrieval:MockRetrievalTask"],
            results_dir=results,
            show_progress=False,
            use_cache=False,
        )
    )
    assert records and all(r.status == "skipped" for r in records)
    enc_back = records[0].encoding
    assert enc_back == encoding_of(path) and enc_back is not None
    assert enc_back["device"] == "cuda:7"
    # and the report reads it as one run
    rs = load_results(results)
    assert len(rs.runs()) == 1
