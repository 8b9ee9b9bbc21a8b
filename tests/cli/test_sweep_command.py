"""``mtebkit sweep``: a real round trip on tiny checkpoints, and bad input as named errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mtebkit.cli import main
from tests.helpers.sweep import write_dev_sts, write_run


def _argv(tmp_path: Path, *extra: str) -> list[str]:
    return [
        "sweep",
        str(tmp_path / "out"),
        "--tasks",
        "DevSTS",
        "--tasks-path",
        str(tmp_path / "specs"),
        "--results",
        str(tmp_path / "results"),
        "--no-cache",
        *extra,
    ]


def test_sweep_chooses_on_dev_tests_the_choice_and_confirms_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Three tiny checkpoints, really evaluated: item scores give the paired tests' p-values."""
    write_run(tmp_path / "out")
    write_dev_sts(tmp_path / "specs")
    argv = _argv(tmp_path, "--select-on", "validation", "--confirm", "DevSTS", "--quiet")
    assert main(argv) == 0
    out = capsys.readouterr().out
    sweep = json.loads((tmp_path / "results" / "sweep.json").read_text())
    assert sweep["schema_version"] == 1 and sweep["split"] == "validation"
    averages = {c["step"]: c["average"] for c in sweep["candidates"]}
    assert set(averages) == {100, 200, 300} and len(set(averages.values())) == 3
    winner = max(averages, key=lambda s: averages[s])
    assert sweep["winner_step"] == winner
    assert f"chosen (*): step {winner}" in out and "on validation" in out
    others = {t["against"]: t for t in sweep["tests"]}
    assert set(others) == {"first", "last"} - ({"first"} if winner == 100 else set()) - (
        {"last"} if winner == 300 else set()
    )
    for t in others.values():
        assert 0 < t["p_value"] <= 1 and t["delta"] > 0 and t["ci_low"] <= t["ci_high"]
        assert t["split"] == "validation"
    assert set(sweep["confirm_scores"]) == {"DevSTS"}
    # the confirmation is the full task (validation and test), beside the dev-only candidates
    (confirm,) = (tmp_path / "results" / "confirm").rglob("DevSTS.json")
    assert set(json.loads(confirm.read_text())["scores"]) == {"validation", "test"}

    assert main(argv) == 0  # again: everything is done, nothing is encoded
    assert json.loads((tmp_path / "results" / "sweep.json").read_text())["winner_step"] == winner

    # the report of a sweep: curves (PNG, in the HTML too) and the step table
    reports = tmp_path / "reports"
    assert main(["report", "--results", str(tmp_path / "results"), "--out", str(reports)]) == 0
    out = capsys.readouterr().out
    assert "Checkpoint sweep" in out and "rank group" in out and "Δ vs previous" in out
    png = (reports / "sweep_curves.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    html = (reports / "leaderboard.html").read_text()
    assert "Checkpoint sweep curves" in html and f"Chosen checkpoint: step {winner}" in html
    rows = (reports / "leaderboard_checkpoint_sweep.csv").read_text().splitlines()
    assert rows[0].startswith("step,average x100,95% interval,rank group")
    assert [r.split(",")[0] for r in rows[1:]] == ["100", "200", "300"]


@pytest.mark.parametrize(
    ("setup", "extra", "message"),
    [
        ("empty", (), "no checkpoint-<step> folders"),
        ("no-model", (), "no checkpoint to evaluate (checkpoint-7: not a model"),
        ("run", ("--select-on", "dev"), "--select-on dev: 1 task(s) have no 'dev' split"),
        ("run", ("--max-polls", "2"), "max_polls needs watch"),
        ("run", ("--dry-run",), "not of a sweep"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    setup: str,
    extra: tuple[str, ...],
    message: str,
) -> None:
    (tmp_path / "out").mkdir()
    write_dev_sts(tmp_path / "specs")
    if setup == "no-model":
        (tmp_path / "out" / "checkpoint-7").mkdir()
    elif setup == "run":
        write_run(tmp_path / "out", steps=(1,))
    capsys.readouterr()  # the fixture's own output (transformers' save bar), not the command's
    assert main(_argv(tmp_path, *extra)) == 2
    err = capsys.readouterr().err
    assert err.startswith("mtebkit: error: ") and message in err
    assert "Traceback" not in err
