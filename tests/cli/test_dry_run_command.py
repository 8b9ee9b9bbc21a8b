"""``mtebkit run --dry-run``: the per-task table, ``--json``'s shape, and bad input (issue 20)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mtebkit.cli import main
from tests.helpers.tiny_models import make_tiny_bert


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_bert(tmp_path_factory.mktemp("tiny") / "ckpt")


def _cli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def _args(tmp_path: Path, model: Path, *extra: str) -> list[str]:
    return [
        "run",
        "--dry-run",
        "--model",
        str(model),
        "--results",
        str(tmp_path / "results"),
        "--cache-dir",
        str(tmp_path / "cache"),
        *extra,
    ]


def test_the_table_has_a_line_per_task_and_a_total(
    tmp_path: Path, tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "mirror"
    empty.mkdir()
    code, out, _ = _cli(
        capsys,
        _args(tmp_path, tiny, "--tasks", "DemoSTSEn", "STSBenchmark", "--data-dir", str(empty)),
    )
    assert code == 0
    lines = out.splitlines()
    assert "tokens" in lines[0] and "est. seconds" in lines[0] and "token source" in lines[0]
    assert any("DemoSTSEn" in x and "tokenizer" in x for x in lines)
    assert any("STSBenchmark" in x and "characters" in x for x in lines)
    assert any(x.startswith("total") and "2 jobs" in x for x in lines)
    assert "makespan on 1 worker(s)" in out and "CPU-hours" in out
    assert not (tmp_path / "results").exists()


def test_json_lines_one_per_job_then_the_total(
    tmp_path: Path, tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _cli(
        capsys,
        _args(
            tmp_path,
            tiny,
            "--tasks",
            "DemoSTSEn",
            "DemoRetrievalEn",
            "--json",
            "--ray-workers",
            "2",
            "--tokens-per-s",
            "100",
        ),
    )
    assert code == 0
    rows = [json.loads(x) for x in out.splitlines()]
    jobs, total = rows[:-1], rows[-1]["total"]
    assert [j["task"] for j in jobs] == ["DemoSTSEn", "DemoRetrievalEn"]
    fields = {"task", "splits", "texts", "distinct_texts", "tokens", "token_source", "cached"}
    assert all(fields | {"estimated_seconds"} <= set(j) for j in jobs)
    for name in ("texts", "distinct_texts", "tokens", "cached"):
        assert total[name] == sum(j[name] for j in jobs)
    assert all(j["estimated_seconds"] == pytest.approx(j["tokens"] / 100, abs=1e-3) for j in jobs)
    assert total["workers"] == 2 and total["tokens_per_s"] == 100
    # two jobs on two workers: the longer one is the makespan
    assert total["makespan_seconds"] == pytest.approx(max(j["estimated_seconds"] for j in jobs))
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (["--tasks", "DemoSTSEnn"], "did you mean"),
        (["--benchmark", "MTEB(cmn, v9)"], "MTEB(cmn, v1)"),
    ],
)
def test_unknown_task_or_benchmark_is_a_named_error(
    tmp_path: Path,
    tiny: Path,
    capsys: pytest.CaptureFixture[str],
    selection: list[str],
    expected: str,
) -> None:
    code, _, err = _cli(capsys, _args(tmp_path, tiny, *selection))
    assert code == 2 and err.startswith("mtebkit: error: ")
    assert expected.lower() in err.lower()
    assert not (tmp_path / "results").exists()


def test_a_model_without_a_tokenizer_is_a_named_error(
    tmp_path: Path, tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = tmp_path / "bare"
    shutil.copytree(tiny, bare)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        (bare / name).unlink(missing_ok=True)
    code, _, err = _cli(capsys, _args(tmp_path, bare, "--tasks", "DemoSTSEn"))
    assert code == 2 and "no tokenizer" in err


def test_json_without_dry_run_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(capsys, ["run", "--json", "--tasks", "DemoSTSEn"])
    assert code == 2 and "--dry-run" in err
