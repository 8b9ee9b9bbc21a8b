"""Finding a training run's checkpoints: steps, and every kind of folder that is not one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mtebkit.errors import CheckpointError
from mtebkit.sweeps import find_checkpoints
from tests.helpers.sweep import write_checkpoint


def test_checkpoints_by_step_in_number_order(tmp_path: Path) -> None:
    for step in (1000, 200, 30):
        write_checkpoint(tmp_path, step)
    (tmp_path / "runs").mkdir()  # a trainer's log folder is not a candidate
    found = find_checkpoints(tmp_path)
    assert [c.step for c in found.checkpoints] == [30, 200, 1000]
    assert [c.path.name for c in found.checkpoints] == [
        "checkpoint-30",
        "checkpoint-200",
        "checkpoint-1000",
    ]
    assert found.skipped == ()


def test_an_empty_or_missing_folder_is_a_named_error(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="no checkpoint-<step> folders"):
        find_checkpoints(tmp_path)
    with pytest.raises(CheckpointError, match="no such folder"):
        find_checkpoints(tmp_path / "absent")
    with pytest.raises(CheckpointError, match="no folders matching 'step-\\*'"):
        find_checkpoints(tmp_path, glob="step-*")


def test_folders_that_are_not_checkpoints_are_named_skips(tmp_path: Path) -> None:
    write_checkpoint(tmp_path, 100)
    write_checkpoint(tmp_path, 200)
    write_checkpoint(tmp_path, 300)
    not_model = tmp_path / "checkpoint-400"
    not_model.mkdir()
    (not_model / "notes.txt").write_text("optimizer state only")
    (write_checkpoint(tmp_path, 500) / "model.safetensors").unlink()
    write_checkpoint(tmp_path, 600)
    (tmp_path / "checkpoint-600" / "trainer_state.json").write_text(json.dumps({"global_step": 60}))
    other = write_checkpoint(tmp_path, 700)
    config = json.loads((other / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**config, "num_hidden_layers": 3}))

    found = find_checkpoints(tmp_path)
    assert [c.step for c in found.checkpoints] == [100, 200, 300]
    reasons = {s.path.name: s.reason for s in found.skipped}
    assert reasons["checkpoint-400"] == "not a model (no config.json)"
    assert reasons["checkpoint-500"].startswith("no weights")
    assert reasons["checkpoint-600"] == "step 600 in its name, global_step 60 in trainer_state.json"
    assert reasons["checkpoint-700"].startswith("another architecture (")
    assert "num_hidden_layers=3" in reasons["checkpoint-700"]
    assert "num_hidden_layers=2" in reasons["checkpoint-700"]


def test_a_glob_reads_the_step_from_the_name_or_the_trainer_state(tmp_path: Path) -> None:
    write_checkpoint(tmp_path / "a", 5)
    (tmp_path / "a" / "checkpoint-5").rename(tmp_path / "a" / "step5")
    write_checkpoint(tmp_path / "a", 9)
    (tmp_path / "a" / "checkpoint-9").rename(tmp_path / "a" / "best")
    write_checkpoint(tmp_path / "a", 11, state=False)
    (tmp_path / "a" / "checkpoint-11").rename(tmp_path / "a" / "final")
    found = find_checkpoints(tmp_path, glob="a/*")
    assert [(c.step, c.path.name) for c in found.checkpoints] == [(5, "step5"), (9, "best")]
    (skip,) = found.skipped
    assert skip.path.name == "final" and skip.reason.startswith("no step")


def test_two_folders_of_one_step_are_refused(tmp_path: Path) -> None:
    write_checkpoint(tmp_path / "run-a", 100)
    write_checkpoint(tmp_path / "run-b", 100)
    with pytest.raises(CheckpointError, match="several checkpoints of one step") as info:
        find_checkpoints(tmp_path, glob="*/checkpoint-*")
    assert "run-a" in str(info.value) and "run-b" in str(info.value)
