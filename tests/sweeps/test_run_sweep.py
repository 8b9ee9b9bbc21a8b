"""``run_sweep`` on a fake executor: what is evaluated, chosen, recorded, skipped, refused.

The executor scores each checkpoint by its step (no model loads); planning and filing are the
real ones, so a second sweep's done-marking is the runner's own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mtebkit.errors import CheckpointError, ConfigError, SplitMissingError
from mtebkit.results import read_sweep_file
from mtebkit.sweeps import SweepConfig, run_sweep
from tests.helpers.sweep import StepExecutor, write_checkpoint, write_dev_sts, write_run

SCORES = {100: 0.40, 200: 0.70, 300: 0.55, 400: 0.90}


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    write_dev_sts(tmp_path / "specs")
    write_dev_sts(tmp_path / "specs", name="TestOnlySTS", splits=("test",))
    return tmp_path / "specs"


def _config(tmp_path: Path, specs: Path, **kw: object) -> SweepConfig:
    options: dict[str, object] = {
        "directory": tmp_path / "out",
        "tasks": ["DevSTS"],
        "spec_paths": [specs],
        "results_dir": tmp_path / "results",
        "use_cache": False,
        "show_progress": False,
        "select_on": "validation",
        **kw,
    }
    return SweepConfig(**options)


def test_each_checkpoint_is_filed_with_its_step_and_the_dev_best_wins(
    tmp_path: Path, specs: Path
) -> None:
    write_run(tmp_path / "out")
    fake = StepExecutor(SCORES)
    outcome = run_sweep(_config(tmp_path, specs), executor=fake)
    assert len(fake.ran) == 3
    sweep = read_sweep_file(tmp_path / "results")
    assert outcome.path == tmp_path / "results" / "sweep.json"
    assert sweep.split == "validation" and sweep.dev_selected
    assert sweep.tasks == ["DevSTS"]
    assert [(c.step, c.status, c.average) for c in sweep.candidates] == [
        (100, "evaluated", 0.40),
        (200, "evaluated", 0.70),
        (300, "evaluated", 0.55),
    ]
    assert sweep.winner_step == 200
    for c in sweep.candidates:
        assert c.model == f"local/checkpoint-{c.step}"
        result = (
            tmp_path / "results" / "candidates" / f"local__checkpoint-{c.step}" / str(c.revision)
        )
        data = json.loads((result / "DevSTS.json").read_text())
        assert list(data["scores"]) == ["validation"]  # the test split was never looked at
        assert data["mtebkit"]["settings"]["eval_splits"] == ["validation"]
    assert json.loads(outcome.path.read_text())["dev_selected"] is True


def test_a_second_sweep_evaluates_only_new_checkpoints(tmp_path: Path, specs: Path) -> None:
    write_run(tmp_path / "out")
    run_sweep(_config(tmp_path, specs), executor=StepExecutor(SCORES))
    again = StepExecutor(SCORES)
    outcome = run_sweep(_config(tmp_path, specs), executor=again)
    assert again.ran == []
    assert {r.status for recs in outcome.records.values() for r in recs} == {"skipped"}
    write_checkpoint(tmp_path / "out", 400)
    later = StepExecutor(SCORES)
    outcome = run_sweep(_config(tmp_path, specs), executor=later)
    assert later.ran == ["local/checkpoint-400 / DevSTS"]
    assert outcome.file.winner_step == 400
    assert [c.step for c in outcome.file.candidates] == [100, 200, 300, 400]


def test_watch_polls_for_new_folders_a_bounded_number_of_times(tmp_path: Path, specs: Path) -> None:
    write_run(tmp_path / "out", steps=(100, 200))
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # training saves a checkpoint while the sweep waits
        slept.append(seconds)
        if len(slept) == 1:
            write_checkpoint(tmp_path / "out", 300)

    fake = StepExecutor(SCORES)
    config = _config(tmp_path, specs, watch=30, max_polls=3)
    outcome = run_sweep(config, executor=fake, sleep=sleep)
    assert outcome.polls == 3 and slept == [30, 30]
    assert sorted(fake.ran) == [f"local/checkpoint-{s} / DevSTS" for s in (100, 200, 300)]
    assert [c.step for c in read_sweep_file(tmp_path / "results").candidates] == [100, 200, 300]


def test_a_failing_checkpoint_does_not_stop_the_sweep(tmp_path: Path, specs: Path) -> None:
    write_run(tmp_path / "out")
    seen: list[int] = []
    outcome = run_sweep(
        _config(tmp_path, specs),
        executor=StepExecutor(SCORES, fail=[200]),
        on_checkpoint=lambda c, _: seen.append(c.step),
    )
    assert seen == [100, 200, 300]
    by_step = {c.step: c for c in outcome.file.candidates}
    assert by_step[200].status == "failed" and "step 200 cannot be evaluated" in str(
        by_step[200].error
    )
    assert by_step[200].average is None
    assert outcome.file.winner_step == 300  # the best of those evaluated


def test_confirm_runs_only_on_the_winner(tmp_path: Path, specs: Path) -> None:
    write_run(tmp_path / "out")
    fake = StepExecutor(SCORES)
    outcome = run_sweep(_config(tmp_path, specs, confirm=["TestOnlySTS"]), executor=fake)
    confirm = [label for label in fake.ran if label.endswith("TestOnlySTS")]
    assert confirm == ["local/checkpoint-200 / TestOnlySTS"]
    assert outcome.file.confirm_tasks == ["TestOnlySTS"]
    assert outcome.file.confirm_scores == {"TestOnlySTS": 0.70}
    assert (tmp_path / "results" / "confirm" / "local__checkpoint-200").is_dir()


def test_a_select_split_a_task_lacks_is_refused_before_anything_runs(
    tmp_path: Path, specs: Path
) -> None:
    write_run(tmp_path / "out")
    fake = StepExecutor(SCORES)
    config = _config(tmp_path, specs, tasks=["DevSTS", "TestOnlySTS"])
    with pytest.raises(SplitMissingError, match="TestOnlySTS has test") as info:
        run_sweep(config, executor=fake)
    assert info.value.missing == {"TestOnlySTS": ["test"]}
    assert fake.ran == [] and not (tmp_path / "results").exists()


def test_without_select_on_the_choice_is_recorded_as_not_dev(tmp_path: Path, specs: Path) -> None:
    write_run(tmp_path / "out")
    outcome = run_sweep(
        _config(tmp_path, specs, select_on=None, tasks=["TestOnlySTS"]),
        executor=StepExecutor(SCORES),
    )
    assert outcome.file.split is None and not outcome.file.dev_selected
    assert outcome.file.winner_step == 200


def test_no_usable_checkpoint_is_a_named_error(tmp_path: Path, specs: Path) -> None:
    (tmp_path / "out" / "checkpoint-1").mkdir(parents=True)
    with pytest.raises(CheckpointError, match=r"checkpoint-1: not a model \(no config.json\)"):
        run_sweep(_config(tmp_path, specs), executor=StepExecutor(SCORES))
    assert not (tmp_path / "results" / "sweep.json").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"models": ["x"]}, "give directory, not models"),
        ({"splits": ["test"]}, "not both"),
        ({"max_polls": 2}, "max_polls needs watch"),
        ({"watch": 0}, "greater than 0"),
        ({"dims": [16]}, "one configuration"),
        ({"selct_on": "dev"}, "did you mean 'select_on'"),
    ],
)
def test_bad_options_are_named(
    tmp_path: Path, specs: Path, options: dict[str, object], message: str
) -> None:
    write_run(tmp_path / "out", steps=(100,))
    with pytest.raises(ConfigError, match=message):
        run_sweep(_config(tmp_path, specs, **options), executor=StepExecutor(SCORES))
