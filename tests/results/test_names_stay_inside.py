"""A name that comes from a file or a flag (task, model, revision, experiment, namespace,
shard file) never becomes a path outside the output folder: every writer refuses it with a
named error before anything is written."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from mtebkit.errors import CacheError, ResultsError
from mtebkit.evaluation import predictions_file_name
from mtebkit.models import EmbeddingCache
from mtebkit.reporting import Image, Report
from mtebkit.results import item_scores_path, result_path, write_task_result

HOSTILE = ["../x", "a/b", "/abs/x", "a\x00b", "", "..", ".", "a\\b", "a\nb"]
HOSTILE_MODEL = ["../x", "a/b/c", "/abs", "a/..", "a\x00/b", "", "..", "org/"]


def _meta(name: str = "org/model", revision: str = "r1", exp: dict[str, Any] | None = None) -> Any:
    from mteb.models.model_meta import ModelMeta

    return ModelMeta.create_empty(
        overwrites={"name": name, "revision": revision, "experiment_kwargs": exp}
    )


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _write(results: Path, meta: Any, task: str) -> None:
    # the writer must refuse before it looks at the result itself
    write_task_result(results, meta, SimpleNamespace(task_name=task), {})  # type: ignore[arg-type]


@pytest.mark.parametrize("task", HOSTILE)
def test_result_writer_refuses_task_name(tmp_path: Path, task: str) -> None:
    with pytest.raises(ResultsError, match="unsafe task name"):
        _write(tmp_path / "out" / "results", _meta(), task)
    assert _files(tmp_path) == []


@pytest.mark.parametrize("revision", HOSTILE)
def test_result_writer_refuses_revision(tmp_path: Path, revision: str) -> None:
    with pytest.raises(ResultsError, match="unsafe revision name"):
        _write(tmp_path / "out" / "results", _meta(revision=revision), "T")
    assert _files(tmp_path) == []


@pytest.mark.parametrize("model", HOSTILE_MODEL)
def test_result_writer_refuses_model_name(tmp_path: Path, model: str) -> None:
    with pytest.raises(ResultsError, match="unsafe model name"):
        _write(tmp_path / "out" / "results", _meta(name=model), "T")
    assert _files(tmp_path) == []


def test_result_writer_refuses_experiment_name(tmp_path: Path) -> None:
    # mteb replaces separators in experiment names, not control characters
    with pytest.raises(ResultsError, match="unsafe experiment name"):
        _write(tmp_path / "out" / "results", _meta(exp={"a": "x\ny"}), "T")
    assert _files(tmp_path) == []


def test_result_path_names_the_source(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match=r"'\.\./x' in spec\.yaml"):
        result_path(tmp_path, _meta(revision="../x"), "T", source="spec.yaml")


def test_valid_names_keep_mteb_layout(tmp_path: Path) -> None:
    path = result_path(tmp_path, _meta(exp={"dim": 64}), "T")
    assert path == tmp_path / "org__model" / "r1" / "experiments" / "dim_64" / "T.json"
    assert item_scores_path(path.parent, "T") == path.parent / "T.items.json.gz"


@pytest.mark.parametrize("task", HOSTILE)
def test_item_scores_and_predictions_refuse_task_name(tmp_path: Path, task: str) -> None:
    with pytest.raises(ResultsError, match="unsafe task name"):
        item_scores_path(tmp_path, task)
    with pytest.raises(ResultsError, match="unsafe task name"):
        predictions_file_name(task)


@pytest.mark.parametrize("name", HOSTILE)
def test_name_in_refuses(tmp_path: Path, name: str) -> None:
    from mtebkit.results._layout import name_in

    with pytest.raises(ResultsError, match="unsafe task name"):
        name_in(tmp_path, name, kind="task", prefix="similarity_", suffix=".png")


@pytest.mark.parametrize("name", ["../x.png", "a/b.png", "/abs.png", ""])
def test_report_writer_refuses_image_name(tmp_path: Path, name: str) -> None:
    report = Report("r")
    report.add(Image("t", b"png", filename=name))
    with pytest.raises(ResultsError, match="unsafe file name"):
        report.write(tmp_path / "out")
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "abs.png").exists()


def test_cache_clear_refuses_namespace(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "cache")
    victim = tmp_path / "cache" / "victim.json"
    cache.put_many("../victim", {"k": np.ones(2, dtype=np.float32)})
    victim.write_text("keep")
    with pytest.raises(CacheError, match="unsafe namespace name"):
        cache.clear("../victim")
    assert victim.read_text() == "keep"
    assert cache.description("../victim") is None


def test_cache_never_deletes_a_shard_named_outside(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "cache")
    cache.put_many("ns", {"k": np.ones(2, dtype=np.float32)})
    victim = tmp_path / "victim"
    victim.write_text("keep")
    with sqlite3.connect(tmp_path / "cache" / "index.sqlite3") as conn:  # a tampered index
        conn.execute("UPDATE shards SET file = ?", ("../../victim",))
    EmbeddingCache(tmp_path / "cache").clear()
    assert victim.read_text() == "keep"


def test_first_stage_folder_lookup_stays_inside(tmp_path: Path) -> None:
    from mtebkit.evaluation import FirstStageRun

    (tmp_path / "x.trec").write_text("q1 Q0 d1 1 1.0 t\n")
    (tmp_path / "runs").mkdir()
    with pytest.raises(ResultsError, match=r"unsafe task name '\.\./x'"):
        FirstStageRun.of(tmp_path / "runs", "../x")
