"""The model adapter: FlagModel contract, settings resolution, ordering, dedup, bad input."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from mtebkit import Embedder, InputTextError
from mtebkit.models import QUERY_TASK_TYPES, ModelPreset
from tests.helpers.tiny_models import make_tiny_bert


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_bert(
        tmp_path_factory.mktemp("tiny"),
        st_config={"pooling": "mean", "normalize": True, "max_length": 48},
    )


@pytest.fixture(scope="module")
def tiny(tiny_dir: Path) -> Embedder:
    return Embedder(tiny_dir, batch_size=3)


def _reference(e: Embedder, texts: list[str]) -> np.ndarray:
    """Encode one text at a time, no batching, no padding: the ground truth."""
    return np.concatenate([e._encode_texts([t], batch_size=1) for t in texts])


def test_settings_come_from_the_sentence_transformers_config(tiny: Embedder) -> None:
    assert (tiny.pooling, tiny.normalize, tiny.max_length) == ("mean", True, 48)
    assert tiny.query_instruction is None  # unknown model: no instruction by default
    assert tiny.resolved.name.startswith("local/")
    assert tiny.resolved.revision.startswith("fp-")


def test_encode_shape_dtype_always_2d(tiny: Embedder) -> None:
    out = tiny.encode(["the cat", "a dog plays in the river"])
    assert out.shape == (2, 32) and out.dtype == np.float32
    one = tiny.encode("the cat")
    assert one.shape == (1, 32)
    np.testing.assert_allclose(one[0], out[0], atol=1e-6)
    assert tiny.encode([]).shape[0] == 0


def test_normalized_vectors_have_unit_norm(tiny: Embedder) -> None:
    out = tiny.encode(["the cat", "big red car drives on the mountain road"])
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)


def test_length_sorted_batches_restore_order_and_match_unbatched(tiny: Embedder) -> None:
    texts = [
        "a",
        "the old man reads a book in the house by the river and the dog swims",
        "cat",
        "what is the music of the city",
        "the woman cooks food",
        "tree",
        "how big is the small blue car",
    ]
    batched = tiny.encode(texts, batch_size=3)
    np.testing.assert_allclose(batched, _reference(tiny, texts), atol=1e-5)


def test_identical_texts_are_encoded_once(tiny: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    original = tiny.engine._forward_all

    def spy(texts: list[str], **kw: object) -> list[np.ndarray]:
        seen.append(len(texts))
        return original(texts, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(tiny.engine, "_forward_all", spy)
    out = tiny.encode(["the cat", "a dog", "the cat", "the cat", "a dog"])
    assert seen == [2]
    np.testing.assert_array_equal(out[0], out[2])
    np.testing.assert_array_equal(out[1], out[4])


def test_cls_pooling_and_no_normalisation(tiny_dir: Path) -> None:
    e = Embedder(tiny_dir, pooling="cls", normalize=False)
    out = e.encode(["the cat eats", "the dog"])
    assert not np.allclose(np.linalg.norm(out, axis=1), 1.0)
    assert e.pooling == "cls"


def test_max_length_truncates(tiny_dir: Path) -> None:
    e = Embedder(tiny_dir, max_length=4)
    long = "the cat and the dog and the man and the woman"
    np.testing.assert_allclose(
        e.encode([long]), e.encode(["the cat and"]), atol=1e-6
    )  # [CLS] the cat [SEP]... 4 tokens
    assert not np.allclose(Embedder(tiny_dir, max_length=40).encode([long]), e.encode([long]))


@pytest.mark.parametrize(
    "bad, where",
    [(["ok", None], "sentences[1]"), (["ok", 3], "sentences[1]"), (["", "x"], "sentences[0]")],
)
def test_bad_texts_name_their_position(tiny: Embedder, bad: list[object], where: str) -> None:
    with pytest.raises(InputTextError, match=re.escape(where)):
        tiny.encode(bad)  # type: ignore[arg-type]


def test_empty_text_allowed_on_request(tiny: Embedder) -> None:
    out = tiny.encode(["", "the cat"], allow_empty=True)
    assert out.shape == (2, 32) and np.isfinite(out).all()


def test_encode_queries_prepends_instruction(tiny_dir: Path) -> None:
    e = Embedder(tiny_dir, query_instruction="what is ")
    np.testing.assert_allclose(
        e.encode_queries(["the cat"]), e.encode(["what is the cat"]), atol=1e-6
    )
    e.use_instructions = False
    np.testing.assert_allclose(e.encode_queries(["the cat"]), e.encode(["the cat"]), atol=1e-6)


def test_encode_corpus_joins_title_and_text_as_mteb(tiny: Embedder) -> None:
    docs = [{"title": "big city", "text": "the river"}, {"title": "", "text": " the dog "}, "a cat"]
    want = tiny.encode(["big city the river", "the dog", "a cat"])
    np.testing.assert_allclose(tiny.encode_corpus(docs), want, atol=1e-6)
    with pytest.raises(InputTextError, match=r"corpus\[0\]"):
        tiny.encode_corpus([{"title": "x"}])


def test_fp16_on_cpu_runs_float32(tiny_dir: Path) -> None:
    e = Embedder(tiny_dir, use_fp16=True, devices=["cpu"])
    assert e.dtype == "float32"
    assert e.encode(["the cat"]).dtype == np.float32


def _bge_like(tiny_dir: Path, lang: str) -> Embedder:
    from mtebkit.models import get_preset

    p = get_preset("BAAI/bge-base-en-v1.5" if lang == "en" else "BAAI/bge-base-zh-v1.5")
    return Embedder(tiny_dir, preset=p, max_length=64)  # the tiny model has 128 positions


def test_bge_en_instruction_rules(tiny_dir: Path) -> None:
    e = _bge_like(tiny_dir, "en")
    instr = e.query_instruction
    assert instr and instr.startswith("Represent this sentence")
    assert e.instruction_for("SciFact", "Retrieval") == instr
    assert e.instruction_for("NFCorpus", "Retrieval") == instr
    assert e.instruction_for("ArguAna", "Retrieval") is None
    assert e.instruction_for("QuoraRetrieval", "Retrieval") is None
    assert e.instruction_for("SciDocsRR", "Reranking") is None  # English: retrieval only
    for t in ("STS", "PairClassification", "Classification", "Clustering", "Summarization"):
        assert e.instruction_for("X", t) is None
    e.task_instructions = {"ArguAna": "custom: "}
    assert e.instruction_for("ArguAna", "Retrieval") == "custom: "
    e.use_instructions = False
    assert e.instruction_for("SciFact", "Retrieval") is None


def test_bge_zh_instruction_rules(tiny_dir: Path) -> None:
    e = _bge_like(tiny_dir, "zh")
    assert e.instruction_for("T2Reranking", "Reranking") == e.query_instruction
    assert e.instruction_for("CovidRetrieval", "Retrieval") == e.query_instruction
    assert e.instruction_for("LCQMC", "STS") is None
    assert e.instruction_for("AFQMC", "STS") is None
    # a custom task spec's instruction replaces the preset's for instruction-using models
    e.spec_instructions = {"MyRetrieval": "spec: "}
    assert e.instruction_for("MyRetrieval", "Retrieval") == "spec: "


def test_unknown_model_never_gets_a_spec_instruction(tiny: Embedder) -> None:
    tiny.spec_instructions = {"MyRetrieval": "spec: "}
    assert tiny.instruction_for("MyRetrieval", "Retrieval") is None


def test_query_types_are_retrieval_and_reranking_only() -> None:
    assert frozenset({"Retrieval", "Reranking"}) == QUERY_TASK_TYPES


def test_mteb_model_meta_is_unique_per_weights(tiny_dir: Path, tmp_path: Path) -> None:
    other = make_tiny_bert(tmp_path / "tiny", seed=1)  # same folder name, different weights
    a, b = Embedder(tiny_dir).mteb_model_meta, Embedder(other).mteb_model_meta
    assert (
        a.name
        and a.revision
        and "no_model_name" not in a.name
        and a.revision != "no_revision_available"
    )
    assert (a.name, a.revision) != (b.name, b.revision)


def test_satisfies_mteb_encoder_protocol(tiny: Embedder) -> None:
    from mteb.models.models_protocols import EncoderProtocol

    assert isinstance(tiny, EncoderProtocol)


def test_preset_refuses_unknown_fields() -> None:
    with pytest.raises(ValueError, match="extra"):
        ModelPreset(name="x/y", revision=None, colour="blue")  # type: ignore[call-arg]


def test_unknown_keywords_are_a_type_error_with_a_suggestion(tiny_dir: Path) -> None:
    with pytest.raises(TypeError, match=r"'max_lenght'.*Did you mean: max_length"):
        Embedder(tiny_dir, max_lenght=8)
    with pytest.raises(TypeError, match="'normalise'"):
        Embedder(tiny_dir, normalise=False)


def test_flagmodel_keywords_are_mapped_or_accepted(tiny_dir: Path) -> None:
    from mtebkit.models._embedder import FLAGMODEL_IGNORED

    e = Embedder(
        tiny_dir,
        pooling_method="cls",
        normalize_embeddings=False,
        query_instruction_for_retrieval="q: ",
        **dict.fromkeys(FLAGMODEL_IGNORED, True),
    )
    assert (e.pooling, e.normalize, e.query_instruction) == ("cls", False, "q: ")
    # ignored options change nothing that is recorded
    plain = Embedder(tiny_dir, pooling="cls", normalize=False, query_instruction="q: ")
    assert e.settings_record() == plain.settings_record()


def test_a_variant_shares_the_weights_and_leaves_the_original_alone(tiny_dir: Path) -> None:
    e = Embedder(tiny_dir, query_instruction="q: ")
    v = e.variant(use_instructions=False, experiment_kwargs={"instructions": "off"})
    assert v.engine is e.engine
    assert (e.use_instructions, e.experiment_kwargs) == (True, {})
    assert v.mteb_model_meta.experiment_name == "instructions_off"
    assert e.mteb_model_meta.experiment_name is None
