"""Reports, plots and comparisons over results filed exactly as ``mtebkit run`` files them."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from mtebkit.cli import main
from mtebkit.reporting import (
    Table,
    best_thresholds,
    build_report,
    collect_distributions,
    compare_runs,
)
from mtebkit.results import load_model_card, load_results
from tests.helpers.lazy import skip_unless_installed
from tests.helpers.reporting.factory import CARD

skip_unless_installed("mteb")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.helpers.reporting.synthetic import make_run

    root = tmp_path_factory.mktemp("results")
    make_run(root, "org/good", noise=0.1)
    make_run(root, "org/bad", noise=0.8)
    return root


def test_best_thresholds_hand_computed() -> None:
    # scores: pos 0.9, 0.7, 0.4; neg 0.8, 0.3. Cut below 0.4 -> TP 3, FP 1: F1 = 6/7, acc = 4/5;
    # below 0.7 -> TP 2, FP 1: F1 = 4/6; below 0.9 -> TP 1: acc = 3/5. The threshold is mteb's
    # midpoint of the two scores around the cut: (0.4 + 0.3) / 2.
    th = best_thresholds([0.9, 0.7, 0.4], [0.8, 0.3])
    assert (th.f1_threshold, th.max_f1) == (pytest.approx(0.35), pytest.approx(6 / 7))
    assert (th.accuracy_threshold, th.max_accuracy) == (pytest.approx(0.35), pytest.approx(0.8))
    # perfectly separable
    th = best_thresholds([0.8, 0.9], [0.1, 0.2])
    assert th.max_f1 == 1.0 and th.max_accuracy == 1.0 and th.f1_threshold == pytest.approx(0.5)


def test_table_renderings() -> None:
    t = Table(["Model", "Score"], [["a_b", 12.3456], ["c|d", None]], title="T & 100%")
    assert "| a_b | 12.35 |" in t.to_markdown() and "c\\|d" in t.to_markdown()
    rows = list(csv.reader(io.StringIO(t.to_csv())))
    assert rows[1] == ["a_b", "12.3456"] and rows[2] == ["c|d", ""]
    tex = t.to_latex()
    assert r"a\_b" in tex and r"T \& 100\%" in tex
    assert t.to_dataframe()["Score"].iloc[0] == 12.3456
    assert '<td class="num">12.35</td>' in t.to_html()


def test_card_leaderboard_in_card_format(tmp_path: Path) -> None:
    rep = build_report(load_model_card(CARD), benchmark="MTEB(eng, v1)")
    board = rep.tables[0]
    assert board.columns == [
        "Model Name",
        "Dimension",
        "Sequence Length",
        "Average (56)",
        "Retrieval (15)",
        "Clustering (11)",
        "Pair Classification (3)",
        "Reranking (4)",
        "STS (10)",
        "Summarization (1)",
        "Classification (12)",
    ]
    md = board.to_markdown()
    assert (
        "| bge-base-en-v1.5 | - | - | 63.55 | 53.25 | 45.77 | 86.55 | 58.86 | 82.40 | 31.07 | 75.53 |"
        in md
    )
    frames = rep.to_dataframes()
    assert frames["MTEB(eng, v1) leaderboard"].loc[0, "Average (56)"] == pytest.approx(
        63.55, abs=0.01
    )
    assert len(rep.tables) == 8  # leaderboard + 7 category tables (complete: no coverage table)


def test_cmteb_headers(shared_dir: Path) -> None:
    rs = load_results(shared_dir / "reference" / "BAAI__bge-small-zh-v1.5")
    board = build_report(rs, benchmark="C-MTEB").tables[0]
    assert board.columns == [
        "Model",
        "Embedding dimension",
        "Avg",
        "Retrieval",
        "STS",
        "PairClassification",
        "Classification",
        "Reranking",
        "Clustering",
    ]
    (row,) = board.rows
    assert row[1] == 512 and row[2] is None and row[7] == pytest.approx(60.915, abs=0.01)
    assert "missing tasks" in board.note


def test_report_cli_self_contained_html(runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    assert main(["report", "--results", str(runs), "--out", str(out)]) == 0
    page = (out / "leaderboard.html").read_text()
    assert page.count("data:image/png;base64,") == 2  # one plot per task with item scores
    assert not re.search(r"(src|href)=\"(https?:)?//", page) and "<script" not in page
    assert "org/good" in page and "Best separating thresholds" in page
    table = list(csv.reader((out / "leaderboard_per_task_scores.csv").open()))
    assert table[0][:4] == ["Task", "Type", "Split", "Metric"]
    good = load_results(runs).run("org/good").task_scores()["SyntheticSTS"][1]
    col = table[0].index("org/good")
    sts_row = next(r for r in table if r[0] == "SyntheticSTS")
    assert float(sts_row[col]) == pytest.approx(100 * good)
    assert (out / "similarity_SyntheticSTS.png").read_bytes()[:4] == b"\x89PNG"


def test_plot_similarity_cli(
    runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "plot-similarity",
                "--results",
                str(runs),
                "--task",
                "SyntheticSTS",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    assert (tmp_path / "similarity_SyntheticSTS.png").stat().st_size > 1000
    out = capsys.readouterr().out
    assert "Max F1" in out and "org/good" in out
    dists = {d.label: d for d in collect_distributions(load_results(runs), "SyntheticSTS")}
    # the less noisy encoder separates positives from negatives better
    assert dists["org/good"].thresholds.max_f1 > dists["org/bad"].thresholds.max_f1
    assert (
        main(["plot-similarity", "--results", str(runs), "--task", "Nope", "--out", str(tmp_path)])
        == 2
    )


def test_compare_significant_losses(
    runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rs = load_results(runs)
    cmp = compare_runs(
        [("good", rs.run("org/good")), ("bad", rs.run("org/bad"))], method="both", n_resamples=200
    )
    assert cmp.record("bad") == (0, 0, 2, 0, 2)
    for task in ("SyntheticSTS", "SyntheticRetrieval"):
        c = cmp.cells[("bad", task)]
        assert c.delta is not None and c.delta < 0
        assert {t.method for t in c.tests} == {"paired bootstrap", "randomisation"}
        boot = c.tests[0]
        assert boot.ci_high is not None and boot.ci_high < 0
        assert boot.delta == pytest.approx(
            c.delta / 100, abs=1e-4
        )  # the test's delta is the score delta
    # the same run against itself: no difference, p = 1
    same = compare_runs(
        [("a", rs.run("org/good")), ("b", rs.run("org/good"))], method="randomisation"
    )
    assert all(t.p_value == 1.0 for c in same.cells.values() for t in c.tests)
    out = tmp_path / "cmp"
    assert (
        main(
            [
                "compare",
                "--results",
                str(runs),
                "org/good",
                "org/bad",
                "--resamples",
                "100",
                "--out",
                str(out),
                "--format",
                "markdown",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "| org/bad | 0 | 0 | 2 | 0 | 2 |" in text
    assert (out / "comparison.html").is_file()


def test_compare_folders_and_benchmark(
    shared_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = shared_dir / "reference"
    assert (
        main(
            [
                "compare",
                str(ref / "BAAI__bge-small-en-v1.5"),
                str(ref / "BAAI__bge-base-en-v1.5"),
                "--benchmark",
                "MTEB(eng, v1)",
                "--wide",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Average (56)" in out and "Δ BAAI/bge-base-en-v1.5" in out
    assert main(["compare", str(ref / "BAAI__bge-small-en-v1.5")]) == 2
    capsys.readouterr()
    assert main(["compare", str(ref), str(ref / "BAAI__bge-base-en-v1.5")]) == 2
    assert "compare them by name" in capsys.readouterr().err


def test_similarity_figure_for_a_paper(runs: Path, tmp_path: Path) -> None:
    import struct

    from mtebkit.reporting._plots import similarity_figure, similarity_plot

    dists = collect_distributions(load_results(runs), "SyntheticSTS")
    assert len(dists) == 2  # two panels + the overlay
    fig = similarity_plot(dists)
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        assert ax.get_ylabel().startswith("density")
        legend = ax.get_legend()
        # the legend sits below the axes: it hides no data
        assert legend.get_window_extent(renderer).y1 <= ax.get_window_extent(renderer).y0
    assert len(fig.axes[-1].get_legend().get_texts()) == 4  # both models, + and -
    png = similarity_figure(dists)
    width, height = struct.unpack(">II", png[16:24])
    assert width >= 3 * 700 and height >= 550
    for fmt, magic in (("svg", b"<?xml"), ("pdf", b"%PDF")):
        argv = ["plot-similarity", "--results", str(runs), "--task", "SyntheticSTS"]
        assert main([*argv, "--out", str(tmp_path), "--format", fmt]) == 0
        data = (tmp_path / f"similarity_SyntheticSTS.{fmt}").read_bytes()
        assert data.startswith(magic)
    assert b"density" in (tmp_path / "similarity_SyntheticSTS.svg").read_bytes()  # text stays text
