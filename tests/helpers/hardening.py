"""Fixtures shared by the issue-12 hardening and fault tests (import them into the module)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.tiny_models import make_tiny_bert

MOCK_STS = "mteb.mocks.mock_tasks.sts:MockSTSTask"  # an mteb task class by import path


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test its own embedding cache root."""
    monkeypatch.setenv("MTEBKIT_CACHE_DIR", str(tmp_path / "cache-root"))


@pytest.fixture(scope="module")
def tiny_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny random BERT, built once per module (copy it before tampering)."""
    return make_tiny_bert(tmp_path_factory.mktemp("models") / "tiny")
