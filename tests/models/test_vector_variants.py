"""Matryoshka dims x precisions (``--dim`` / ``--precision``): post-processing, plan, report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mtebkit import MtebkitError
from mtebkit.models._variants import (
    ReuseMemo,
    VectorVariant,
    config_dim,
    hamming_similarity,
    pairwise_hamming_similarity,
    vector_variants,
)
from mtebkit.reporting import relative_loss, variant_tables
from mtebkit.results import ResultSet, ScoreRow
from tests.helpers.tiny_models import make_tiny_bert


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_bert(tmp_path_factory.mktemp("tiny") / "m")


def _vectors(n: int = 50, d: int = 24, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


# ----------------------------------------------------------------- post-processing


def test_truncation_renormalises_when_the_model_normalises() -> None:
    x = _vectors()
    out = VectorVariant(dim=8).apply(x, normalize=True)
    expected = x[:, :8] / np.linalg.norm(x[:, :8], axis=1, keepdims=True)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-6)
    raw = VectorVariant(dim=8).apply(x * 3, normalize=False)  # an unnormalised model: kept raw
    np.testing.assert_allclose(raw, 3 * x[:, :8], rtol=1e-6)


def test_full_float32_is_the_vectors_unchanged() -> None:
    x = _vectors()
    assert VectorVariant().apply(x, normalize=True) is x


def test_int8_equals_sentence_transformers_on_the_same_batch() -> None:
    from sentence_transformers.util import quantize_embeddings

    x = _vectors()
    trunc = x[:, :10] / np.linalg.norm(x[:, :10], axis=1, keepdims=True)
    st = quantize_embeddings(trunc, precision="int8")
    out = VectorVariant(dim=10, precision="int8").apply(x, normalize=True)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.asarray(st).astype(np.float32))
    # calibrated per call: the ranges are this batch's, so each dimension's minimum is -128
    assert (out.min(axis=0) == -128).all()


def test_int8_equals_mteb_compression_wrapper() -> None:
    """mteb's CompressionWrapper (int8) computes the same buckets from the same batch."""
    import warnings

    from mteb.models import CompressionWrapper
    from mteb.models.model_meta import ModelMeta
    from mteb.types import OutputDType

    x = _vectors(n=40, d=12, seed=3)

    class Fixed:
        mteb_model_meta = ModelMeta.create_empty(overwrites={"name": "a/b"})

        def encode(self, inputs: object, **kw: object) -> np.ndarray:
            return x

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "fewer than 10,000 embeddings": known, wanted here
        wrapped = CompressionWrapper(Fixed(), OutputDType.INT8)  # type: ignore[arg-type]
        theirs = wrapped.encode(None, task_metadata=None, hf_split="test", hf_subset="default")  # type: ignore[arg-type]
    ours = VectorVariant(precision="int8").apply(x, normalize=True)
    np.testing.assert_array_equal(ours, np.asarray(theirs, dtype=np.float32))


def test_int8_of_a_single_text_is_a_named_error() -> None:
    with pytest.raises(MtebkitError, match="single text has no range"):
        VectorVariant(precision="int8").apply(_vectors(n=1), normalize=True)


def test_int8_hand_computed() -> None:
    # one dimension, values 0, 100, 255: step (255-0)/255 = 1; floor((v-0)/1) - 128
    x = np.array([[0.0], [100.0], [255.0]], dtype=np.float32)
    out = VectorVariant(precision="int8").apply(x, normalize=False)
    assert out.ravel().tolist() == [-128.0, -28.0, 127.0]


def test_binary_is_st_ubinary_bits_by_sign() -> None:
    from sentence_transformers.util import quantize_embeddings

    x = _vectors(d=20)  # not a multiple of 8: the padding bits of the packing are dropped
    out = VectorVariant(precision="binary").apply(x, normalize=True)
    packed = quantize_embeddings(x, precision="ubinary")
    np.testing.assert_array_equal(out, np.unpackbits(packed, axis=-1)[:, :20])
    np.testing.assert_array_equal(out, (x > 0).astype(np.float32))
    signed = quantize_embeddings(x, precision="binary")  # ST's int8-packed form: same bits
    np.testing.assert_array_equal(
        np.packbits(out.astype(bool), axis=-1), signed.view(np.uint8) ^ 128
    )


def test_hamming_similarity_equals_scipy() -> None:
    from scipy.spatial.distance import cdist

    a = (np.random.default_rng(1).random((7, 13)) > 0.5).astype(np.float32)
    b = (np.random.default_rng(2).random((5, 13)) > 0.5).astype(np.float32)
    np.testing.assert_allclose(hamming_similarity(a, b).numpy(), 1 - cdist(a, b, "hamming"), 1e-6)
    pair = pairwise_hamming_similarity(a[:5], b).numpy()
    np.testing.assert_allclose(pair, 1 - cdist(a[:5], b, "hamming").diagonal(), rtol=1e-6)


def test_hamming_hand_computed() -> None:
    # 1011 vs 1101: bits 2 and 3 differ -> 2 of 4 equal
    a = np.array([[1, 0, 1, 1]], dtype=np.float32)
    b = np.array([[1, 1, 0, 1]], dtype=np.float32)
    assert float(hamming_similarity(a, b)[0, 0]) == 0.5
    assert float(pairwise_hamming_similarity(a, a)[0]) == 1.0


# ----------------------------------------------------------------- the cross product


def test_cross_product_and_experiment_names() -> None:
    from mteb.models.model_meta import ModelMeta

    vs = vector_variants([384, 256], ["float32", "int8", "binary"], model_dim=384)
    assert len(vs) == 6
    names = []
    for v in vs:
        exp = v.experiment_kwargs() or None
        meta = ModelMeta.create_empty(overwrites={"name": "a/b", "experiment_kwargs": exp})
        names.append(meta.experiment_name)
    assert names == [
        None,  # the model's own dimension at float32 is the default experiment
        "precision_int8",
        "precision_binary",
        "dim_256",
        "dim_256__precision_int8",
        "dim_256__precision_binary",
    ]


@pytest.mark.parametrize(
    ("dims", "precisions", "match"),
    [
        ([0], None, r"--dim 0: .* >= 1"),
        ([-4], None, r"--dim -4"),
        ([385], None, r"--dim 385: larger than the 384 dimensions"),
        (None, ["fp8"], r"--precision 'fp8': unknown precision \(choose from float32, int8"),
    ],
)
def test_bad_variants_are_named(dims: list[int] | None, precisions: list[str] | None, match: str):
    with pytest.raises(MtebkitError, match=match):
        vector_variants(dims, precisions, model_dim=384)


def test_config_dim_reads_the_config_only(tiny: Path, tmp_path: Path) -> None:
    assert config_dim(tiny) == 32
    assert config_dim(tmp_path) is None


def test_plan_refuses_a_dim_beyond_the_model_before_loading(tiny: Path, tmp_path: Path) -> None:
    from mtebkit.evaluation import RunConfig, plan

    cfg = RunConfig(models=[str(tiny)], tasks=["DemoSTSEn"], results_dir=tmp_path, dims=[33])
    with pytest.raises(MtebkitError, match="--dim 33: larger than the 32 dimensions"):
        plan(cfg)
    assert not any(tmp_path.iterdir())  # nothing computed, nothing written


def test_plan_files_each_variant_as_its_own_experiment(tiny: Path, tmp_path: Path) -> None:
    from mtebkit.evaluation import RunConfig, plan

    cfg = RunConfig(
        models=[str(tiny)],
        tasks=["DemoSTSEn", "DemoRetrievalEn"],
        results_dir=tmp_path,
        dims=[32, 16],
        precisions=["float32", "binary"],
        pooling="mean",
    )
    jobs = plan(cfg)
    assert [(j.task.name, j.experiment) for j in jobs] == [
        (t, e)
        for t in ("DemoSTSEn", "DemoRetrievalEn")
        for e in (
            "pooling_mean",
            "pooling_mean__precision_binary",
            "dim_16__pooling_mean",
            "dim_16__pooling_mean__precision_binary",
        )
    ]
    assert len({j.result_path for j in jobs}) == 8
    by_exp = {j.experiment: j for j in jobs}
    assert by_exp["dim_16__pooling_mean__precision_binary"].settings["dim"] == 16
    assert by_exp["dim_16__pooling_mean__precision_binary"].settings["precision"] == "binary"
    assert "dim" not in by_exp["pooling_mean"].settings  # full vectors: as without --dim


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dim", "0"], "--dim 0"),
        (["--dim", "64"], "--dim 64: larger than the 32 dimensions"),
        (["--precision", "int4"], "--precision 'int4': unknown precision"),
    ],
)
def test_cli_bad_variants(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    from mtebkit.cli import main

    argv = ["run", "-m", str(tiny), "--tasks", "DemoSTSEn", "--results", str(tmp_path / "r")]
    assert main([*argv, "--no-cache", "-q", *args]) != 0
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not list(tmp_path.rglob("*.json"))  # nothing computed, nothing written


# ----------------------------------------------------------------- one encoding


def test_variants_of_a_task_encode_once(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mtebkit.models import Embedder

    emb = Embedder(str(tiny), device="cpu", pooling="mean", normalize=True)
    calls: list[int] = []
    real = emb.engine.encode

    def counting(texts, **kw):  # type: ignore[no-untyped-def]
        calls.append(len(texts))
        return real(texts, **kw)

    monkeypatch.setattr(emb.engine, "encode", counting)
    texts = ["the cat", "a dog", "the cat", "what is it"]
    emb.reuse.start("task A")
    full = emb.variant(vectors=VectorVariant()).encode(texts)
    small = emb.variant(vectors=VectorVariant(dim=8, precision="binary")).encode(texts)
    assert calls == [4]  # the second variant reused the first one's full vectors
    assert emb.reuse.texts == 3  # distinct texts not re-encoded
    tok = emb.engine.tokenizer(["the cat", "a dog", "what is it"])["input_ids"]
    assert emb.reuse.tokens == sum(len(t) for t in tok)
    np.testing.assert_array_equal(small, (full[:, :8] > 0).astype(np.float32))
    emb.reuse.start("task B")  # another task: its texts are encoded again
    emb.variant(vectors=VectorVariant(dim=8)).encode(texts)
    assert calls == [4, 4]
    emb.reuse.stop()
    emb.encode(texts)
    assert calls == [4, 4, 4]


def test_reuse_memo_holds_only_the_current_task() -> None:
    memo = ReuseMemo()
    key = ReuseMemo.key("ns", ["a"])
    memo.put(key, np.zeros((1, 2)), 1)
    assert memo.get(key, lambda: 1) is None  # not started: nothing is kept
    memo.start("t1")
    memo.put(key, np.ones((1, 2)), 1)
    assert memo.get(key, lambda: 5) is not None and (memo.texts, memo.tokens) == (1, 5)
    memo.start("t2")
    assert memo.get(key, lambda: 5) is None


# ----------------------------------------------------------------- the report


def _row(exp: str | None, score: float, **settings: object) -> ScoreRow:
    return ScoreRow("org/m", "r", exp, "SciFact", "test", "default", score, {}, settings=settings)


def test_dims_by_precision_table_with_relative_loss() -> None:
    rs = ResultSet(
        rows=[
            _row(None, 0.60),
            _row("precision_binary", 0.45, precision="binary"),
            _row("dim_128", 0.57, dim=128),
            _row("dim_128__precision_binary", 0.30, dim=128, precision="binary"),
        ],
        meta={"org/m": {"embed_dim": 384}},
    )
    (table,) = variant_tables(rs)
    assert table.columns == ["Task", "Dim", "float32", "float32 loss %", "binary", "binary loss %"]
    full, small = table.rows
    assert full[:2] == ["SciFact", "384 (full)"] and small[:2] == ["SciFact", 128]
    np.testing.assert_allclose(full[2:], [60.0, 0.0, 45.0, 25.0])  # (60-45)/60 = 25 %
    np.testing.assert_allclose(small[2:], [57.0, 5.0, 30.0, 50.0])


def test_no_variant_table_without_variants() -> None:
    assert variant_tables(ResultSet(rows=[_row(None, 0.6), _row("pooling_mean", 0.5)])) == []


def test_relative_loss_undefined() -> None:
    assert relative_loss(0.0, 0.5) is None and relative_loss(None, 0.5) is None
    assert relative_loss(50.0, 40.0) == pytest.approx(20.0)
