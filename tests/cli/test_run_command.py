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


def _run_zh(tmp_path: Path, *extra: str) -> None:
    model = make_tiny_bert(tmp_path / "ckpt", st_config={"pooling": "mean", "max_length": 32})
    args = ["run", "--model", str(model), "--tasks", "DemoSTSZh", "DemoSTSEn", "--max-length"]
    args += ["32", "--results", str(tmp_path / "results"), "--no-cache", "-q", *extra]
    assert main(args) == 0


def test_an_english_only_model_on_a_chinese_task_gets_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the MiniLM preset declares eng-Latn only; DemoSTSZh is cmn-Hans
    _run_zh(tmp_path, "--preset", "sentence-transformers/all-MiniLM-L6-v2")
    notes = [line for line in capsys.readouterr().out.splitlines() if "declares" in line]
    assert len(notes) == 1 and "DemoSTSZh is cmn-Hans" in notes[0], notes
    assert "eng-Latn only" in notes[0]
    # skipped on a re-run: the note still comes, from the model_meta.json beside the results
    _run_zh(tmp_path, "--preset", "sentence-transformers/all-MiniLM-L6-v2")
    assert sum("declares" in line for line in capsys.readouterr().out.splitlines()) == 1


def test_a_model_with_no_declared_languages_gets_no_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run_zh(tmp_path)
    assert "declares" not in capsys.readouterr().out


def test_macrolanguage_zho_matches_mandarin() -> None:
    from mtebkit.cli._run import language_mismatch

    assert not language_mismatch(["zho-Hans"], ["cmn-Hans"])
    assert language_mismatch(["eng-Latn"], ["cmn-Hans", "zho-Hans"])
    assert not language_mismatch([], ["cmn-Hans"])
