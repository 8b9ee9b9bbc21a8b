"""Warm runs never load the weights; the first cache miss does (issue 14, item 5b).

The tiny random BERT stands in for a real model: what is tested is when ``EncodingEngine._load``
runs, and that a run which skips it writes the same scores, settings and model meta.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mtebkit.cli import main
from mtebkit.errors import MtebkitError
from tests.helpers.hardening import own_cache, tiny_src

__all__ = ["own_cache", "tiny_src"]  # fixtures

BIG_STS = "tests.helpers.fault_tasks:BigSTSTask"
TEXTS = ["the cat", "a dog plays in the river", "the cat", "red car"]


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every weights load of this test, by model folder."""
    import mtebkit.models._engine as engine

    seen: list[Path] = []
    original = engine.EncodingEngine._load

    def counted(self: Any) -> None:
        seen.append(self.path)
        original(self)

    monkeypatch.setattr(engine.EncodingEngine, "_load", counted)
    return seen


def _argv(model: Path, results: Path, cache: Path) -> list[str]:
    return ["run", "--model", str(model), "--tasks", BIG_STS, "--results", str(results),
            "--cache-dir", str(cache), "-q"]  # fmt: skip


def _files(results: Path) -> dict[str, Any]:
    """Every file of a results folder, parsed, without the timings and where it ran."""
    out: dict[str, Any] = {}
    for p in sorted(results.rglob("*.json")):
        data = json.loads(p.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            for timing in ("evaluation_time", "evaluation_phases", "date"):
                data.pop(timing, None)
            if isinstance(data.get("mtebkit"), dict):
                data["mtebkit"] = {k: v for k, v in data["mtebkit"].items() if k != "provenance"}
        out[p.relative_to(results).as_posix()] = data
    return out


def test_a_warm_run_never_loads_the_model_and_writes_the_same_files(
    tiny_src: Path, tmp_path: Path, loads: list[Path]
) -> None:
    cache = tmp_path / "cache"
    assert main(_argv(tiny_src, tmp_path / "cold", cache)) == 0
    assert len(loads) == 1
    assert main(_argv(tiny_src, tmp_path / "warm", cache)) == 0
    assert len(loads) == 1, "every vector was cached: the weights must not load"
    cold, warm = _files(tmp_path / "cold"), _files(tmp_path / "warm")
    assert cold and warm == cold
    assert any(name.endswith("model_meta.json") for name in warm)


def test_the_first_cache_miss_loads_the_model_once(tmp_path: Path, loads: list[Path]) -> None:
    from mtebkit import Embedder, EmbeddingCache
    from tests.helpers.tiny_models import make_tiny_bert

    model = make_tiny_bert(tmp_path / "tiny")
    cold = Embedder(model, batch_size=2, cache=EmbeddingCache(tmp_path / "c"))
    cold_vectors = cold.encode(TEXTS)
    assert len(loads) == 1
    warm = Embedder(model, batch_size=2, cache=EmbeddingCache(tmp_path / "c"))
    assert warm.encode(TEXTS).tobytes() == cold_vectors.tobytes()
    assert len(loads) == 1
    assert (warm.embed_dim, warm._n_parameters, warm.cpu_kernels) == (
        cold.embed_dim,
        cold._n_parameters,
        cold.cpu_kernels,
    )
    assert warm.mteb_model_meta.to_dict() == cold.mteb_model_meta.to_dict()
    both = warm.encode([*TEXTS, "a woman sings"])  # one text not in the cache
    assert len(loads) == 2
    assert both[: len(TEXTS)].tobytes() == cold_vectors.tobytes()
    fresh = Embedder(model, batch_size=2).encode(["a woman sings"])  # no cache: loads at once
    assert len(loads) == 3
    np.testing.assert_allclose(both[-1:], fresh, atol=1e-6)
    warm.encode(["another new text"])
    assert len(loads) == 3, "loaded once, then kept"


def _record(cache_root: Path) -> Path:
    (path,) = (cache_root / "namespaces").glob("engine-*.json")
    return path


def test_without_a_record_the_model_loads_at_once(tmp_path: Path, loads: list[Path]) -> None:
    from mtebkit import Embedder, EmbeddingCache
    from tests.helpers.tiny_models import make_tiny_bert

    model = make_tiny_bert(tmp_path / "tiny")
    Embedder(model, cache=EmbeddingCache(tmp_path / "c")).encode(TEXTS)
    _record(tmp_path / "c").unlink()  # e.g. a cache filled before records existed
    Embedder(model, cache=EmbeddingCache(tmp_path / "c"))
    assert len(loads) == 2
    assert _record(tmp_path / "c").is_file()  # and the record is written again


def test_a_record_that_disagrees_with_the_loaded_model_is_an_error(tmp_path: Path) -> None:
    from mtebkit import Embedder, EmbeddingCache
    from tests.helpers.tiny_models import make_tiny_bert

    model = make_tiny_bert(tmp_path / "tiny")
    Embedder(model, cache=EmbeddingCache(tmp_path / "c")).encode(TEXTS)
    path = _record(tmp_path / "c")
    record = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**record, "n_parameters": record["n_parameters"] + 1}))
    warm = Embedder(model, cache=EmbeddingCache(tmp_path / "c"))
    with pytest.raises(MtebkitError, match="clear the cache"):
        warm.encode(["a text the cache does not hold"])


def test_a_damaged_record_is_ignored(tmp_path: Path, loads: list[Path]) -> None:
    from mtebkit import Embedder, EmbeddingCache
    from tests.helpers.tiny_models import make_tiny_bert

    model = make_tiny_bert(tmp_path / "tiny")
    Embedder(model, cache=EmbeddingCache(tmp_path / "c")).encode(TEXTS)
    _record(tmp_path / "c").write_text('{"embed_dim": "sixteen"}')
    Embedder(model, cache=EmbeddingCache(tmp_path / "c"))
    assert len(loads) == 2  # not trusted: loaded at once
