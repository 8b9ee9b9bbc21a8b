"""Writing a model card's ``model-index`` from results; reading it back gives the same scores."""

from __future__ import annotations

from pathlib import Path

import pytest

from mtebkit.cli import main
from mtebkit.results import load_model_card, load_results, write_model_card
from tests.helpers.reporting.factory import sts, write_result


def _by_key(rs: object) -> dict[tuple[str, str, str], float | None]:
    return {(r.task, r.split, r.subset): r.main_score for r in rs.rows}  # type: ignore[attr-defined]


def test_round_trip_results_card_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "results"
    write_result(root, "org/my-model", "STS12", sts(0.81234567), main_metric="cosine_spearman")
    write_result(root, "org/my-model", "STSBenchmark", sts(0.85), main_metric="cosine_spearman")
    card = tmp_path / "card"
    card.mkdir()
    (card / "README.md").write_text("---\nlicense: mit\n---\n# My model\n\nSome text.\n")
    assert main(["model-card", "--results", str(root), "--out", str(card)]) == 0
    assert "wrote model-index of org/my-model" in capsys.readouterr().out
    text = (card / "README.md").read_text()
    assert "license: mit" in text and text.endswith("# My model\n\nSome text.\n")
    assert "name: MTEB STS12" in text and "revision:" in text  # the dataset revision mteb pins
    back = load_model_card(card, model="org/my-model")
    original = load_results(root).run("org/my-model")
    assert _by_key(back).keys() == _by_key(original).keys()
    read_back = _by_key(back)
    for key, score in _by_key(original).items():
        assert read_back[key] == pytest.approx(score, abs=1e-9)
    assert {r.task_type for r in back.rows} == {"STS"}


def test_a_published_card_survives_a_rewrite(shared_dir: Path, tmp_path: Path) -> None:
    published = load_model_card(shared_dir / "modelcards" / "bge-base-en-v1.5")
    out = write_model_card(published, tmp_path / "README.md", name="bge-base-en-v1.5")
    again = load_model_card(out)
    assert len(again.rows) == len(published.rows)
    assert _by_key(again) == pytest.approx(_by_key(published))


def test_several_models_are_refused_naming_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "results"
    write_result(root, "org/a", "STS12", sts(0.8), main_metric="cosine_spearman")
    write_result(root, "org/b", "STS12", sts(0.7), main_metric="cosine_spearman")
    assert main(["model-card", "--results", str(root), "--out", str(tmp_path / "R.md")]) == 2
    assert "--model" in capsys.readouterr().err
