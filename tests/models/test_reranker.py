"""mtebkit.Reranker: FlagReranker-compatible scoring + mteb CrossEncoderProtocol, on a tiny model."""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mtebkit import InputTextError, ModelNotFoundError, MtebkitError, Reranker, UnknownNameError
from mtebkit.models import get_reranker_preset, list_reranker_presets
from tests.helpers.tiny_models import (
    build_tiny_ce,
)

PAIRS = [
    ["what does the cat eat", "the cat eats food in the house"],
    ["how", "a man drives a red car to the city"],
    ["who sings", "the woman sings"],
    ["what is a river", "water in a big river runs from the mountain to the city and the tree"],
]


@pytest.fixture(scope="module")
def tiny_ce(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_ce(tmp_path_factory.mktemp("models") / "tiny-ce")


@pytest.fixture(scope="module")
def reranker(tiny_ce: Path) -> Reranker:
    return Reranker(tiny_ce, batch_size=2)


def test_scores_match_an_unbatched_forward_pass(reranker: Reranker, tiny_ce: Path) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_ce)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_ce).eval()
    expected = []
    with torch.inference_mode():
        for q, p in PAIRS:
            enc = tok(q, p, truncation=True, max_length=512, return_tensors="pt")
            expected.append(float(model(**enc).logits.view(-1)[0]))
    got = reranker.compute_score(PAIRS)
    assert isinstance(got, list) and len(got) == len(PAIRS)
    assert got == pytest.approx(expected, abs=1e-5)
    assert len(set(np.round(got, 6))) == len(PAIRS)  # distinct: order mix-ups would show


def test_order_is_restored_whatever_the_batching(reranker: Reranker) -> None:
    base = reranker.compute_score(PAIRS, batch_size=1)
    assert reranker.compute_score(PAIRS, batch_size=3) == pytest.approx(base, abs=1e-5)
    perm = [2, 0, 3, 1]
    shuffled = reranker.compute_score([PAIRS[i] for i in perm], batch_size=4)
    assert shuffled == pytest.approx([base[i] for i in perm], abs=1e-5)


def test_single_pair_returns_a_float(reranker: Reranker) -> None:
    one = reranker.compute_score(PAIRS[0])
    assert isinstance(one, float)
    assert one == pytest.approx(reranker.compute_score(PAIRS)[0], abs=1e-5)
    assert isinstance(reranker.compute_score(tuple(PAIRS[1])), float)


def test_normalize_applies_a_sigmoid(reranker: Reranker) -> None:
    raw = reranker.compute_score(PAIRS)
    norm = reranker.compute_score(PAIRS, normalize=True)
    assert norm == pytest.approx([1 / (1 + math.exp(-x)) for x in raw])
    assert all(0 < s < 1 for s in norm)


def test_normalize_default_from_the_constructor(tiny_ce: Path, reranker: Reranker) -> None:
    r = Reranker(tiny_ce, normalize=True)
    assert r.compute_score(PAIRS) == pytest.approx(reranker.compute_score(PAIRS, normalize=True))
    assert r.compute_score(PAIRS, normalize=False) == pytest.approx(reranker.compute_score(PAIRS))


def test_max_length_truncates(reranker: Reranker) -> None:
    q = "what is a river"
    p = "water in a river " * 20
    a = reranker.compute_score([q, p + "cat dog"], max_length=16)
    b = reranker.compute_score([q, p + "music film"], max_length=16)
    c = reranker.compute_score([q, p + "music film"], max_length=128)
    assert a == pytest.approx(b, abs=1e-6)  # the differing tail is cut off
    assert c != pytest.approx(b, abs=1e-6)


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([PAIRS[0], ["q", ""]], "pair 1: the passage is empty"),
        ([PAIRS[0], PAIRS[1], [None, "p"]], "pair 2: the query is None"),
        ([PAIRS[0], ["only one"]], "pair 1 is not a (query, passage) pair"),
        ([["q", 3]], "pair 0: the passage is int"),
    ],
)
def test_bad_input_names_the_position(reranker: Reranker, pairs: Any, message: str) -> None:
    with pytest.raises(InputTextError, match=re.escape(message)):
        reranker.compute_score(pairs)


def test_meta_is_unique_and_fingerprinted(reranker: Reranker, tiny_ce: Path) -> None:
    from mteb.models import CrossEncoderProtocol, EncoderProtocol

    meta = reranker.mteb_model_meta
    sha = hashlib.sha256((tiny_ce / "model.safetensors").read_bytes()).hexdigest()
    assert meta.name == "local/tiny-ce"
    assert meta.revision == f"fp-{sha[:16]}"
    assert meta.is_cross_encoder
    assert "no_model_name" not in str(meta.name) and "no_revision" not in str(meta.revision)
    assert isinstance(reranker, CrossEncoderProtocol)
    assert not isinstance(reranker, EncoderProtocol)


def test_model_not_found_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(ModelNotFoundError, match=r"not found offline. Looked in: HF cache .*hub"):
        Reranker("BAAI/bge-reranker-base")
    with pytest.raises(ModelNotFoundError, match="neither an existing local directory"):
        Reranker(str(tmp_path / "missing-dir"))


def test_hub_id_from_hf_cache_records_its_commit(
    tiny_ce: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub.constants

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--BAAI--bge-reranker-base"
    shutil.copytree(tiny_ce, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit, encoding="utf-8")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    r = Reranker("BAAI/bge-reranker-base")
    assert (r.mteb_model_meta.name, r.mteb_model_meta.revision) == (
        "BAAI/bge-reranker-base",
        commit,
    )
    assert r.preset is not None and r.preset.max_length == 512  # FlagReranker's setting
    assert r.batch_size == 128
    assert r.max_length == 128  # the preset's 512, fitted to the tiny model's positions


def test_presets() -> None:
    names = [p.name for p in list_reranker_presets()]
    assert names == ["BAAI/bge-reranker-base", "BAAI/bge-reranker-large"]
    assert get_reranker_preset("BAAI/bge-reranker-large").max_length == 512
    with pytest.raises(UnknownNameError, match="Did you mean: BAAI/bge-reranker-base"):
        get_reranker_preset("BAAI/bge-reranker-bass")


def test_mteb_scores_a_reranking_task_with_it(reranker: Reranker, tmp_path: Path) -> None:
    """mteb's evaluator (top_ranked candidates) gives the MAP computed from compute_score."""
    import mteb
    import yaml

    from mtebkit.tasks import get_tasks, rehash_spec

    rows = [
        {
            "query": "what does the cat eat",
            "positive": ["the cat eats food"],
            "negative": ["a red car", "the river", "music and film"],
        },
        {
            "query": "who sings",
            "positive": ["the woman sings", "a man sings"],
            "negative": ["the dog runs", "an old book"],
        },
        {
            "query": "where is the mountain",
            "positive": ["the mountain is by the city"],
            "negative": ["blue water", "a new game", "the tree"],
        },
    ]
    (tmp_path / "rr.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    spec = tmp_path / "TinyRerank.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "name": "TinyRerank",
                "type": "reranking",
                "description": "tiny",
                "languages": ["eng-Latn"],
                "main_score": "map_at_1000",
                "data": {"format": "rows", "files": {"test": "rr.jsonl"}},
            }
        ),
        encoding="utf-8",
    )
    rehash_spec(spec)
    (task,) = get_tasks(["TinyRerank"], spec_paths=[tmp_path])
    res = mteb.evaluate(reranker, task, cache=None, show_progress_bar=False, co2_tracker=False)
    assert not res.exceptions, res.exceptions
    got = res.task_results[0].scores["test"][0]["map_at_1000"]

    aps = []
    for r in rows:
        cands = [(d, 1) for d in r["positive"]] + [(d, 0) for d in r["negative"]]
        scores = reranker.compute_score([[r["query"], d] for d, _ in cands])
        assert isinstance(scores, list)
        gaps = np.diff(np.sort(scores))
        assert gaps.min() > 1e-4  # no ties: the ranking is unambiguous
        ranked = sorted(zip(scores, [rel for _, rel in cands], strict=True), key=lambda x: -x[0])
        hits, precisions = 0, []
        for rank, (_, rel) in enumerate(ranked, start=1):
            if rel:
                hits += 1
                precisions.append(hits / rank)
        aps.append(sum(precisions) / len(r["positive"]))
    assert got == pytest.approx(float(np.mean(aps)), abs=1e-4)


def test_max_length_fits_the_model(tiny_ce: Path) -> None:
    r = Reranker(tiny_ce)  # default 512, the tiny model has 128 positions
    assert r.max_length == 128
    long_pair = ["what is a river", "water in a river " * 100]
    assert isinstance(r.compute_score(long_pair), float)  # truncated, no crash
    with pytest.raises(MtebkitError, match="max_length 512 exceeds"):
        Reranker(tiny_ce, max_length=512)
    with pytest.raises(MtebkitError, match="max_length 256 exceeds"):
        r.compute_score(long_pair, max_length=256)
