"""Benchmark aggregation reproduces the bge model cards' tables from their per-task scores."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from mtebkit import aggregate_benchmark
from mtebkit.errors import ResultsError
from mtebkit.reporting._aggregate import get_benchmark_spec
from mtebkit.results import ResultSet, load_model_card, load_results
from tests.helpers.reporting.factory import CARD

# The table in the bge-base-en-v1.5 card (card points, 0-100).
CARD_TABLE = {
    "Average (56)": 63.55,
    "Retrieval (15)": 53.25,
    "Clustering (11)": 45.77,
    "Pair Classification (3)": 86.55,
    "Reranking (4)": 58.86,
    "STS (10)": 82.4,
    "Summarization (1)": 31.07,
    "Classification (12)": 75.53,
}


@pytest.fixture(scope="module")
def card() -> ResultSet:
    return load_model_card(CARD)


def test_spec_matches_mteb_task_counts() -> None:
    en = get_benchmark_spec("MTEB(eng, v1)")
    assert len(en.tasks) == 56
    assert [en.header(c) for c in en.categories] == list(CARD_TABLE)[1:]
    assert en.header(None) == "Average (56)"
    msmarco = next(t for t in en.tasks if t.name == "MSMARCO")
    assert msmarco.splits == ("dev",)
    sts17 = next(t for t in en.tasks if t.name == "STS17")
    assert sts17.subsets == ("en-en",)
    cqa = next(t for t in en.tasks if t.name == "CQADupstackRetrieval")
    assert len(cqa.components) == 12
    zh = get_benchmark_spec("C-MTEB")
    assert zh.name == "MTEB(cmn, v1)" and len(zh.tasks) == 31
    assert [zh.header(c) for c in zh.categories] == [
        "Retrieval",
        "STS",
        "PairClassification",
        "Classification",
        "Reranking",
        "Clustering",
    ]


def test_unknown_benchmark_suggests() -> None:
    from mtebkit import UnknownNameError

    with pytest.raises(UnknownNameError, match="Did you mean"):
        get_benchmark_spec("MTEB(eng, v2x)")
    # a benchmark mteb knows, but the card table layout does not
    with pytest.raises(ResultsError, match="no model-card table layout"):
        get_benchmark_spec("MTEB(eng, v2)")


def test_card_table_reproduced_from_card_per_task_scores(card: ResultSet) -> None:
    assert len(card.rows) == 68
    agg = aggregate_benchmark(card, "MTEB(eng, v1)")
    assert agg.complete
    got = agg.as_points()
    for header, expected in CARD_TABLE.items():
        assert got[header] == pytest.approx(expected, abs=0.01), header


def test_pair_classification_uses_cosine_ap_like_the_card(card: ResultSet) -> None:
    card_conv = aggregate_benchmark(card, "MTEB(eng, v1)").category("PairClassification").score
    mteb_conv = (
        aggregate_benchmark(card, "MTEB(eng, v1)", metrics="mteb")
        .category("PairClassification")
        .score
    )
    assert card_conv is not None and mteb_conv is not None
    assert 100 * card_conv == pytest.approx(86.55, abs=0.005)
    assert abs(100 * mteb_conv - 86.55) > 0.005  # max_ap would not reproduce the card


def test_cqadupstack_from_its_12_forums(card: ResultSet) -> None:
    without = ResultSet(rows=[r for r in card.rows if r.task != "CQADupstackRetrieval"])
    agg = aggregate_benchmark(without, "MTEB(eng, v1)")
    pre = aggregate_benchmark(card, "MTEB(eng, v1)")
    assert agg.task("CQADupstackRetrieval").score == pytest.approx(
        pre.task("CQADupstackRetrieval").score, abs=1e-4
    )
    assert any("12 component tasks" in n for n in agg.notes)
    # one forum missing: the task, its category and the average are incomplete
    fewer = ResultSet(rows=[r for r in without.rows if r.task != "CQADupstackTexRetrieval"])
    agg = aggregate_benchmark(fewer, "MTEB(eng, v1)")
    ts = agg.task("CQADupstackRetrieval")
    assert ts.score is None and any("CQADupstackTexRetrieval" in m for m in ts.missing)


def test_missing_task_makes_only_its_category_incomplete(card: ResultSet) -> None:
    rows = [r for r in card.rows if r.task != "SummEval" and r.task != "STS22"]
    agg = aggregate_benchmark(ResultSet(rows=rows), "MTEB(eng, v1)")
    assert agg.average is None and not agg.complete
    assert agg.category("Summarization").score is None
    assert agg.category("STS").missing_tasks == ("STS22",)
    assert agg.category("Retrieval").complete
    assert 100 * agg.category("Retrieval").score == pytest.approx(53.25, abs=0.01)
    assert sorted(agg.missing_tasks) == ["STS22", "SummEval"]


def test_wrong_subset_is_missing_not_averaged(card: ResultSet) -> None:
    # STS17 must be read on en-en: a result only for another subset does not count
    rows = [replace(r, subset="ko-ko") if r.task == "STS17" else r for r in card.rows]
    agg = aggregate_benchmark(ResultSet(rows=rows), "MTEB(eng, v1)")
    assert agg.task("STS17").score is None
    assert "subset en-en" in agg.task("STS17").missing[0]


def test_cmteb_reranking_from_published_pre_1_11_files(shared_dir: Path) -> None:
    rs = load_results(shared_dir / "reference" / "BAAI__bge-small-zh-v1.5")
    agg = aggregate_benchmark(rs, "C-MTEB")
    # the four reranking tasks are all published (old "map" metric); the card says 60.92
    rer = agg.category("Reranking")
    assert rer.complete and rer.score is not None
    assert 100 * rer.score == pytest.approx(60.92, abs=0.01)
    assert agg.average is None and "Ocnli" in agg.category("PairClassification").missing_tasks


def test_real_card_file_parses(shared_dir: Path) -> None:
    rs = load_model_card(shared_dir / "modelcards" / "bge-base-en-v1.5" / "README.md")
    assert len(rs.rows) == 68
    assert aggregate_benchmark(rs).as_points()["Average (56)"] == pytest.approx(63.55, abs=0.01)


def test_aggregate_accepts_mteb_task_results(shared_dir: Path) -> None:
    from mteb.results import TaskResult

    folder = shared_dir / "reference" / "BAAI__bge-small-zh-v1.5" / "no_revision_available"
    results = [TaskResult.from_disk(p) for p in sorted(folder.glob("*.json"))]
    agg = aggregate_benchmark(results, "MTEB(cmn, v1)")
    from_folder = aggregate_benchmark(load_results(folder), "MTEB(cmn, v1)")
    assert agg.category("Reranking").score == pytest.approx(from_folder.category("Reranking").score)
    assert agg.task("CmedqaRetrieval").score == pytest.approx(0.35111)
