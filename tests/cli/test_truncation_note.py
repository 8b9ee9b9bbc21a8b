"""The run table and the report note heavy truncation (the encoding record of each result)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mtebkit.models import EncodingStats
from mtebkit.results import (
    encoding_of,
    load_results,
)


def _record(truncated_docs: int, docs: int = 100) -> dict[str, Any]:
    stats = EncodingStats()
    stats.tally("query").forwarded(10, 100, 0, 1.0)
    stats.tally("document").forwarded(docs, 5000, truncated_docs, 2.0)
    return stats.as_dict(devices=["cpu"], dtype="float32")


def test_heavy_truncation_gets_a_note_in_the_run_table_and_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mtebkit.cli._run import _print_table
    from mtebkit.evaluation import TaskRecord
    from mtebkit.reporting import build_report
    from tests.helpers.reporting.factory import write_result

    records = []
    for task, cut in (("SciFact", 12), ("NFCorpus", 1)):
        path = write_result(
            tmp_path,
            "org/m",
            task,
            {"test": {"default": {"ndcg_at_10": 0.5}}},
            main_metric="ndcg_at_10",
        )
        data = json.loads(path.read_text())
        data["mtebkit"] = {"schema_version": 1, "settings": {}}
        data["mtebkit"]["provenance"] = {"encoding": _record(cut)}
        path.write_text(json.dumps(data))
        records.append(
            TaskRecord(
                "org/m", None, task, "test", "default", 0.5, 1.0, "ran", path, encoding_of(path)
            )
        )
    _print_table(records)
    out = capsys.readouterr().out
    assert "q 0.0% d 12.0%" in out and "1,700" in out
    (note,) = [line for line in out.splitlines() if line.startswith("note:")]
    assert "org/m / SciFact: 12.0% of documents (12 of 100)" in note
    report = build_report(load_results(tmp_path))
    (table,) = [t for t in report.tables if t.title.startswith("Truncation")]
    assert [row[4] for row in table.rows] == ["q 0.0% d 1.0%", "q 0.0% d 12.0%"]
    assert "SciFact" in table.note and "NFCorpus" not in table.note
