"""BGEM3FlagModel on a tiny bge-m3-shaped folder: its three outputs are bge-m3's formulas
(computed here from transformers' own forward pass, one text at a time), whatever the batch;
its scores are the formulas on those outputs; a folder without the heads is refused."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from mtebkit import BGEM3FlagModel, ConfigError, FlagModel, UnsupportedModelError
from tests.helpers.tiny_m3 import make_tiny_m3
from tests.helpers.tiny_models import varied_texts

TEXTS = varied_texts(12)


@pytest.fixture(scope="module")
def m3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_m3(tmp_path_factory.mktemp("m3") / "m")


@functools.lru_cache(maxsize=8)
def _formulas(
    folder: Path, texts: tuple[str, ...]
) -> tuple[np.ndarray, list[dict[str, float]], list[np.ndarray]]:
    """bge-m3's outputs by its published formulas, each text alone (no padding)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    sparse = torch.load(folder / "sparse_linear.pt", weights_only=True)
    colbert = torch.load(folder / "colbert_linear.pt", weights_only=True)
    unused = {tok.cls_token_id, tok.eos_token_id, tok.pad_token_id, tok.unk_token_id}
    dense, lexical, multi = [], [], []
    with torch.no_grad():
        for text in texts:
            enc = tok(text, return_tensors="pt", truncation=True, max_length=128)
            h = model(**enc).last_hidden_state[0]
            dense.append(torch.nn.functional.normalize(h[0], dim=-1).numpy())
            w = torch.relu(h @ sparse["weight"].T + sparse["bias"])[:, 0]
            lw: dict[str, float] = {}
            for weight, i in zip(w.tolist(), enc["input_ids"][0].tolist(), strict=True):
                if i not in unused and weight > 0:
                    lw[str(i)] = max(lw.get(str(i), 0.0), weight)
            lexical.append(lw)
            c = h[1:] @ colbert["weight"].T + colbert["bias"]
            multi.append(torch.nn.functional.normalize(c, dim=-1).numpy())
    return np.stack(dense), lexical, multi


@pytest.mark.parametrize("batch_size", [1, 3, 64])
def test_the_three_outputs_are_bge_m3s_formulas_in_any_batch(m3: Path, batch_size: int) -> None:
    model = BGEM3FlagModel(m3, batch_size=batch_size)
    out = model.encode(TEXTS, return_dense=True, return_sparse=True, return_colbert_vecs=True)
    dense, lexical, multi = _formulas(m3, tuple(TEXTS))
    np.testing.assert_allclose(out["dense_vecs"], dense, atol=1e-5, rtol=0)
    assert [set(d) for d in out["lexical_weights"]] == [set(d) for d in lexical]
    assert any(lexical), "the tiny head keeps some tokens"
    for got, want in zip(out["lexical_weights"], lexical, strict=True):
        np.testing.assert_allclose([got[k] for k in want], list(want.values()), atol=1e-5)
    assert [v.shape for v in out["colbert_vecs"]] == [v.shape for v in multi]
    for got_v, want_v in zip(out["colbert_vecs"], multi, strict=True):
        np.testing.assert_allclose(got_v, want_v, atol=1e-5, rtol=0)


def test_dense_alone_is_the_dense_of_all_three_and_flagmodels_cls(m3: Path) -> None:
    model = BGEM3FlagModel(m3, batch_size=4)
    alone = model.encode(TEXTS)  # return_dense only: the cached engine path
    assert alone["lexical_weights"] is None and alone["colbert_vecs"] is None
    both = model.encode(TEXTS, return_sparse=True)["dense_vecs"]
    np.testing.assert_array_equal(alone["dense_vecs"], both)
    flag = FlagModel(m3, pooling_method="cls", normalize_embeddings=True, batch_size=4)
    np.testing.assert_array_equal(alone["dense_vecs"], flag.encode(TEXTS))
    one = model.encode(TEXTS[0], return_sparse=True, return_colbert_vecs=True)
    assert one["dense_vecs"].shape == (32,) and isinstance(one["lexical_weights"], dict)


def test_scores_are_the_formulas_on_the_outputs(m3: Path) -> None:
    model = BGEM3FlagModel(m3, batch_size=5)
    pairs = [(TEXTS[i], TEXTS[-1 - i]) for i in range(6)]
    weights = [0.4, 0.2, 0.4]
    got = model.compute_score(pairs, weights_for_different_modes=weights)
    _, lq, cq = _formulas(m3, tuple(q for q, _ in pairs))
    dq = model.encode([q for q, _ in pairs])["dense_vecs"]
    dp_, lp, cp = _formulas(m3, tuple(p for _, p in pairs))
    dense = [float(a @ b) for a, b in zip(dq, dp_, strict=True)]
    sparse = [sum(w * b[t] for t, w in a.items() if t in b) for a, b in zip(lq, lp, strict=True)]
    colbert = [float((a @ b.T).max(axis=1).mean()) for a, b in zip(cq, cp, strict=True)]
    np.testing.assert_allclose(got["dense"], dense, atol=1e-5)
    np.testing.assert_allclose(got["sparse"], sparse, atol=1e-5)
    np.testing.assert_allclose(got["colbert"], colbert, atol=1e-5)
    np.testing.assert_allclose(
        got["sparse+dense"],
        [(0.2 * s + 0.4 * d) / 0.6 for d, s in zip(dense, sparse, strict=True)],
        atol=1e-5,
    )
    np.testing.assert_allclose(
        got["colbert+sparse+dense"],
        [0.4 * d + 0.2 * s + 0.4 * c for d, s, c in zip(dense, sparse, colbert, strict=True)],
        atol=1e-5,
    )
    # one pair: floats; a pair's score does not depend on the batch it is in
    single = model.compute_score(pairs[2])
    assert isinstance(single["colbert"], float)
    assert single["colbert"] == pytest.approx(got["colbert"][2], abs=1e-6)
    # the helpers FlagEmbedding scripts call
    out_q = model.encode_queries(
        [q for q, _ in pairs], return_sparse=True, return_colbert_vecs=True
    )
    assert model.compute_lexical_matching_score(
        out_q["lexical_weights"][0], lp[0]
    ) == pytest.approx(sparse[0], abs=1e-5)
    assert model.compute_lexical_matching_score(out_q["lexical_weights"], lp).shape == (6, 6)
    assert model.colbert_score(out_q["colbert_vecs"][1], cp[1]) == pytest.approx(
        colbert[1], abs=1e-5
    )
    tokens = model.convert_id_to_token(out_q["lexical_weights"][0])
    assert isinstance(tokens, dict) and len(tokens) == len(out_q["lexical_weights"][0])


def test_a_folder_without_m3s_heads_is_refused(tmp_path: Path, m3: Path) -> None:
    bare = make_tiny_m3(tmp_path / "bare", heads=False)
    with pytest.raises(UnsupportedModelError, match=r"sparse_linear\.pt / colbert_linear\.pt"):
        BGEM3FlagModel(bare)
    (tmp_path / "bare" / "sparse_linear.pt").write_bytes(b"not a state dict")
    (tmp_path / "bare" / "colbert_linear.pt").write_bytes(b"nor this")
    with pytest.raises(UnsupportedModelError, match=r"sparse_linear\.pt: not a linear"):
        BGEM3FlagModel(bare)
    model = BGEM3FlagModel(m3)
    with pytest.raises(ConfigError, match="3 weights"):
        model.compute_score([("a", "b")], weights_for_different_modes=[1, 1])
    with pytest.raises(ConfigError, match="choose one or more"):
        model.encode(["a"], return_dense=False)
    with pytest.raises(ConfigError, match="pooling_method must be 'cls'"):
        BGEM3FlagModel(m3, pooling_method="mean")  # type: ignore[arg-type]


def test_roberta_style_positions_hold_two_fewer_tokens(m3: Path) -> None:
    # XLM-RoBERTa numbers positions after its padding index: 130 positions hold 128 tokens
    assert BGEM3FlagModel(m3).max_length == 128
    with pytest.raises(ConfigError, match="max_length 130 exceeds"):
        FlagModel(m3, passage_max_length=130)
