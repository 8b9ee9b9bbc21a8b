"""The commands that only read results: check / compare / report / reproduce (no --run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mtebkit.cli import build_parser, main
from tests.helpers.reporting.factory import sts, write_result


def test_check_refuses_another_models_baseline_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write_result(a, "org/model-a", "STS22", sts(0.7), main_metric="cosine_spearman")
    write_result(b, "org/model-b", "STS22", sts(0.7), main_metric="cosine_spearman")
    base = tmp_path / "base.json"
    assert main(["baseline", "save", "--results", str(a), "--out", str(base)]) == 0
    capsys.readouterr()
    assert main(["check", "--results", str(b), "--baseline", str(base)]) == 2
    err = capsys.readouterr().err
    assert "--allow-other-model" in err and "org/model-a" in err
    args = ["check", "--results", str(b), "--baseline", str(base), "--allow-other-model"]
    assert main(args) == 0


def test_reproduce_accepts_q_like_run() -> None:
    parser = build_parser(only="reproduce")
    args = parser.parse_args(["reproduce", "--published", "card.md", "-q"])
    assert args.quiet is True


def test_compare_lists_tasks_only_one_side_has(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    res = tmp_path / "res"
    for model in ("org/model-a", "org/model-b"):
        write_result(res, model, "STS22", sts(0.7), main_metric="cosine_spearman")
    write_result(res, "org/model-a", "STS12", sts(0.6), main_metric="cosine_spearman")
    assert main(["compare", "--results", str(res), "org/model-a", "org/model-b"]) == 0
    err = capsys.readouterr().err
    assert "left out 1 task(s) that only org/model-a has" in err and "STS12" in err


def test_report_terminal_names_long_models_by_a_legend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    res = tmp_path / "res"
    a = "sentence-transformers/all-MiniLM-L6-v2-finetuned-on-a-very-long-name-one"
    b = "sentence-transformers/all-MiniLM-L6-v2-finetuned-on-a-very-long-name-two"
    for model in (a, b):
        for task in ("STS12", "STS13", "STS14", "STS15", "STS16", "STS22"):
            write_result(res, model, task, sts(0.7), main_metric="cosine_spearman")
    out = tmp_path / "rep"
    assert main(["report", "--results", str(res), "--out", str(out), "--no-plots"]) == 0
    text = capsys.readouterr().out
    assert f"A = {a}" in text and f"B = {b}" in text


def test_hostile_task_name_is_refused_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    res = tmp_path / "res"
    path = write_result(res, "org/m", "STS22", sts(0.7), main_metric="cosine_spearman")
    data = json.loads(path.read_text())
    data["task_name"] = "../../../PWNED_traversal"
    path.write_text(json.dumps(data))
    monkeypatch.chdir(tmp_path)
    for argv in (
        ["report", "--results", str(res), "--out", "rep"],
        ["baseline", "save", "--results", str(res), "--out", "b.json"],
        ["model-card", "--results", str(res), "--out", "card.md"],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "unsafe task name" in err and str(path) in err
    assert not list(tmp_path.rglob("PWNED*"))


def test_image_file_names_are_checked_by_the_writer(tmp_path: Path) -> None:
    from mtebkit.errors import ResultsError
    from mtebkit.reporting import Image, Report

    rep = Report("r")
    rep.add(Image("x", b"png", filename="../evil.png"))
    with pytest.raises(ResultsError, match="unsafe file name"):
        rep.write(tmp_path / "out")
    assert not (tmp_path / "evil.png").exists()
