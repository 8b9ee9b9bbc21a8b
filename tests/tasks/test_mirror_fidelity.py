"""Mirror fidelity: a mirrored task's data against mteb's stored statistics, and the gate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mtebkit.reporting import ReproduceReport, ReproduceRow
from mtebkit.tasks import MirrorFidelity, mirror_fidelity, mirror_fidelity_of
from mtebkit.tasks._fidelity import compare_fields, stored_fields

STS_STATS: dict[str, Any] = {
    "num_samples": 3,
    "number_of_characters": 30,
    "unique_pairs": 3,
    "text1_statistics": {"total_text_length": 12, "unique_texts": 3},
    "text2_statistics": {"total_text_length": 18, "unique_texts": 3},
    "image1_statistics": None,
    "label_statistics": {"min_score": 0.0},
}


def test_stored_fields_picks_counts_and_text_lengths() -> None:
    assert stored_fields(STS_STATS) == {"rows": 3, "text1": 12, "text2": 18}
    retrieval = {
        "num_samples": 7,
        "num_documents": 5,
        "num_queries": 2,
        "documents_text_statistics": {"total_text_length": 100},
        "queries_text_statistics": {"total_text_length": 20},
        "relevant_docs_statistics": {"num_relevant_docs": 3},
    }
    assert stored_fields(retrieval) == {
        "documents": 5,
        "queries": 2,
        "documents_text": 100,
        "queries_text": 20,
    }


def test_exact_near_approximate_unknown() -> None:
    exact = compare_fields(STS_STATS, {"rows": 3, "text1": 12, "text2": 18}, "test")
    assert exact.level == "exact" and "(test)" in exact.reason
    # 20 000 characters, 1 short: 0.005% <= 0.05%
    big = {"num_samples": 3, "text_statistics": {"total_text_length": 20_000}}
    near = compare_fields(big, {"rows": 3, "text": 19_999})
    assert near == MirrorFidelity("near", "text characters -1 of 20,000 (-0.005%)")
    # 0.1% off: approximate (SummEval-like)
    far = compare_fields(big, {"rows": 3, "text": 20_020})
    assert far.level == "approximate" and far.reason.startswith("text characters +20 of 20,000")
    # a row missing is approximate however close the characters are
    rows = compare_fields(STS_STATS, {"rows": 2, "text1": 12, "text2": 18})
    assert rows == MirrorFidelity("approximate", "2 of 3 rows")
    # the worst field decides: text2 is 2/18 off even though text1 is equal
    assert compare_fields(STS_STATS, {"rows": 3, "text1": 12, "text2": 20}).level == "approximate"
    assert compare_fields({}, {"rows": 3}).level == "unknown"
    assert compare_fields({"label_statistics": {}}, {"rows": 3}).level == "unknown"


def test_mirror_fidelity_on_a_task_with_hand_made_stats(monkeypatch: pytest.MonkeyPatch) -> None:
    import mteb
    from datasets import Dataset, DatasetDict

    task = mteb.get_task("STSBenchmark")
    stats = {"test": STS_STATS}
    monkeypatch.setattr(type(task.metadata), "descriptive_stats", property(lambda self: stats))
    data = {"sentence1": ["aaaa"] * 3, "sentence2": ["bbbbbb"] * 3, "score": [1.0, 2.0, 3.0]}
    task.dataset = DatasetDict({"test": Dataset.from_dict(data)})
    assert mirror_fidelity(task).level == "exact"
    data["sentence2"] = ["bbbbbbb"] * 3  # 21 characters for 18
    task.dataset = DatasetDict({"test": Dataset.from_dict(data)})
    assert mirror_fidelity(task) == MirrorFidelity(
        "approximate", "text2 characters +3 of 18 (+17%) (test)"
    )
    task.dataset = DatasetDict({"train": Dataset.from_dict(data)})
    assert mirror_fidelity(task) == MirrorFidelity("approximate", "split test missing")
    stats.clear()
    assert mirror_fidelity(task).level == "unknown"


def _report(level: str, *, strict: bool = False) -> ReproduceReport:
    rows = (
        ReproduceRow("SummEval", "test", "default", "cosine_spearman", 0.308, 0.3158),
        ReproduceRow("STSBenchmark", "test", "default", "cosine_spearman", 0.82, 0.82),
    )
    fidelity = {
        "SummEval": MirrorFidelity(level, "text characters +762 of 210,035 (+0.36%)"),  # type: ignore[arg-type]
        "STSBenchmark": MirrorFidelity("exact", "rows equal"),
    }
    return ReproduceReport("m", 0.01, rows, (), fidelity=fidelity, strict_mirror=strict)


def test_gate_skips_an_approximate_row_unless_strict() -> None:
    rep = _report("approximate")
    assert rep.passed and [r.task for r in rep.ungated] == ["SummEval"] and not rep.failures
    assert "1 not gated (mirror differs from the published data: SummEval (+0.78)" in rep.summary()
    cells = {row[0]: row[-1] for row in rep.table().rows}
    assert cells["SummEval"] == (
        "approximate: mirror differs from the published data (text characters +762 of 210,035 (+0.36%))"
    )
    assert cells["STSBenchmark"] == "exact"
    strict = _report("approximate", strict=True)
    assert not strict.passed and "off: SummEval (+0.78)" in strict.summary()
    for level in ("exact", "near", "unknown"):  # these gate as before
        assert not _report(level).passed


def test_no_fidelity_keeps_the_table() -> None:
    rep = ReproduceReport("m", 0.01, _report("exact").rows, ())
    assert "Mirror" not in rep.table().columns and not rep.passed


def test_real_mirror_summeval_approximate_stsbenchmark_exact(data_dir: Path) -> None:
    got = mirror_fidelity_of(["SummEval", "STSBenchmark", "STS16", "NoSuchTask"], data_dir)
    assert got["SummEval"].level == "approximate"
    assert got["SummEval"].reason.startswith("text characters +762 of 210,035")
    assert got["STSBenchmark"].level == "exact"
    assert got["STS16"].level == "near"
    assert got["NoSuchTask"].level == "unknown"
