"""``cache info`` says which model and settings each namespace belongs to."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mtebkit import EmbeddingCache
from mtebkit.cli import main as cli_main


def test_embedder_describes_its_namespace_and_info_shows_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mtebkit import Embedder
    from tests.helpers.tiny_models import make_tiny_bert

    model = make_tiny_bert(
        tmp_path / "tiny", st_config={"pooling": "mean", "normalize": True, "max_length": 48}
    )
    cache = EmbeddingCache(tmp_path / "c")
    emb = Embedder(model, batch_size=2, cache=cache)
    emb.encode(["the cat", "a dog"])
    (ns,) = cache.info()["namespaces"].items()
    d = ns[1]["description"]
    assert d["model"] == emb.resolved.name and d["revision"] == emb.resolved.revision
    assert (d["pooling"], d["normalize"], d["max_length"], d["dtype"]) == (
        "mean",
        True,
        48,
        "float32",
    )
    assert d["weights_sha256"] == emb.resolved.weights_sha256
    assert cli_main(["cache", "info", "--cache-dir", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    assert emb.resolved.name in out and "mean" in out and ns[0] in out
    assert max(len(line) for line in out.splitlines()) <= 100
    assert cache.clear(ns[0]) == 2
    assert cache.description(ns[0]) is None  # cleared with its namespace


def test_undescribed_namespaces_are_shown_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = EmbeddingCache(tmp_path)
    cache.put_many("nsx", {"k" * 64: np.ones(4, dtype=np.float32)})
    assert cache.info()["namespaces"]["nsx"]["description"] is None
    assert cli_main(["cache", "info", "--cache-dir", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "(not recorded)" in captured.out and "nsx" in captured.out
    assert "written before mtebkit recorded namespaces" in captured.err
    cache.describe("nsx", {"model": "org/m"})
    cache.describe("nsx", {"model": "other"})  # the first description stays
    assert cache.description("nsx") == {"model": "org/m"}
