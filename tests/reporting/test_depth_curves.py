"""Depth curves in ``mtebkit report``: results differing only in ``top_k`` form one curve."""

from __future__ import annotations

from pathlib import Path

import pytest

from mtebkit.cli import main
from mtebkit.reporting import Report, add_depth_curves, depth_curves
from mtebkit.results import load_results
from tests.helpers.reporting.factory import settings, write_result


def _retrieval(ndcg: float) -> dict[str, dict[str, dict[str, float]]]:
    return {"test": {"default": {"ndcg_at_10": ndcg, "map_at_10": ndcg - 0.1}}}


def _rr(top_k: int, model: str = "org/ce", **extra: object) -> dict[str, object]:
    return {"model": model, "revision": "r", "max_length": 512, "top_k": top_k, **extra}


@pytest.fixture
def results(tmp_path: Path) -> Path:
    root = tmp_path / "results"
    fixed = {"sha256": "ab" * 32, "format": "trec", "file": "bm25.trec"}
    fs = f"first_stage_{'ab' * 6}__"
    rows = [
        # (experiment, reranker record, ndcg): named as the plan names them
        ("rerank_top_k_10__reranker_org__ce", _rr(10), 0.50),
        ("rerank_top_k_50__reranker_org__ce", _rr(50), 0.55),
        ("rerank_top_k_100__reranker_org__ce", _rr(100), 0.54),
        ("rerank_top_k_10__reranker_org__big-ce", _rr(10, "org/big-ce"), 0.60),
        ("rerank_top_k_100__reranker_org__big-ce", _rr(100, "org/big-ce"), 0.70),
        (f"{fs}rerank_top_k_10__reranker_org__ce", _rr(10, first_stage=fixed), 0.40),
        (f"{fs}rerank_top_k_50__reranker_org__ce", _rr(50, first_stage=fixed), 0.45),
        ("rerank_top_k_20__reranker_org__third", _rr(20, "org/third"), 0.30),  # one depth
        # another embedder setting (max length): its own curve, not mixed into the first
        ("max_length_128__rerank_top_k_10__reranker_org__ce", _rr(10), 0.20),
    ]
    for exp, rr, v in rows:
        write_result(
            root,
            "org/m",
            "SciFact",
            _retrieval(v),
            main_metric="ndcg_at_10",
            experiment=exp,
            settings=settings(reranker=rr),
        )
    write_result(root, "org/m", "SciFact", _retrieval(0.45), main_metric="ndcg_at_10")
    return root


def test_curves_group_by_reranker_and_first_stage(results: Path) -> None:
    curves = {(c.first_stage, c.reranker): c for c in depth_curves(load_results(results))}
    assert set(curves) == {
        ("org/m", "org/ce"),
        ("org/m", "org/big-ce"),
        (f"bm25.trec ({'ab' * 6})", "org/ce"),
    }
    assert curves[("org/m", "org/ce")].scores == {10: 0.50, 50: 0.55, 100: 0.54}
    assert curves[("org/m", "org/big-ce")].scores == {10: 0.60, 100: 0.70}
    assert curves[(f"bm25.trec ({'ab' * 6})", "org/ce")].scores == {10: 0.40, 50: 0.45}
    assert all(c.metric == "ndcg_at_10" for c in curves.values())


def test_the_table_marks_missing_depths_and_the_best(results: Path) -> None:
    report = Report("r")
    table = add_depth_curves(report, load_results(results), plot=True)
    assert table is not None
    assert table.columns[4:] == ["top 10", "top 50", "top 100"]
    row = next(r for r in table.rows if r[1] == "org/m" and r[2] == "org/big-ce")
    assert row[4:] == [pytest.approx(60.0), None, pytest.approx(70.0)]
    ri = table.rows.index(row)
    assert (ri, 6) in table.bold and (ri, 4) not in table.bold
    image = report.items[-1]
    assert getattr(image, "png", b"")[:8] == b"\x89PNG\r\n\x1a\n"
    # no sweep, no table
    assert (
        add_depth_curves(Report("r"), load_results(results / "org__m" / "rev1" / "SciFact.json"))
        is None
    )


def test_report_cli_prints_the_curves(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["report", "--results", str(results), "--out", str(tmp_path / "rep"), "--no-plots"])
        == 0
    )
    out = capsys.readouterr().out
    assert "Reranker depth curves" in out and "top 100" in out
    md = (tmp_path / "rep" / "leaderboard.md").read_text()
    assert "| SciFact | org/m | org/big-ce | ndcg_at_10 | 60.00 | - | **70.00** |" in md
