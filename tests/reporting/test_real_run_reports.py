"""Real weights on real data: item scores, reproduction, gate and plot on STSBenchmark.

all-MiniLM-L6-v2 (shipped offline) on the mirrors in ../shared, filed by ``run_evaluation`` (the
session's one cold run, ``minilm_real_run``); the published scores are in ../shared/reference.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mtebkit.cli import main
from mtebkit.reporting._stats import statistic_for
from mtebkit.results import item_matrix, load_item_scores, load_results
from tests.helpers.real_run import RealRun

pytestmark = [pytest.mark.slow, pytest.mark.shared]


@pytest.fixture(scope="module")
def minilm_results(minilm_real_run: RealRun) -> Path:
    """The session's real run, as ``mtebkit run`` filed it (STSBenchmark among its tasks)."""
    return minilm_real_run.results


def test_items_match_mteb_and_reproduce_published(minilm_results: Path, shared_dir: Path) -> None:
    rs = load_results(minilm_results)
    (row,) = [r for r in rs.rows if r.task == "STSBenchmark"]
    items = load_item_scores(next(minilm_results.rglob("STSBenchmark.items.json.gz")))
    e = items.entry("test")
    assert len(e.gold) == len(e.scores["cosine_scores"]) == 1379
    stat = statistic_for(items.kind, items.main_metric)
    assert stat(item_matrix(items, e), np.array(e.gold)) == pytest.approx(row.main_score, abs=1e-6)
    ref = shared_dir / "reference" / "sentence-transformers__all-MiniLM-L6-v2"
    assert (
        main(
            [
                "reproduce",
                "--published",
                str(ref),
                "--results",
                str(minilm_results),
                "--model",
                "all-MiniLM-L6-v2",
                "--tolerance",
                "0.01",
            ]
        )
        == 0
    )


def test_gate_and_plot_on_real_run(minilm_results: Path, tmp_path: Path) -> None:
    base = tmp_path / "baseline.json"
    assert main(["baseline", "save", "--results", str(minilm_results), "--out", str(base)]) == 0
    assert main(["check", "--results", str(minilm_results), "--baseline", str(base)]) == 0
    assert main(["plot-similarity", "--results", str(minilm_results), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "similarity_STSBenchmark.png").is_file()
