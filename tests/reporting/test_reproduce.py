"""``mtebkit reproduce`` against a model card and against published mteb result files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mtebkit.cli import main
from mtebkit.reporting import load_published, reproduce
from mtebkit.results import load_model_card, load_results
from tests.helpers.reporting.factory import CARD, write_result


def test_card_against_its_own_numbers_passes(tmp_path: Path) -> None:
    card = load_model_card(CARD)
    stsb = next(r for r in card.rows if r.task == "STSBenchmark")
    write_result(
        tmp_path,
        "BAAI/bge-base-en-v1.5",
        "STSBenchmark",
        {"test": {"default": {"cosine_spearman": stsb.scores["cos_sim_spearman"]}}},
        main_metric="cosine_spearman",
    )
    rep = reproduce(card, load_results(tmp_path), tolerance=0.01)
    assert [r.task for r in rep.rows] == ["STSBenchmark"]
    assert rep.rows[0].delta == pytest.approx(0.0, abs=1e-9)
    assert rep.passed and len(rep.missing) == 67
    assert not reproduce(card, load_results(tmp_path), require_all=True).passed


def test_reranking_old_map_name_matched(tmp_path: Path) -> None:
    card = load_model_card(CARD)
    sci = next(r for r in card.rows if r.task == "SciDocsRR")
    write_result(
        tmp_path,
        "BAAI/bge-base-en-v1.5",
        "SciDocsRR",
        {"test": {"default": {"map_at_1000": sci.scores["map"] - 0.002}}},
        main_metric="map_at_1000",
    )
    rep = reproduce(card, load_results(tmp_path), tolerance=0.1)
    (row,) = rep.rows
    assert row.metric == "map_at_1000"
    assert row.delta == pytest.approx(-0.2)
    assert not rep.passed and rep.failures == [row]


def test_cli_reproduce_reference_folder(
    shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = shared_dir / "reference" / "sentence-transformers__all-MiniLM-L6-v2"
    mine = tmp_path / "results" / ref.name
    shutil.copytree(ref, mine)
    argv = [
        "reproduce",
        "--published",
        str(ref),
        "--results",
        str(tmp_path / "results"),
        "--model",
        "all-MiniLM-L6-v2",
        "--tolerance",
        "0.01",
    ]
    assert main(argv) == 0
    # perturb one reproduced score by 0.5 points: the command fails and names the task
    f = next(mine.rglob("STSBenchmark.json"))
    data = json.loads(f.read_text())
    for entry in data["scores"]["test"]:
        entry["main_score"] -= 0.005
    f.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "STSBenchmark (-0.50)" in out


def test_load_published_card_and_folder(shared_dir: Path) -> None:
    card = load_published(shared_dir / "modelcards" / "bge-base-en-v1.5" / "README.md")
    assert len(card.rows) == 68 and card.rows[0].revision == "model-card"
    folder = load_published(shared_dir / "reference" / "BAAI__bge-base-en-v1.5")
    assert "STS12" in folder.tasks()


def test_card_vs_published_mteb_runs_finds_real_differences(
    shared_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the card's numbers against the later mteb 1.18/1.20 runs of the same model (reference folder):
    # STS tasks agree, retrieval moved (ArguAna, SciFact, NFCorpus) -> exit 1 naming them
    card = shared_dir / "modelcards" / "bge-base-en-v1.5" / "README.md"
    results = shared_dir / "reference" / "BAAI__bge-base-en-v1.5"
    argv = [
        "reproduce",
        "--published",
        str(card),
        "--results",
        str(results),
        "--model",
        "bge-base-en-v1.5",
    ]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "11/14 compared scores within ±0.01 points" in out
    assert "ArguAna (+0.15)" in out and "SciFact (+0.31)" in out
    assert main([*argv, "--tolerance", "0.5"]) == 0


def _stsb(root: Path, value: float, *, experiment: str | None = None) -> None:
    write_result(
        root,
        "BAAI/bge-base-en-v1.5",
        "STSBenchmark",
        {"test": {"default": {"cosine_spearman": value, "cosine_pearson": value}}},
        main_metric="cosine_spearman",
        experiment=experiment,
    )


def test_variants_left_out_default_compared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stsb = next(r for r in load_model_card(CARD).rows if r.task == "STSBenchmark")
    v = stsb.scores["cos_sim_spearman"]
    _stsb(tmp_path, v)
    _stsb(tmp_path, v - 0.1, experiment="dim_128")
    argv = ["reproduce", "--published", str(CARD), "--results", str(tmp_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "1/1 compared" in out and "variants left out: dim_128" in out


def test_tasks_and_skip_select_and_suggest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stsb = next(r for r in load_model_card(CARD).rows if r.task == "STSBenchmark")
    _stsb(tmp_path, stsb.scores["cos_sim_spearman"])
    base = ["reproduce", "--published", str(CARD), "--results", str(tmp_path), "--require-all"]
    assert main([*base, "--tasks", "STSBenchmark"]) == 0
    assert main([*base, "--tasks", "STSBenchmark", "SciFact", "--skip", "SciFact"]) == 0
    capsys.readouterr()
    assert main([*base, "--skip", "Scifact"]) == 2
    err = capsys.readouterr().err
    assert "'Scifact' is not a published task" in err and "Did you mean: SciFact" in err


def test_card_metric_other_than_main_is_compared(tmp_path: Path) -> None:
    card = tmp_path / "README.md"
    card.write_text(
        "---\nmodel-index:\n- name: m\n  results:\n  - task:\n      type: STS\n"
        "    dataset:\n      name: MTEB STSBenchmark\n      split: test\n"
        "    metrics:\n    - type: cos_sim_pearson\n      value: 80.0\n---\n"
    )
    res = tmp_path / "res"
    _stsb(res, 0.8)
    rep = reproduce(load_published(card), load_results(res))
    (row,) = rep.rows
    assert row.metric == "cosine_pearson" and row.main_metric == "cosine_spearman"
    assert row.published == pytest.approx(0.8) and rep.passed
    assert "compared on the published metric" in rep.summary()
    card.write_text(card.read_text().replace("cos_sim_pearson", "euclidean_x"))
    rep = reproduce(load_published(card), load_results(res))
    assert "published has euclidean_x, not cosine_spearman" in rep.summary()
