"""The runner's two-stage path: experiment naming, non-query tasks, skip and refuse.

``RunConfig(reranker=...)`` turns retrieval and reranking tasks into two-stage jobs (embed,
retrieve top-k, rerank with the cross-encoder), filed as an experiment of the embedder
(``rerank_top_k_<k>__reranker_<name>``); other task types run the embedder alone, in the
embedder's own folder. A re-run with the same settings is skipped; one with another reranker
setting under the same folder is refused before anything runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mtebkit import ResultsError, RunConfig, run_evaluation
from mtebkit.evaluation import plan
from tests.helpers.fake_executor import FakeExecutor
from tests.helpers.tiny_models import build_tiny_ce, make_tiny_bert

TASKS = [
    "mteb.mocks.mock_tasks.sts:MockSTSTask",
    "mteb.mocks.mock_tasks.retrieval:MockRetrievalTask",
    "mteb.mocks.mock_tasks.reranking:MockRerankingTask",
]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("models")
    bi = make_tiny_bert(root / "bi", st_config={"pooling": "mean", "normalize": True})
    return bi, build_tiny_ce(root / "ce")


def _config(models: tuple[Path, Path], results: Path, **kw: object) -> RunConfig:
    bi, ce = models
    base: dict[str, object] = {
        "models": [str(bi)],
        "tasks": TASKS,
        "results_dir": results,
        "reranker": str(ce),
        "rerank_top_k": 2,
        "use_cache": False,
        "show_progress": False,
    }
    return RunConfig(**(base | kw))  # type: ignore[arg-type]


def test_two_stage_jobs_are_named_and_non_query_tasks_run_alone(
    models: tuple[Path, Path], tmp_path: Path
) -> None:
    jobs = {j.task.name: j for j in plan(_config(models, tmp_path))}
    assert jobs["MockSTSTask"].reranker is None and jobs["MockSTSTask"].experiment is None
    for name in ("MockRetrievalTask", "MockRerankingTask"):
        j = jobs[name]
        assert j.reranker is not None and j.rerank_top_k == 2
        assert j.experiment is not None
        assert "rerank_top_k_2" in j.experiment and "reranker_local__ce" in j.experiment
        assert j.settings["reranker"]["top_k"] == 2
        assert j.settings["reranker"]["model"] == "local/ce"

    records = run_evaluation(_config(models, tmp_path))
    by_task = {r.task: r for r in records}
    assert all(r.status == "ran" for r in records)
    assert "experiments" not in by_task["MockSTSTask"].path.parts  # the embedder's own folder
    for name in ("MockRetrievalTask", "MockRerankingTask"):
        path = by_task[name].path
        assert path.parent.name == jobs[name].experiment
        data = json.loads(path.read_text())
        assert data["mtebkit"]["settings"]["reranker"]["model"] == "local/ce"
        # mteb records the stage-1 model in the reranker's scores
        (row,) = data["scores"]["test"]
        assert "bi" in json.dumps(row.get("previous_results_model_meta", data))


def test_rerun_skips_and_other_reranker_settings_are_refused(
    models: tuple[Path, Path], tmp_path: Path
) -> None:
    # what is checked is the planning and filing (the real two-stage round trip is above)
    first = run_evaluation(_config(models, tmp_path), executor=FakeExecutor(0.25))
    fake = FakeExecutor(0.75)
    again = run_evaluation(_config(models, tmp_path), executor=fake)
    assert fake.ran == [] and [r.status for r in again] == ["skipped"] * len(first)
    assert [r.main_score for r in again] == [r.main_score for r in first]

    # the same folder with another reranker max length: refused before anything runs
    path = next(r.path for r in first if r.task == "MockRetrievalTask")
    data = json.loads(path.read_text())
    data["mtebkit"]["settings"]["reranker"]["max_length"] = 64
    path.write_text(json.dumps(data))
    with pytest.raises(ResultsError, match=r"different settings \(reranker\)"):
        plan(_config(models, tmp_path))
    redone = run_evaluation(_config(models, tmp_path, overwrite=True), executor=fake)
    assert len(fake.ran) == len(first) and all(r.status == "ran" for r in redone)
    assert {r.main_score for r in redone} == {0.75}
