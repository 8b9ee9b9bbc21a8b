"""The runner: mteb's evaluators, mteb's results layout, skipping, experiments, ablation.

One real round trip through mteb (the first test); the skip / refuse / naming tests run on
:class:`FakeExecutor` (no model loaded, no evaluator): what they check is the planner's and the
filing's, and the fake records which jobs were given to it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mtebkit import ResultsError, RunConfig, run_evaluation
from mtebkit.models import ENGINE_VERSION
from tests.helpers.fake_executor import FakeExecutor
from tests.helpers.tiny_models import make_tiny_bert


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_bert(
        tmp_path_factory.mktemp("m") / "tiny-a",
        st_config={"pooling": "mean", "normalize": True, "max_length": 64},
    )


@pytest.fixture
def mock_tasks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from mteb.mocks.mock_tasks.reranking import MockRerankingTask
    from mteb.mocks.mock_tasks.retrieval import MockRetrievalTask
    from mteb.mocks.mock_tasks.sts import MockSTSTask

    return [c.metadata.name for c in (MockSTSTask, MockRetrievalTask, MockRerankingTask)]


MOCK_TASKS = [
    "mteb.mocks.mock_tasks.sts:MockSTSTask",
    "mteb.mocks.mock_tasks.retrieval:MockRetrievalTask",
    "mteb.mocks.mock_tasks.reranking:MockRerankingTask",
]


def _config(model: Path, results: Path, **kw: object) -> RunConfig:
    kw.setdefault("tasks", MOCK_TASKS)
    return RunConfig(
        models=[str(model)], results_dir=results, show_progress=False, use_cache=False, **kw
    )  # type: ignore[arg-type]


def _run(model: Path, results: Path, **kw: object) -> list:
    """A real run: the model loads and mteb evaluates."""
    return run_evaluation(_config(model, results, **kw))


def _fake(model: Path, results: Path, fake: FakeExecutor | None = None, **kw: object) -> list:
    """A run planned and filed as a real one, evaluated by ``fake``."""
    return run_evaluation(_config(model, results, **kw), executor=fake or FakeExecutor())


def test_results_in_mteb_layout_read_back_by_mteb(
    tiny_dir: Path, tmp_path: Path, mock_tasks: list[str]
) -> None:
    import mteb

    results = tmp_path / "results"
    records = _run(tiny_dir, results)
    assert {r.task for r in records} == set(mock_tasks)
    assert all(r.status == "ran" for r in records)
    (model_dir,) = results.iterdir()
    assert model_dir.name == "local__tiny-a"
    (rev_dir,) = model_dir.iterdir()
    assert rev_dir.name.startswith("fp-")
    assert (rev_dir / "model_meta.json").is_file()
    for name in mock_tasks:
        data = json.loads((rev_dir / f"{name}.json").read_text())
        block = data["mtebkit"]
        assert block["schema_version"] == 1
        s = block["settings"]
        assert (s["pooling"], s["normalize"], s["max_length"], s["dtype"]) == (
            "mean",
            True,
            64,
            "float32",
        )
        assert s["model"] == "local/tiny-a" and len(s["weights_sha256"]) == 64

    loaded = mteb.ResultCache(cache_path=tmp_path).load_results(include_remote=False)
    (model_result,) = loaded.model_results
    assert model_result.model_name == "local/tiny-a"
    got = {tr.task_name: tr.get_score() for tr in model_result.task_results}
    want = {r.task: r.main_score for r in records}
    assert got == pytest.approx(want, abs=1e-6)


def test_rerun_skips_and_overwrite_redoes(
    tiny_dir: Path, tmp_path: Path, mock_tasks: list[str]
) -> None:
    first = _fake(tiny_dir, tmp_path, FakeExecutor(0.25))
    fake = FakeExecutor(0.75)
    second = _fake(tiny_dir, tmp_path, fake)
    assert fake.ran == [] and all(r.status == "skipped" for r in second)
    assert [r.main_score for r in second] == [r.main_score for r in first] == [0.25] * 3
    third = _fake(tiny_dir, tmp_path, fake, overwrite=True)
    assert len(fake.ran) == 3 and all(r.status == "ran" for r in third)
    assert [r.main_score for r in third] == [0.75] * 3


def test_different_settings_in_same_place_are_refused(
    tiny_dir: Path, tmp_path: Path, mock_tasks: list[str]
) -> None:
    (rec, *_) = _fake(tiny_dir, tmp_path)
    data = json.loads(rec.path.read_text())
    data["mtebkit"]["settings"]["pooling"] = "cls"  # as if another config had written it
    rec.path.write_text(json.dumps(data))
    with pytest.raises(ResultsError, match="different settings \\(pooling\\)"):
        _fake(tiny_dir, tmp_path)


@pytest.mark.parametrize("older", ["1", None])  # None: written before engine versions
def test_a_result_of_an_older_engine_is_computed_again_not_skipped(
    tiny_dir: Path, tmp_path: Path, mock_tasks: list[str], older: str | None
) -> None:
    (rec, *_) = _fake(tiny_dir, tmp_path, tasks=MOCK_TASKS[:1])
    data = json.loads(rec.path.read_text())
    if older is None:
        del data["mtebkit"]["settings"]["engine_version"]
    else:
        data["mtebkit"]["settings"]["engine_version"] = older
    data["scores"]["test"][0]["main_score"] = 0.123  # what the older engine had computed
    rec.path.write_text(json.dumps(data))
    (again,) = _fake(tiny_dir, tmp_path, tasks=MOCK_TASKS[:1])
    assert again.status == "ran" and again.main_score == rec.main_score == 0.5
    block = json.loads(rec.path.read_text())["mtebkit"]["settings"]
    assert block["engine_version"] == ENGINE_VERSION


def test_no_instruction_and_other_settings_go_to_experiment_folders(
    tiny_dir: Path, tmp_path: Path, mock_tasks: list[str]
) -> None:
    _fake(tiny_dir, tmp_path)
    recs = _fake(tiny_dir, tmp_path, use_instructions=False, max_length=32)
    assert {r.experiment for r in recs} == {"instructions_off__max_length_32"}
    assert all("experiments" in r.path.parts for r in recs)
    assert all(r.status == "ran" for r in recs)


def test_instruction_ablation_records_both(
    tiny_dir: Path, tmp_path: Path, mock_tasks: list[str]
) -> None:
    recs = run_evaluation(
        RunConfig(
            models=[str(tiny_dir)],
            results_dir=tmp_path,
            show_progress=False,
            use_cache=False,
            tasks=MOCK_TASKS,
            instruction_ablation=True,
            task_instructions={"MockRetrievalTask": "find: ", "MockRerankingTask": "find: "},
        ),
        executor=FakeExecutor(),
    )
    by = {(r.task, r.experiment) for r in recs}
    retrieval = {e for t, e in by if t == "MockRetrievalTask"}
    assert len(retrieval) == 2 and any(e and "instructions_off" in e for e in retrieval)
    sts = {e for t, e in by if t == "MockSTSTask"}
    assert len(sts) == 1  # instructions never reach STS: nothing to ablate
    on = next(
        r
        for r in recs
        if r.task == "MockRetrievalTask" and "instructions_off" not in (r.experiment or "")
    )
    assert json.loads(on.path.read_text())["mtebkit"]["settings"]["query_instruction"] == "find: "
    # a task's experiment names its own override only; a task without one keeps the default
    assert "MockRerankingTask" not in (on.experiment or "")
    assert {e for t, e in by if t == "MockSTSTask"} == {None}


def test_two_unnamed_models_never_share_results(tmp_path: Path, mock_tasks: list[str]) -> None:
    a = make_tiny_bert(tmp_path / "x" / "ckpt", seed=1)
    b = make_tiny_bert(tmp_path / "y" / "ckpt", seed=2)
    ra = _fake(a, tmp_path / "res")
    rb = _fake(b, tmp_path / "res")
    assert all(r.status == "ran" for r in rb)  # b did not pick up a's scores
    assert {r.path.parent for r in ra}.isdisjoint({r.path.parent for r in rb})
