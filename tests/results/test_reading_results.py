"""Reading results folders: mtebkit's, mteb's, pre-1.11 files, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mtebkit.cli import main
from mtebkit.errors import ResultsError
from mtebkit.results import ResultsWarning, canonical_metric, load_results, metric_value
from tests.helpers.reporting.factory import settings, sts, write_result


def test_metric_aliases() -> None:
    assert canonical_metric("cos_sim_spearman") == "cosine_spearman"
    assert canonical_metric("cos_sim_ap") == "cosine_ap"
    assert canonical_metric("map") == "map_at_1000"
    assert metric_value({"cos_sim_ap": 0.5}, "cosine_ap") == 0.5
    assert metric_value({"map": 0.3}, "max_over_subqueries_map_at_1000") == 0.3
    assert metric_value({"cosine_ap": 0.4}, "cos_sim_ap") == 0.4
    assert metric_value({"cosine_ap": float("nan")}, "cosine_ap") is None
    assert metric_value({"max_ap": 0.9}, "cosine_ap") is None  # never a different metric


def test_load_mtebkit_layout_with_settings_and_meta(tmp_path: Path) -> None:
    write_result(
        tmp_path, "org/m", "STS12", sts(0.8), main_metric="cosine_spearman", settings=settings()
    )
    write_result(
        tmp_path,
        "org/m",
        "STS13",
        sts(0.7),
        main_metric="cosine_spearman",
        experiment="dtype-fp16",
        settings=settings(dtype="float16"),
    )
    rs = load_results(tmp_path)
    assert rs.models() == ["org/m"]
    assert [k.label for k in rs.runs()] == ["org/m", "org/m [dtype-fp16]"]
    row = next(r for r in rs.rows if r.task == "STS12")
    assert (row.split, row.subset, row.main_score, row.task_type) == ("test", "default", 0.8, "STS")
    assert row.settings is not None and row.settings["dtype"] == "float32"
    assert rs.model_dimension("org/m") == 384 and rs.model_max_tokens("org/m") == 512
    # several experiments: never mixed silently
    with pytest.raises(ResultsError, match="several experiments"):
        rs.run("org/m")
    assert rs.run("m", experiment="default").tasks() == ["STS12"]
    assert rs.run("org/m", experiment="dtype-fp16").tasks() == ["STS13"]


def test_same_task_two_files_different_settings_names_both(tmp_path: Path) -> None:
    a = write_result(
        tmp_path,
        "org/m",
        "STS12",
        sts(0.8),
        main_metric="cosine_spearman",
        revision="r1",
        settings=settings(max_length=512),
    )
    b = write_result(
        tmp_path,
        "org/m",
        "STS12",
        sts(0.6),
        main_metric="cosine_spearman",
        revision="r2",
        settings=settings(max_length=128),
    )
    rs = load_results(tmp_path)
    with pytest.raises(ResultsError) as err:
        rs.run("org/m")
    msg = str(err.value)
    assert str(a) in msg and str(b) in msg and "different settings" in msg
    assert rs.run("org/m", revision="r2").task_scores()["STS12"] == ("test", 0.6)


def test_corrupt_file_is_named_and_the_rest_read(tmp_path: Path) -> None:
    write_result(tmp_path, "org/m", "STS12", sts(0.8), main_metric="cosine_spearman")
    bad = tmp_path / "org__m" / "rev1" / "STS13.json"
    bad.write_text('{"task_name": "STS13", "scores": {', encoding="utf-8")
    with pytest.warns(ResultsWarning, match="STS13.json"):
        rs = load_results(tmp_path)
    assert rs.tasks() == ["STS12"]
    assert any(str(bad) in w for w in rs.warnings)


def test_empty_and_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="no mteb result files"):
        load_results(tmp_path)
    with pytest.raises(ResultsError, match="does not exist"):
        load_results(tmp_path / "nope")


def test_unknown_model_did_you_mean(tmp_path: Path) -> None:
    write_result(
        tmp_path, "BAAI/bge-small-en-v1.5", "STS12", sts(0.8), main_metric="cosine_spearman"
    )
    rs = load_results(tmp_path)
    with pytest.raises(ResultsError, match=r"Did you mean: BAAI/bge-small-en-v1\.5"):
        rs.run("bge-small-en-v15")
    assert rs.run("bge-small-en-v1.5").models() == ["BAAI/bge-small-en-v1.5"]


def test_model_card_scale_file_is_rescaled(tmp_path: Path) -> None:
    p = write_result(
        tmp_path,
        "org/m",
        "STS12",
        {"test": {"default": {"cosine_spearman": 78.5}}},
        main_metric="cosine_spearman",
        revision="external",
    )
    rs = load_results(p)
    assert rs.rows[0].main_score == pytest.approx(0.785)
    assert rs.notes and "0-100" in rs.notes[0]


def test_reference_folder_all_vintages(shared_dir: Path) -> None:
    rs = load_results(shared_dir / "reference")
    assert not rs.warnings
    assert set(rs.models()) == {
        "BAAI/bge-base-en-v1.5",
        "BAAI/bge-small-en-v1.5",
        "BAAI/bge-small-zh-v1.5",
        "sentence-transformers/all-MiniLM-L6-v2",
    }
    zh = rs.run("BAAI/bge-small-zh-v1.5")
    # pre-1.11 reranking file: mteb finds no map_at_1000; the old "map" fills the main score
    raw = json.loads(
        (
            shared_dir / "reference/BAAI__bge-small-zh-v1.5/no_revision_available/T2Reranking.json"
        ).read_text()
    )
    assert zh.task_scores()["T2Reranking"] == ("dev", pytest.approx(raw["dev"]["map"]))
    assert (
        rs.model_dimension("BAAI/bge-small-zh-v1.5") == 512
    )  # model_meta.json of a sibling revision
    # external/ (model-card export) and a real revision folder merge: different tasks
    base = rs.run("BAAI/bge-base-en-v1.5").task_scores()
    assert {"BIOSSES", "STS12"} <= set(base)
    assert base["SciFact"][0] == "test"  # test preferred over train


def test_cli_report_nonzero_on_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--results", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "no mteb result files" in capsys.readouterr().err


def test_report_rows_per_experiment_and_corrupt_file_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_result(
        tmp_path, "org/m", "STS12", sts(0.8), main_metric="cosine_spearman", settings=settings()
    )
    write_result(
        tmp_path,
        "org/m",
        "STS12",
        sts(0.7),
        main_metric="cosine_spearman",
        experiment="max_length-128",
        settings=settings(max_length=128),
    )
    (tmp_path / "org__m" / "rev1" / "STS13.json").write_text("{oops", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["report", "--results", str(tmp_path), "--out", str(out), "--no-plots"]) == 0
    captured = capsys.readouterr()
    assert "STS13.json" in captured.err and "corrupt" in captured.err
    md = (out / "leaderboard.md").read_text()
    assert "| STS12 | STS | test | cosine_spearman | **80.00** | 70.00 |" in md
    assert "org/m [max_length-128]" in md


def test_cli_refuses_conflicting_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_result(
        tmp_path,
        "org/m",
        "STS12",
        sts(0.8),
        main_metric="cosine_spearman",
        revision="r1",
        settings=settings(pooling="cls"),
    )
    write_result(
        tmp_path,
        "org/m",
        "STS12",
        sts(0.7),
        main_metric="cosine_spearman",
        revision="r2",
        settings=settings(pooling="mean"),
    )
    assert main(["report", "--results", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "r1/STS12.json" in err and "r2/STS12.json" in err and "--revision" in err
    assert (
        main(
            [
                "report",
                "--results",
                str(tmp_path),
                "--revision",
                "r2",
                "--out",
                str(tmp_path / "o"),
                "--no-plots",
            ]
        )
        == 0
    )


def test_compare_experiments_of_one_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_result(
        tmp_path, "org/m", "STS12", sts(0.8), main_metric="cosine_spearman", settings=settings()
    )
    write_result(
        tmp_path,
        "org/m",
        "STS12",
        sts(0.75),
        main_metric="cosine_spearman",
        experiment="instructions_off",
        settings=settings(query_instruction=None),
    )
    assert (
        main(
            [
                "compare",
                "--results",
                str(tmp_path),
                "org/m@default",
                "org/m@instructions_off",
                "--format",
                "markdown",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "| STS12 | test | 80.00 | 75.00 | -5.00 | - | - |" in out
    assert "| org/m [instructions_off] | 0 | 0 | 1 | 0 | 0 |" in out


def test_one_task_benchmark_report_lists_what_exists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_result(tmp_path, "org/m", "STS12", sts(0.8), main_metric="cosine_spearman")
    out = tmp_path / "out"
    argv = ["report", "--results", str(tmp_path), "--out", str(out), "--no-plots"]
    assert main([*argv, "--benchmark", "MTEB(eng, v1)"]) == 0
    md = (out / "leaderboard.md").read_text()
    assert "| STS12 |" in md
    assert "| STS13 |" not in md and "| ArguAna |" not in md  # no row of dashes per absent task
    assert "9 more task(s) of this category have no result" in md
    assert "Retrieval (15): per-task scores" not in md  # no category table without any result
    assert "and 45 more" in md  # missing tasks: named up to ten, then counted
    table = capsys.readouterr().out.split("\nwrote ")[0]
    assert "Average (56)" in table and max(len(line) for line in table.splitlines()) <= 100
    assert main(argv) == 0  # without --benchmark: the same file names
    assert (out / "leaderboard.md").is_file() and not (out / "report.md").exists()


def test_partial_runs_get_partial_averages_marked_as_such(tmp_path: Path) -> None:
    from mtebkit.reporting import aggregate_benchmark, build_report

    write_result(tmp_path, "org/m", "STS12", sts(0.80), main_metric="cosine_spearman")
    write_result(tmp_path, "org/m", "STS13", sts(0.70), main_metric="cosine_spearman")
    rs = load_results(tmp_path)
    agg = aggregate_benchmark(rs, "MTEB(eng, v1)")
    assert agg.category("STS").score is None  # never a card number from 2 of 10 tasks
    assert agg.partial_points()["STS (10)"] == (pytest.approx(75.0), 2, 10)
    rep = build_report(rs, benchmark="MTEB(eng, v1)")
    partial = next(t for t in rep.tables if "partial averages" in t.title)
    row = dict(zip(partial.columns, partial.cells()[0], strict=True))
    assert row["STS (10)"] == "75.00 (2/10)" and row["Retrieval (15)"] == "-"
    assert row["Average (56)"] == "75.00 (2/56)" and partial.note.startswith("PARTIAL")
    plain = build_report(rs)
    by_type = next(t for t in plain.tables if "by task type" in t.title)
    assert by_type.cells() == [["STS", "75.00 (2)"]]
