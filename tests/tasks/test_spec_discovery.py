"""Specs on the task path are discovered from their header alone: a large (or broken) spec's
data is read and hashed only when that task is asked for, never for a run of another task."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import mtebkit.tasks._spec as spec_mod
from mtebkit import RunConfig
from mtebkit.errors import MtebkitError
from mtebkit.evaluation import plan
from mtebkit.tasks import get_tasks, list_tasks, rehash_spec, spec_problems
from tests.helpers.tiny_models import make_tiny_bert

BIG_BYTES = 20 << 20  # 20 MiB: big enough that reading it would show, small to write


def _big_sts(root: Path, *, corrupt: bool = False, size: int = BIG_BYTES) -> Path:
    data = root / "big" / "test.jsonl"
    data.parent.mkdir(parents=True)
    rows = "".join(
        json.dumps({"sentence1": "a b c", "sentence2": f"a b {i}", "score": i % 6}) + "\n"
        for i in range(6)
    )
    with data.open("w", encoding="utf-8") as f:
        f.write(rows * (size // len(rows)))
    spec = root / "BigSTS.yaml"
    spec.write_text(
        "format: mtebkit-task\nname: BigSTS\ntype: sts\ndescription: big\n"
        "languages: [eng-Latn]\nmain_score: cosine_spearman\nmin_score: 0\nmax_score: 5\n"
        "data:\n  format: rows\n  files:\n    test: big/test.jsonl\n",
        encoding="utf-8",
    )
    rehash_spec(spec)
    if corrupt:  # after hashing: the data no longer matches the spec, and is not JSON
        with data.open("ab") as f:
            f.write(b"\xff{not json\n")
    return spec


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every data file hashed or read by a spec task."""
    import mtebkit.tasks._custom as custom  # imports mteb: at the test, not at collection

    seen: list[str] = []
    real_hash = spec_mod.sha256_file
    real_read = custom.read_sts_rows

    def hashed(path: Path, *a: Any, **k: Any) -> str:
        seen.append(f"hash:{Path(path).resolve()}")
        return real_hash(path, *a, **k)

    def read(path: Path, *a: Any, **k: Any) -> Any:
        seen.append(f"read:{Path(path).resolve()}")
        return real_read(path, *a, **k)

    monkeypatch.setattr(spec_mod, "sha256_file", hashed)
    monkeypatch.setattr(custom, "read_sts_rows", read)
    return seen


def _under(seen: list[str], root: Path) -> list[str]:
    return [s for s in seen if Path(s.split(":", 1)[1]).is_relative_to(root)]


def test_big_spec_is_not_read_for_another_task(tmp_path: Path, spy: list[str]) -> None:
    _big_sts(tmp_path)
    spy.clear()
    (task,) = get_tasks(["DemoSTSEn"], spec_paths=[tmp_path])
    assert task.metadata.name == "DemoSTSEn"
    infos = list_tasks(spec_paths=[tmp_path], include_native=False)
    assert "BigSTS" in {i.name for i in infos}
    assert _under(spy, tmp_path.resolve()) == []


def test_big_spec_is_read_when_asked_for(tmp_path: Path, spy: list[str]) -> None:
    _big_sts(tmp_path, size=64 << 10)  # the same spec, small: reading it is the point here
    spy.clear()
    (task,) = get_tasks(["BigSTS"], spec_paths=[tmp_path])
    assert task.metadata.name == "BigSTS"
    data = (tmp_path / "big" / "test.jsonl").resolve()
    assert f"hash:{data}" in spy and f"read:{data}" in spy


def test_broken_data_never_breaks_another_task(tmp_path: Path) -> None:
    _big_sts(tmp_path, corrupt=True)
    (task,) = get_tasks(["DemoSTSEn"], spec_paths=[tmp_path])
    assert task.metadata.name == "DemoSTSEn"
    with pytest.raises(MtebkitError, match="sha256"):
        get_tasks(["BigSTS"], spec_paths=[tmp_path])


def test_plan_of_another_task_reads_no_big_data(tmp_path: Path, spy: list[str]) -> None:
    _big_sts(tmp_path / "specs")
    tiny = make_tiny_bert(tmp_path / "tiny", st_config={"pooling": "mean", "max_length": 32})
    spy.clear()
    config = RunConfig(
        models=[str(tiny)],
        results_dir=tmp_path / "results",
        tasks=["DemoSTSEn"],
        spec_paths=[tmp_path / "specs"],
    )
    assert [j.task.name for j in plan(config)] == ["DemoSTSEn"]
    assert _under(spy, (tmp_path / "specs").resolve()) == []


def test_oversized_spec_is_refused_from_its_size_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "Huge.yaml"
    with big.open("wb") as f:  # sparse: 20 MiB on paper, nothing to write
        f.truncate(BIG_BYTES)
    parsed: list[int] = []
    real = spec_mod._compose
    monkeypatch.setattr(spec_mod, "_compose", lambda text: parsed.append(len(text)) or real(text))
    (task,) = get_tasks(["DemoSTSEn"], spec_paths=[tmp_path])
    assert task.metadata.name == "DemoSTSEn"
    assert all(n <= spec_mod.SPEC_MAX_BYTES for n in parsed)
    assert "over the" in spec_problems([tmp_path])[big.resolve()]


def test_a_header_is_parsed_once_per_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mtebkit.tasks._discovery as discovery

    spec = _big_sts(tmp_path, size=4 << 10)
    parsed: list[Path] = []
    real = discovery.load_spec
    monkeypatch.setattr(discovery, "load_spec", lambda p: parsed.append(p) or real(p))
    for _ in range(3):  # a run builds each of its tasks with a fresh discovery
        get_tasks(["DemoSTSEn"], spec_paths=[tmp_path])
    assert parsed.count(spec.resolve()) <= 1
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("description: big", "description: bog"), encoding="utf-8")
    (task,) = get_tasks(["BigSTS"], spec_paths=[tmp_path])  # same size, new content: parsed
    assert task.metadata.description == "bog"
