"""``mtebkit run`` task selection by type, language and split (on a task list, a benchmark, or
the whole catalogue)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mtebkit import MtebkitError, RunConfig
from mtebkit.cli import main
from mtebkit.evaluation import plan
from tests.helpers.tiny_models import make_tiny_bert


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_bert(
        tmp_path_factory.mktemp("m") / "tiny", st_config={"pooling": "mean", "max_length": 32}
    )


def _names(config: RunConfig) -> list[str]:
    return [j.task.name for j in plan(config)]


def test_type_and_language_select_from_a_benchmark(tiny: Path, tmp_path: Path) -> None:
    base = {"models": [str(tiny)], "results_dir": tmp_path, "benchmark": "MTEB(cmn, v1)"}
    sts = _names(RunConfig(**base, task_types=["sts"]))  # type: ignore[arg-type]
    assert "AFQMC" in sts and "LCQMC" in sts and "T2Retrieval" not in sts
    import mteb

    expected = [
        t.metadata.name
        for t in mteb.get_benchmark("MTEB(cmn, v1)").tasks
        if t.metadata.type == "STS"
    ]
    assert sts == expected
    assert _names(RunConfig(**base, task_types=["STS"], languages=["zh"])) == expected  # type: ignore[arg-type]


def test_nothing_selected_is_an_error_naming_the_filters(tiny: Path, tmp_path: Path) -> None:
    config = RunConfig(
        models=[str(tiny)], results_dir=tmp_path, tasks=["DemoSTSEn"], task_types=["Retrieval"]
    )
    with pytest.raises(MtebkitError, match="no task matches type Retrieval"):
        plan(config)


def test_the_whole_catalogue_when_no_task_list(tiny: Path, tmp_path: Path) -> None:
    names = _names(
        RunConfig(
            models=[str(tiny)], results_dir=tmp_path, task_types=["Reranking"], languages=["zh"]
        )
    )
    assert {"T2Reranking", "MMarcoReranking", "CMedQAv1-reranking"} <= set(names)
    assert "AFQMC" not in names


def test_split_is_the_only_one_evaluated_and_recorded(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mteb.mocks.mock_tasks.sts import MockSTSTask

    task = "mteb.mocks.mock_tasks.sts:MockSTSTask"
    (split,) = MockSTSTask().eval_splits[:1]
    results = tmp_path / "r"
    argv = ["run", "-m", str(tiny), "-t", task, "--results", str(results), "-q", "--no-cache"]
    assert main([*argv, "--split", split]) == 0
    (path,) = results.rglob("MockSTSTask.json")
    data = json.loads(path.read_text())
    assert set(data["scores"]) == {split}
    assert data["mtebkit"]["settings"]["eval_splits"] == [split]
    capsys.readouterr()
    assert main([*argv, "--split", "nope"]) == 2
    assert "no task matches split nope" in capsys.readouterr().err


def test_save_predictions_writes_mtebs_file_beside_the_result(tiny: Path, tmp_path: Path) -> None:
    results = tmp_path / "r"
    task = "mteb.mocks.mock_tasks.retrieval:MockRetrievalTask"
    argv = ["run", "-m", str(tiny), "-t", task, "--results", str(results), "-q", "--no-cache"]
    assert main([*argv, "--save-predictions"]) == 0
    (result,) = results.rglob("MockRetrievalTask.json")
    pred = result.parent / "MockRetrievalTask_predictions.json"
    data = json.loads(pred.read_text())
    # mteb's format: {subset: {split: {query id: {doc id: score}}}} (plus mteb's header fields)
    runs = [v for v in data.values() if isinstance(v, dict)]
    assert runs and any(isinstance(q, dict) and q for r in runs for q in r.values())
    other = tmp_path / "r2"
    assert main([*argv[:-4], "--results", str(other), "-q", "--no-cache"]) == 0
    assert not list(other.rglob("*_predictions.json"))  # only on request
