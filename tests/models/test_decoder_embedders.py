"""Decoder-only embedders on the one engine: last-token pooling equals sentence-transformers'
under left and right padding, in any batch and through the cache; EOS per model; a pooling,
module or architecture mtebkit does not compute is refused by name."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mtebkit import EmbeddingCache, UnsupportedModelError
from mtebkit.models import Embedder, ModelPreset
from tests.helpers.tiny_decoders import make_tiny_decoder
from tests.helpers.tiny_models import varied_texts

TEXTS = varied_texts(70)
ATOL = 1e-5


def _st_vectors(folder: Path, texts: list[str], batch_size: int = 64) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(folder), device="cpu")
    return np.asarray(st.encode(texts, batch_size=batch_size))


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    root = tmp_path_factory.mktemp("decoders")
    return {
        (arch, side): make_tiny_decoder(root / f"{arch}-{side}", arch=arch, padding_side=side)
        for arch in ("qwen2", "mistral", "gemma2")
        for side in ("right", "left")
    }


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("arch", ["qwen2", "mistral", "gemma2"])
def test_vectors_equal_sentence_transformers_in_any_batch(
    folders: dict[tuple[str, str], Path], arch: str, side: str
) -> None:
    folder = folders[(arch, side)]
    ref = _st_vectors(folder, TEXTS)
    for batch_size in (1, 3, 64):
        model = Embedder(folder, batch_size=batch_size)
        assert model.pooling == "last_token"  # read from 1_Pooling/config.json
        np.testing.assert_allclose(model.encode(TEXTS), ref, atol=ATOL, rtol=0)
    # padded batches of mixed lengths (what a GPU runs): the last real token, left or right
    engine = model.engine
    ids = engine.token_ids(TEXTS, model.settings)
    assert len({len(x) for x in ids[:7]}) > 1, "the batches must need padding"
    padded = engine.forward_batches(
        [ids[k : k + 7] for k in range(0, len(ids), 7)], settings=model.settings
    )
    np.testing.assert_allclose(np.concatenate(padded), ref, atol=ATOL, rtol=0)


def test_padding_side_is_the_tokenizers(folders: dict[tuple[str, str], Path]) -> None:
    for side in ("right", "left"):
        engine = Embedder(folders[("qwen2", side)]).engine
        _, mask = engine._pad([[5, 6, 7], [8]], 0, engine.tokenizer.padding_side == "left")
        assert mask[1].tolist() == ([0, 0, 1] if side == "left" else [1, 0, 0])


def test_through_the_embedding_cache(folders: dict[tuple[str, str], Path], tmp_path: Path) -> None:
    folder = folders[("qwen2", "left")]
    ref = _st_vectors(folder, TEXTS)
    cache = EmbeddingCache(tmp_path / "cache")
    first = Embedder(folder, cache=cache, batch_size=3).encode(TEXTS)
    again = Embedder(folder, cache=cache, batch_size=64)
    warm = again.encode(TEXTS)
    record = again.encoding_stats.as_dict(devices=["cpu"], dtype="float32")["all"]
    assert (record["cached"], record["encoded"]) == (len(set(TEXTS)), 0)
    assert np.array_equal(first, warm)
    np.testing.assert_allclose(warm, ref, atol=ATOL, rtol=0)


def test_a_decoder_without_a_pooling_config_is_pooled_on_its_last_token(tmp_path: Path) -> None:
    # as sentence-transformers pools a bare causal LM folder: never its first token
    folder = make_tiny_decoder(tmp_path / "bare", st=False)
    cfg = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**cfg, "architectures": ["Qwen2ForCausalLM"]}))
    assert Embedder(folder).pooling == "last_token"


def test_sentence_transformers_6_pooling_mode_key(tmp_path: Path) -> None:
    folder = make_tiny_decoder(
        tmp_path / "st6", pooling_config={"embedding_dimension": 32, "pooling_mode": "lasttoken"}
    )
    assert Embedder(folder).pooling == "last_token"


def test_eos_appended_per_model_equals_a_tokenizer_that_appends_it(tmp_path: Path) -> None:
    # Qwen3-Embedding ends every text with EOS: the preset says so, and a tokenizer that adds
    # EOS itself does not get a second one
    with_eos = make_tiny_decoder(tmp_path / "eos", eos_post=True)
    plain = make_tiny_decoder(tmp_path / "plain")
    ref = _st_vectors(with_eos, TEXTS)
    preset = ModelPreset(
        name="test/eos", revision=None, pooling="last_token", max_length=64, append_eos=True
    )
    for folder in (plain, with_eos):
        model = Embedder(folder, preset=preset, batch_size=3)
        ids = model.engine.token_ids(TEXTS, model.settings)
        eos = model.engine.tokenizer.eos_token_id
        assert all(x[-1] == eos and x[-2] != eos for x in ids)
        np.testing.assert_allclose(model.encode(TEXTS), ref, atol=ATOL, rtol=0)
    # EOS is part of the cache namespace; off, the settings are those recorded before it existed
    on = Embedder(plain, preset=preset).settings
    off = Embedder(plain).settings
    assert on.namespace() != off.namespace() and "append_eos" not in off.as_dict()
    # a truncated text still ends with EOS, within max_length
    long = Embedder(plain, preset=preset, max_length=5)
    (cut,) = long.engine.token_ids([TEXTS[4]], long.settings)
    assert len(cut) == 5 and cut[-1] == eos


@pytest.mark.parametrize(
    ("pooling", "named"),
    [
        ({"pooling_mode_max_tokens": True}, "max"),
        ({"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": True}, "cls"),
        ({"pooling_mode": "weightedmean"}, "weightedmean"),
        ({"word_embedding_dimension": 32}, "none"),
    ],
)
def test_an_unsupported_pooling_is_refused_by_name(
    tmp_path: Path, pooling: dict, named: str
) -> None:
    folder = make_tiny_decoder(tmp_path / "m", pooling_config=pooling)
    with pytest.raises(UnsupportedModelError, match=named):
        Embedder(folder)


def test_an_unsupported_module_or_architecture_is_refused_by_name(tmp_path: Path) -> None:
    folder = make_tiny_decoder(tmp_path / "dense")
    modules = json.loads((folder / "modules.json").read_text())
    modules.append(
        {"idx": 3, "name": "3", "path": "3_Dense", "type": "sentence_transformers.models.Dense"}
    )
    (folder / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(UnsupportedModelError, match="Dense"):
        Embedder(folder)
    t5 = make_tiny_decoder(tmp_path / "t5", st=False)
    cfg = json.loads((t5 / "config.json").read_text())
    (t5 / "config.json").write_text(json.dumps({**cfg, "is_encoder_decoder": True}))
    with pytest.raises(UnsupportedModelError, match="encoder-decoder"):
        Embedder(t5)
