"""The commands that only read results are fast and trust no hand-edited score.

``check``, ``compare``, ``report`` and ``baseline save`` read JSON and item files: they import
neither torch, transformers, sentence_transformers nor mteb (whose task registry alone takes
seconds), and they refuse a result file whose main score is not the one its items give.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mtebkit.cli import main
from tests.helpers.reporting.factory import spearman_of, sts, write_pair_items, write_result

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "sentence_transformers", "mteb")


def _run_with_items(root: Path, model: str, seed: int) -> Path:
    """An STS22 result whose stored main score (6 decimals, as mteb) is the items' Spearman."""
    gold = [float(g) for g in np.random.default_rng(0).uniform(0, 1, 40)]  # the same items
    rng = np.random.default_rng(seed)
    scores = [float(g + rng.normal(0, 0.3)) for g in gold]
    value = spearman_of(scores, gold)
    path = write_result(root, model, "STS22", sts(value), main_metric="cosine_spearman")
    write_pair_items(path, scores, gold)
    return path


def _edit_main_score(path: Path, delta: float) -> tuple[float, float]:
    data = json.loads(path.read_text())
    entry = data["scores"]["test"][0]
    old = entry["main_score"]
    entry["main_score"] = entry["cosine_spearman"] = round(old + delta, 6)
    path.write_text(json.dumps(data, indent=2))
    return old, entry["main_score"]


@pytest.fixture
def two_runs(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Two single-run folders (with item scores) and a baseline saved from the first."""
    a, b = tmp_path / "a", tmp_path / "b"
    _run_with_items(a, "org/m", 1)
    _run_with_items(b, "org/m2", 2)
    base = tmp_path / "base.json"
    assert main(["baseline", "save", "--results", str(a), "--out", str(base)]) == 0
    return a, b, base


def _commands(a: Path, b: Path, base: Path, out: Path) -> dict[str, list[str]]:
    return {
        "check": ["check", "--results", str(a), "--baseline", str(base), "--resamples", "50"],
        "compare": ["compare", str(a), str(b), "--resamples", "50"],
        "report": ["report", "--results", str(a), str(b), "--out", str(out), "--resamples", "20"],
        "baseline save": ["baseline", "save", "--results", str(a), "--out", str(out / "b.json")],
    }


@pytest.mark.parametrize("command", ["check", "compare", "report", "baseline save"])
def test_read_only_commands_import_no_model_stack(
    command: str, two_runs: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    a, b, base = two_runs
    argv = _commands(a, b, base, tmp_path / "out")[command]
    code = (
        "import contextlib, io, sys\n"
        "from mtebkit.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    rc = main({argv!r})\n"
        "assert rc == 0, rc\n"
        f"loaded = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "loaded += [m for m in sys.modules if m.startswith('mteb.')]\n"
        "assert not loaded, loaded\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]


@pytest.mark.parametrize("command", ["check", "compare", "report", "baseline save"])
def test_a_hand_edited_main_score_is_refused(
    command: str,
    two_runs: tuple[Path, Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a, b, base = two_runs
    path = next(a.rglob("STS22.json"))
    stored, edited = _edit_main_score(path, 0.05)
    capsys.readouterr()
    assert main(_commands(a, b, base, tmp_path / "out")[command]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert str(path) in err and f"{edited:.6f}" in err and f"{stored:.6f}" in err
    assert "item scores" in err


@pytest.mark.parametrize("command", ["check", "compare", "report", "baseline save"])
def test_untouched_results_pass(
    command: str,
    two_runs: tuple[Path, Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a, b, base = two_runs
    assert main(_commands(a, b, base, tmp_path / "out")[command]) == 0
    assert "item scores" not in capsys.readouterr().err


def test_rounding_within_the_tolerance_passes(tmp_path: Path) -> None:
    from mtebkit.reporting import SCORE_TOLERANCE, verify_main_scores
    from mtebkit.results import load_results

    path = _run_with_items(tmp_path / "r", "org/m", 3)
    _edit_main_score(path, SCORE_TOLERANCE / 2)  # e.g. mteb's 5-decimal retrieval scores
    verify_main_scores(load_results(tmp_path / "r"))


def test_a_task_without_per_item_main_score_is_not_checked(tmp_path: Path) -> None:
    import gzip

    from mtebkit.reporting import verify_main_scores
    from mtebkit.results import load_results

    path = _run_with_items(tmp_path / "r", "org/m", 4)
    items = path.with_name("STS22.items.json.gz")
    with gzip.open(items, "rt", encoding="utf-8") as f:
        obj = json.load(f)
    obj["main_metric"] = "cosine_nauc"  # no per-item form: nothing to recompute
    with gzip.open(items, "wt", encoding="utf-8") as f:
        json.dump(obj, f)
    _edit_main_score(path, 0.05)
    verify_main_scores(load_results(tmp_path / "r"))
