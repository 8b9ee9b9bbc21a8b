"""Done-when of issue 21: ``mtebkit run`` on a decoder-only sentence-transformers folder with
last-token pooling scores STSBenchmark (the real mirror) as ``mteb.evaluate`` does with
sentence-transformers' own model, to 1e-4."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.tiny_decoders import make_tiny_decoder

pytestmark = pytest.mark.slow


def test_mtebkit_run_equals_mteb_evaluate_of_sentence_transformers(
    data_dir: Path, tmp_path: Path
) -> None:
    import mteb
    from sentence_transformers import SentenceTransformer

    from mtebkit.cli import main
    from mtebkit.tasks import get_tasks

    folder = make_tiny_decoder(tmp_path / "qwen2", padding_side="left")
    results = tmp_path / "results"
    argv = ["run", "--model", str(folder), "--tasks", "STSBenchmark", "--data-dir", str(data_dir)]
    assert main([*argv, "--results", str(results), "--no-cache", "--quiet"]) == 0
    (filed,) = results.rglob("STSBenchmark.json")
    ours = json.loads(filed.read_text())["scores"]["test"][0]["main_score"]

    (task,) = get_tasks(["STSBenchmark"], data_dir=data_dir)
    st = SentenceTransformer(str(folder), device="cpu")
    res = mteb.evaluate(st, task, cache=None, show_progress_bar=False, co2_tracker=False)
    assert not res.exceptions, res.exceptions
    (tr,) = res.task_results
    assert abs(ours - float(tr.scores["test"][0]["main_score"])) <= 1e-4
