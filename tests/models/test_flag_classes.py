"""FlagEmbedding's class names importable from mtebkit, with FlagEmbedding 1.4's protocols:
FlagLLMModel's vectors are sentence-transformers', FlagICLModel builds bge-en-icl's queries,
the LLM presets agree with mteb's ModelMeta."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mtebkit
from mtebkit import ConfigError, FlagICLModel, FlagLLMModel, FlagModel, FlagReranker
from tests.helpers.tiny_decoders import make_tiny_decoder
from tests.helpers.tiny_models import build_tiny_ce, make_tiny_mean_bert, varied_texts

TEXTS = varied_texts(30)


@pytest.fixture(scope="module")
def decoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_decoder(tmp_path_factory.mktemp("dec") / "m", padding_side="left")


def _st(folder: Path, texts: list[str], max_seq_length: int | None = None) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(folder), device="cpu")
    if max_seq_length is not None:
        st.max_seq_length = max_seq_length
    return np.asarray(st.encode(texts))


def test_flag_llm_model_equals_sentence_transformers(decoder: Path) -> None:
    model = FlagLLMModel(decoder, query_instruction_for_retrieval="find the animal", batch_size=3)
    np.testing.assert_allclose(model.encode(TEXTS), _st(decoder, TEXTS), atol=1e-5, rtol=0)
    # queries: FlagEmbedding's default query_instruction_format; documents: as they are
    want = _st(decoder, [f"Instruct: find the animal\nQuery: {t}" for t in TEXTS[:5]])
    np.testing.assert_allclose(model.encode_queries(TEXTS[:5]), want, atol=1e-5, rtol=0)
    np.testing.assert_allclose(model.encode_corpus(TEXTS[:5]), _st(decoder, TEXTS[:5]), atol=1e-5)
    with pytest.raises(ConfigError, match="last_token"):
        FlagLLMModel(decoder, pooling_method="cls")


def _fe_example(fmt: str, instruct: str, query: str, response: str) -> str:
    return fmt.format(instruct, query, response)  # FlagEmbedding's get_detailed_example


def test_flag_icl_model_builds_bge_en_icl_queries(decoder: Path) -> None:
    examples = [
        {"instruct": "find the pet", "query": "a cat", "response": "the cat plays"},
        {"query": "a dog", "response": "the dog runs"},  # the retrieval instruction stands in
    ]
    model = FlagICLModel(
        decoder,
        query_instruction_for_retrieval="find the animal",
        examples_for_task=examples,
        query_max_length=64,  # FlagEmbedding encodes at ~64 + prefix + suffix (< 256 positions)
    )
    fmt = "<instruct>{}\n<query>{}\n<response>{}"
    prefix = (
        _fe_example(fmt, "find the pet", "a cat", "the cat plays")
        + "\n\n"
        + _fe_example(fmt, "find the animal", "a dog", "the dog runs")
        + "\n\n"
    )
    assert model.prefix == prefix
    texts, longest = model.icl_queries(TEXTS[:4], 64)
    assert texts == [
        f"{prefix}<instruct>find the animal\n<query>{t}\n<response>" for t in TEXTS[:4]
    ]
    np.testing.assert_allclose(
        model.encode_queries(TEXTS[:4]), _st(decoder, texts, longest), atol=1e-5
    )
    model.set_examples([])
    assert model.prefix == "" and model.icl_queries(["a cat"], 512)[0] == [
        "<instruct>find the animal\n<query>a cat\n<response>"
    ]
    # a long query is cut before the suffix is added, so the suffix always survives
    (cut,), _ = model.icl_queries([" ".join(TEXTS)], 48)
    assert cut.endswith("\n<response>") and len(cut) < len(" ".join(TEXTS))


def test_flag_model_and_flag_reranker_are_the_embedder_and_reranker(tmp_path: Path) -> None:
    folder = make_tiny_mean_bert(tmp_path / "bert")
    flag = FlagModel(folder, query_instruction_for_retrieval="q: ", batch_size=4)
    assert isinstance(flag, mtebkit.Embedder) and flag.pooling == "mean"
    plain = mtebkit.Embedder(folder, query_instruction="q: ")
    assert np.array_equal(flag.encode_queries(TEXTS), plain.encode_queries(TEXTS))
    ce = build_tiny_ce(tmp_path / "ce")
    pairs = [["a cat", "the cat plays"], ["a dog", "the car drives"]]
    assert FlagReranker(ce).compute_score(pairs) == mtebkit.Reranker(ce).compute_score(pairs)
    with pytest.raises(ConfigError, match="instructions"):
        FlagReranker(ce, query_instruction_for_rerank="x")


LLM_PRESETS = {
    "intfloat/e5-mistral-7b-instruct": "FlagLLMModel",
    "Alibaba-NLP/gte-Qwen2-1.5B-instruct": "FlagLLMModel",
    "Qwen/Qwen3-Embedding-0.6B": "FlagLLMModel",
    "BAAI/bge-en-icl": "FlagICLModel",
    "BAAI/bge-multilingual-gemma2": "FlagLLMModel",
}


@pytest.mark.parametrize("name", sorted(LLM_PRESETS))
def test_llm_presets_agree_with_mtebs_model_meta(name: str) -> None:
    import mteb

    from mtebkit.models import get_preset

    preset, meta = get_preset(name), mteb.get_model_meta(name)
    assert (preset.revision, preset.max_length) == (meta.revision, int(meta.max_tokens))
    assert preset.pooling == "last_token" and preset.protocol == LLM_PRESETS[name]
    if name != "Alibaba-NLP/gte-Qwen2-1.5B-instruct":  # mteb gives its MLP width there
        assert preset.embed_dim == meta.embed_dim


def test_models_lists_each_preset_with_its_protocol(capsys: pytest.CaptureFixture[str]) -> None:
    from mtebkit.cli import main

    assert main(["models"]) == 0
    rows = {line.split()[0]: line.split()[1] for line in capsys.readouterr().out.splitlines()[1:]}
    assert {n: rows[n] for n in LLM_PRESETS} == LLM_PRESETS
    assert rows["BAAI/bge-base-en-v1.5"] == "FlagModel"
