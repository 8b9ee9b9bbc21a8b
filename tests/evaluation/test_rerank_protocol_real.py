"""The reranker protocol end to end with real vectors: all-MiniLM-L6-v2 retrieves on the demo
retrieval task, a tiny cross-encoder reranks (issue 11, item 5: a sweep's cuts equal plain
two-stage runs; mteb predictions as fixed candidates equal the embedder's own stage 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mtebkit.cli import main
from tests.helpers.tiny_models import build_tiny_ce

TASK = "DemoRetrievalEn"


def _run(results: Path, *extra: str) -> int:
    return main(["run", "--tasks", TASK, "--results", str(results), "-q", *extra])


def _row(path: Path) -> dict[str, object]:
    (row,) = json.loads(path.read_text())["scores"]["test"]
    return {k: v for k, v in row.items() if "time" not in k and k != "previous_results_model_meta"}


@pytest.mark.slow
def test_sweep_cuts_and_fixed_candidates_equal_plain_runs_with_minilm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MTEBKIT_CACHE_DIR", str(tmp_path / "cache"))  # MiniLM encodes once
    ce = str(build_tiny_ce(tmp_path / "ce", seed=12))
    sweep, plain, preds = tmp_path / "sweep", tmp_path / "plain", tmp_path / "preds"
    assert _run(sweep, "--reranker", ce, "--rerank-top-k", "3", "10") == 0
    assert _run(plain, "--reranker", ce, "--rerank-top-k", "10") == 0
    assert _run(preds, "--save-predictions") == 0  # MiniLM alone: its predictions file
    (pred_file,) = preds.rglob(f"{TASK}_predictions.json")
    fixed = tmp_path / "fixed"
    assert (
        _run(fixed, "--reranker", ce, "--rerank-top-k", "3", "--first-stage", str(pred_file)) == 0
    )

    def one(root: Path, depth: int) -> Path:
        (path,) = root.rglob(f"*rerank_top_k_{depth}__*/{TASK}.json")
        return path

    assert _row(one(sweep, 10)) == _row(one(plain, 10))  # the deepest cut
    assert _row(one(sweep, 3)) == _row(one(fixed, 3))  # a shallower cut, on the same lists
    assert _row(one(sweep, 3)) != _row(one(sweep, 10))
    fixed_settings = json.loads(one(fixed, 3).read_text())["mtebkit"]["settings"]
    assert fixed_settings["reranker"]["first_stage"]["format"] == "mteb-predictions"

    capsys.readouterr()
    assert (
        main(["report", "--results", str(sweep), "--out", str(tmp_path / "rep"), "--no-plots"]) == 0
    )
    out = capsys.readouterr().out
    assert "Reranker depth curves" in out and "top 3" in out and "top 10" in out
