"""``mtebkit run`` end to end (tasks stubbed with mteb's own mock tasks; a tiny local model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mtebkit.cli import main
from tests.helpers.tiny_models import make_tiny_bert

MOCK_STS = "mteb.mocks.mock_tasks.sts:MockSTSTask"  # an mteb task class by import path


@pytest.fixture
def mock_sts() -> None:
    return None


def test_run_prints_the_table_and_writes_results(
    tmp_path: Path, mock_sts: None, capsys: pytest.CaptureFixture[str]
) -> None:
    model = make_tiny_bert(tmp_path / "ckpt")
    code = main(
        [
            "run",
            "--model",
            str(model),
            "--tasks",
            MOCK_STS,
            "--results",
            str(tmp_path / "results"),
            "--no-cache",
            "-q",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "MockSTSTask" in out and "main score x100" in out and "ran" in out
    assert list((tmp_path / "results").glob("local__ckpt/fp-*/MockSTSTask.json"))
    # second run: skipped
    assert (
        main(
            [
                "run",
                "--model",
                str(model),
                "--tasks",
                MOCK_STS,
                "--results",
                str(tmp_path / "results"),
                "--no-cache",
                "-q",
            ]
        )
        == 0
    )
    assert "skipped" in capsys.readouterr().out


def test_run_with_missing_model_is_a_clean_error(
    tmp_path: Path, mock_sts: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["run", "--model", "nobody/no-such-model", "--tasks", MOCK_STS, "--results", str(tmp_path)]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "not found offline" in err and "Traceback" not in err


def test_instruction_override_syntax(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--instruction", "no-equals-sign"])
    assert "TASK=INSTRUCTION" in capsys.readouterr().err
