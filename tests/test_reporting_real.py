"""Real weights on real data: item scores, reproduction, gate and plot on STSBenchmark.

all-MiniLM-L6-v2 (shipped offline) on the STSBenchmark mirror in ../shared, filed exactly as
``mtebkit run`` files it; the published score is in ../shared/reference.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from mtebkit.cli import main
from mtebkit.evaluation._two_stage import evaluate_one
from mtebkit.reporting._stats import statistic_for
from mtebkit.results import load_item_scores, load_results
from mtebkit.results._item_scores import item_matrix, item_scores_path, save_item_scores

pytestmark = [pytest.mark.slow, pytest.mark.shared]


@pytest.fixture(scope="module")
def minilm_results(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    mteb = pytest.importorskip("mteb")
    from mtebkit import Embedder
    from mtebkit.results import write_task_result

    root = tmp_path_factory.mktemp("results")
    task = mteb.get_task("STSBenchmark")
    ds = task.metadata.dataset
    mirror = shared_dir / "data" / "hf" / ds["path"]
    task.metadata = task.metadata.model_copy(
        update={"dataset": {"path": str(mirror), "revision": ds["revision"]}}
    )
    task.load_data()
    emb = Embedder("sentence-transformers/all-MiniLM-L6-v2")
    pred = Path(tempfile.mkdtemp(prefix="mtebkit-test-pred-"))
    try:
        result = evaluate_one(emb, task, encode_kwargs={}, prediction_folder=pred)
        path = write_task_result(root, emb.mteb_model_meta, result, emb.settings_record())
        save_item_scores(
            task,
            pred / "STSBenchmark_predictions.json",
            item_scores_path(path.parent, "STSBenchmark"),
        )
    finally:
        shutil.rmtree(pred, ignore_errors=True)
    return root


def test_items_match_mteb_and_reproduce_published(minilm_results: Path, shared_dir: Path) -> None:
    rs = load_results(minilm_results)
    (row,) = rs.rows
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
