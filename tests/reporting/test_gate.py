"""The CI gate: ``mtebkit baseline save`` + ``mtebkit check``."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from mtebkit.cli import main
from mtebkit.reporting import check_against_baseline, load_baseline, make_baseline
from mtebkit.results import load_results
from tests.helpers.reporting.factory import spearman_of, sts, write_pair_items, write_result


@pytest.fixture
def ref_results(shared_dir: Path, tmp_path: Path) -> Path:
    root = tmp_path / "results"
    shutil.copytree(
        shared_dir / "reference" / "BAAI__bge-small-en-v1.5", root / "BAAI__bge-small-en-v1.5"
    )
    return root


def _perturb(root: Path, task: str, delta: float) -> None:
    """A regression of ``task``: its score moved, its item scores gone (items that give
    another score than the file's are refused as a hand edit, see test_read_fast.py)."""
    f = next(root.rglob(f"{task}.json"))
    data = json.loads(f.read_text())
    for rows in data["scores"].values():
        for row in rows:
            row["main_score"] += delta
    f.write_text(json.dumps(data))
    f.with_name(f"{task}.items.json.gz").unlink(missing_ok=True)


def test_gate_passes_on_original_fails_on_worse(
    ref_results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "baseline.json"
    assert (
        main(
            [
                "baseline",
                "save",
                "--results",
                str(ref_results),
                "--model",
                "bge-small-en-v1.5",
                "--out",
                str(base),
            ]
        )
        == 0
    )
    assert main(["check", "--results", str(ref_results), "--baseline", str(base)]) == 0
    _perturb(ref_results, "STS13", -0.012)  # 1.2 points worse
    _perturb(ref_results, "STS14", -0.003)  # 0.3 points: within the default 0.5
    _perturb(ref_results, "SciFact", +0.02)  # better never fails
    capsys.readouterr()
    junit = tmp_path / "junit.xml"
    assert (
        main(
            ["check", "--results", str(ref_results), "--baseline", str(base), "--junit", str(junit)]
        )
        == 1
    )
    out = capsys.readouterr().out
    assert "STS13: dropped 1.20 points > tolerance 0.5" in out
    assert "STS14: dropped" not in out
    suite = ET.parse(junit).getroot()
    failed = [tc.get("name") for tc in suite.iter("testcase") if tc.find("failure") is not None]
    assert failed == ["STS13"] and suite.get("tests") == "19"
    # a looser global tolerance passes
    assert (
        main(
            ["check", "--results", str(ref_results), "--baseline", str(base), "--tolerance", "1.5"]
        )
        == 0
    )


def test_missing_task_fails_and_per_task_tolerance(ref_results: Path, tmp_path: Path) -> None:
    base = make_baseline(load_results(ref_results), tolerances={"STS12": 2.0})
    next(ref_results.rglob("BIOSSES.json")).unlink()
    _perturb(ref_results, "STS12", -0.015)
    rep = check_against_baseline(load_results(ref_results), base)
    assert [c.task for c in rep.failures] == ["BIOSSES"]
    assert rep.failures[0].status == "MISSING"
    assert "BIOSSES: no result" in rep.summary()


def test_wrong_baseline_is_a_clear_error(
    ref_results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    write_result(other, "org/m", "STS22", sts(0.7), main_metric="cosine_spearman")
    base = tmp_path / "b.json"
    assert main(["baseline", "save", "--results", str(other), "--out", str(base)]) == 0
    capsys.readouterr()
    assert main(["check", "--results", str(ref_results), "--baseline", str(base)]) == 2
    assert "shares no task" in capsys.readouterr().err
    assert (
        main(
            [
                "check",
                "--results",
                str(other),
                "--baseline",
                str(base),
                "--benchmark",
                "MTEB(eng, v1)",
            ]
        )
        == 2
    )
    assert "not benchmark MTEB(eng, v1)" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"format": "mtebkit-baseline", "schema_version": 1, "model": "x", "tasks": []})
    )
    assert main(["check", "--results", str(other), "--baseline", str(bad)]) == 2
    assert "not a valid mtebkit baseline" in capsys.readouterr().err
    # pinning a whole benchmark needs every task
    assert (
        main(
            [
                "baseline",
                "save",
                "--results",
                str(other),
                "--benchmark",
                "MTEB(eng, v1)",
                "--out",
                str(tmp_path / "c.json"),
            ]
        )
        == 2
    )


def test_significance_from_item_scores(tmp_path: Path) -> None:
    from scipy.stats import spearmanr

    rng = np.random.default_rng(1)
    gold = rng.uniform(0, 1, 300)
    good = gold + rng.normal(0, 0.15, 300)
    bad = gold + rng.normal(0, 0.6, 300)

    def folder(name: str, scores: np.ndarray) -> Path:
        root = tmp_path / name
        rho = float(spearmanr(scores, gold)[0])
        p = write_result(root, "org/m", "STS12", sts(rho), main_metric="cosine_spearman")
        write_pair_items(p, [float(x) for x in scores], [float(g) for g in gold])
        return root

    base = make_baseline(load_results(folder("a", good)))
    assert base.tasks[0].items is not None and len(base.tasks[0].items.values) == 300
    same = check_against_baseline(load_results(folder("a2", good)), base)
    assert same.passed and same.checks[0].p_value == pytest.approx(1.0)
    worse = check_against_baseline(load_results(folder("b", bad)), base, n_resamples=300)
    (c,) = worse.checks
    assert c.failed and c.p_value is not None and c.p_value < 0.01
    assert c.ci_high is not None and c.ci_high < 0  # the whole CI of the change is negative
    assert "significant at 0.05" in worse.summary()
    # round trip through the file
    p = tmp_path / "b.json"
    p.write_text(base.model_dump_json())
    assert load_baseline(p).tasks[0].items == base.tasks[0].items


def test_baseline_items_of_an_older_mtebkit_are_not_used(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    gold = [float(g) for g in rng.uniform(0, 1, 50)]
    scores = [float(x) for x in gold + rng.normal(0, 0.2, 50)]
    value = spearman_of(scores, gold)
    p = write_result(tmp_path / "r", "org/m", "STS12", sts(value), main_metric="cosine_spearman")
    write_pair_items(p, scores, gold)
    base = make_baseline(load_results(tmp_path / "r"))
    data = json.loads(base.model_dump_json(exclude_none=True))
    items = data["tasks"][0]["items"]
    # the shape baselines had before items_schema: one column, kind "pairs"
    items.pop("items_schema")
    items.update(kind="pairs", values=[row[0] for row in items["values"]])
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data), encoding="utf-8")
    (c,) = check_against_baseline(load_results(tmp_path / "r"), load_baseline(old)).checks
    assert c.p_value is None and "re-pin" in c.note


@pytest.mark.slow
def test_readme_ci_recipe_on_the_embedded_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mtebkit run` (two demo tasks) -> `baseline save` -> `check` passes; a worse run fails."""
    monkeypatch.chdir(tmp_path)
    results = tmp_path / "results"
    assert (
        main(
            ["run", "--results", str(results), "--tasks", "DemoSTSEn", "DemoRetrievalEn", "--quiet"]
        )
        == 0
    )
    assert len(list(results.rglob("*.items.json.gz"))) == 2
    assert main(["baseline", "save", "--results", str(results), "--out", "ci/baseline.json"]) == 0
    base = load_baseline(tmp_path / "ci" / "baseline.json")
    assert {t.task for t in base.tasks} == {"DemoSTSEn", "DemoRetrievalEn"}
    assert all(t.items is not None for t in base.tasks)
    assert (
        main(
            [
                "check",
                "--results",
                str(results),
                "--baseline",
                "ci/baseline.json",
                "--junit",
                "junit.xml",
            ]
        )
        == 0
    )
    _perturb(results, "DemoSTSEn", -0.01)
    assert main(["check", "--results", str(results), "--baseline", "ci/baseline.json"]) == 1


def test_readme_ci_recipe_with_an_experiment_present(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The recipe as written keeps working once results/ also holds an experiment."""
    monkeypatch.chdir(tmp_path)
    demo = ["--tasks", "DemoSTSEn", "DemoRetrievalEn", "--quiet"]
    assert main(["run", "--results", "results", *demo]) == 0
    assert main(["run", "--results", "results", *demo, "--max-length", "128"]) == 0
    (exp_dir,) = (p for p in Path("results").rglob("experiments/*") if p.is_dir())
    capsys.readouterr()
    # as the README writes it: the plain folder is pinned, and the note says so
    assert main(["baseline", "save", "--results", "results", "--out", "ci/baseline.json"]) == 0
    err = capsys.readouterr().err
    assert "pinning the plain folder 'default'" in err and "--experiment" in err
    assert load_baseline(Path("ci/baseline.json")).experiment is None
    check = ["check", "--results", "results", "--baseline", "ci/baseline.json"]
    assert main([*check, "--tolerance", "0.5", "--junit", "junit.xml"]) == 0
    assert "checking experiment 'default'" in capsys.readouterr().err
    # a drop in the experiment does not touch the gate of the plain folder ...
    _perturb(exp_dir, "DemoSTSEn", -0.05)
    assert main(check) == 0
    # ... and a baseline saved from the experiment is checked against the experiment
    save_exp = ["baseline", "save", "--results", "results", "--experiment", exp_dir.name]
    assert main([*save_exp, "--out", "ci/exp.json"]) == 0
    assert load_baseline(Path("ci/exp.json")).experiment == exp_dir.name
    capsys.readouterr()
    assert main(["check", "--results", "results", "--baseline", "ci/exp.json"]) == 0
    assert f"checking experiment {exp_dir.name!r}" in capsys.readouterr().err
    _perturb(exp_dir, "DemoSTSEn", -0.05)
    assert main(["check", "--results", "results", "--baseline", "ci/exp.json"]) == 1
    # without the plain folder, a choice among experiments is refused, naming --experiment
    for rev in Path("results").glob("*/*"):
        for f in rev.glob("Demo*"):
            f.unlink()
    shutil.copytree(exp_dir, exp_dir.parent / "other")
    capsys.readouterr()
    assert main(["baseline", "save", "--results", "results", "--out", "ci/x.json"]) == 2
    assert "--experiment" in capsys.readouterr().err


def test_check_refuses_when_the_baselines_experiment_has_no_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "results"
    write_result(root, "org/m", "STS12", sts(0.8), main_metric="cosine_spearman")
    write_result(
        root, "org/m", "STS12", sts(0.7), main_metric="cosine_spearman", experiment="pooling_cls"
    )
    base = make_baseline(load_results(root), experiment="pooling_cls")
    out = tmp_path / "b.json"
    out.write_text(base.model_copy(update={"experiment": "gone"}).model_dump_json())
    capsys.readouterr()
    assert main(["check", "--results", str(root), "--baseline", str(out)]) == 2
    err = capsys.readouterr().err
    assert "saved from experiment 'gone'" in err and "--experiment" in err
