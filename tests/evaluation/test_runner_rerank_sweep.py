"""The runner's reranker protocol: ``rerank_top_k=[...]`` files one experiment per depth from
one computation; ``first_stage`` records the candidates' sha256 and names its experiment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mtebkit import MtebkitError, ResultsError, RunConfig, run_evaluation
from mtebkit.cli import main
from mtebkit.errors import DataError
from mtebkit.evaluation import plan
from tests.helpers.tiny_models import build_tiny_ce, make_tiny_bert
from tests.helpers.two_stage import trec_lines


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("models")
    bi = make_tiny_bert(root / "bi", st_config={"pooling": "mean", "normalize": True})
    return bi, build_tiny_ce(root / "ce", seed=12)


def _config(models: tuple[Path, Path], folder: Path, results: Path, **kw: object) -> RunConfig:
    bi, ce = models
    base: dict[str, object] = {
        "models": [str(bi)],
        "tasks": ["TinyRetrieval"],
        "spec_paths": [folder],
        "results_dir": results,
        "reranker": str(ce),
        "use_cache": False,
        "show_progress": False,
    }
    return RunConfig(**(base | kw))  # type: ignore[arg-type]


def _row(path: Path) -> dict[str, object]:
    (row,) = json.loads(path.read_text())["scores"]["test"]
    return {k: v for k, v in row.items() if "time" not in k}


@pytest.mark.slow  # an end-to-end run: kept out of the fast loop
def test_a_sweep_files_one_experiment_per_depth_equal_to_plain_runs(
    models: tuple[Path, Path],
    spec_dir: Path,
    tmp_path: Path,
) -> None:
    cfg = _config(models, spec_dir, tmp_path / "sweep", rerank_top_k=[8, 3])
    jobs = plan(cfg)
    assert [j.rerank_top_k for j in jobs] == [3, 8]
    assert all(j.rerank_sweep == (3, 8) for j in jobs)  # computed together
    assert [j.experiment for j in jobs] == [
        "rerank_top_k_3__reranker_local__ce",
        "rerank_top_k_8__reranker_local__ce",
    ]
    swept = {r.path.parent.name: r.path for r in run_evaluation(cfg)}
    for depth in (3, 8):
        (plain,) = run_evaluation(
            _config(models, spec_dir, tmp_path / f"k{depth}", rerank_top_k=depth)
        )
        exp = f"rerank_top_k_{depth}__reranker_local__ce"
        assert plain.path.parent.name == exp
        assert _row(swept[exp]) == _row(plain.path)
        settings = json.loads(swept[exp].read_text())["mtebkit"]["settings"]
        assert settings["reranker"]["top_k"] == depth
    # a second sweep finds both done; adding a depth runs only that one
    again = plan(_config(models, spec_dir, tmp_path / "sweep", rerank_top_k=[3, 8, 5]))
    assert {j.rerank_top_k: j.status for j in again} == {3: "done", 5: "todo", 8: "done"}
    assert all(j.rerank_sweep == () for j in again)


def test_first_stage_sha256_is_a_setting_and_names_the_experiment(
    models: tuple[Path, Path],
    spec_dir: Path,
    tmp_path: Path,
) -> None:
    run_a = tmp_path / "a.trec"
    run_a.write_text("\n".join(trec_lines(5)), encoding="utf-8")
    cfg = _config(models, spec_dir, tmp_path / "res", rerank_top_k=3, first_stage=[str(run_a)])
    (rec,) = run_evaluation(cfg)
    settings = json.loads(rec.path.read_text())["mtebkit"]["settings"]
    import hashlib

    sha = hashlib.sha256(run_a.read_bytes()).hexdigest()
    assert settings["reranker"]["first_stage"] == {
        "sha256": sha,
        "format": "trec",
        "file": "a.trec",
    }
    assert f"first_stage_{sha[:12]}" in rec.path.parent.name
    # the same candidates: done; other candidates (one score changed): another result
    (same,) = plan(cfg)
    assert same.status == "done"
    run_b = tmp_path / "b.trec"
    run_b.write_text("\n".join(trec_lines(5)).replace(" hash", " other"), encoding="utf-8")
    (other,) = plan(
        _config(
            models,
            spec_dir,
            tmp_path / "res",
            rerank_top_k=3,
            first_stage=[f"TinyRetrieval={run_b}"],
        )
    )
    assert other.status == "todo" and other.result_path != rec.path
    # a result recorded with other candidates under the same folder is refused
    data = json.loads(rec.path.read_text())
    data["mtebkit"]["settings"]["reranker"]["first_stage"]["sha256"] = "0" * 64
    rec.path.write_text(json.dumps(data))
    with pytest.raises(ResultsError, match=r"different settings \(reranker\)"):
        plan(cfg)


def test_bad_protocol_options_are_refused_by_the_plan(
    models: tuple[Path, Path],
    spec_dir: Path,
    tmp_path: Path,
) -> None:
    res = tmp_path / "res"
    # a depth below 1 is refused when the config is built, naming the option and the value
    with pytest.raises(MtebkitError, match=r"rerank_top_k\.1: .*greater than or equal to 1, got 0"):
        plan(_config(models, spec_dir, res, rerank_top_k=[10, 0]))
    with pytest.raises(MtebkitError, match=r"--rerank-top-k 2000 is deeper than the 1000"):
        plan(_config(models, spec_dir, res, rerank_top_k=[2000]))
    run_file = tmp_path / "r.trec"
    run_file.write_text("\n".join(trec_lines(2)), encoding="utf-8")
    with pytest.raises(MtebkitError, match=r"--rerank-top-k is the reranker's depth"):
        plan(_config(models, spec_dir, res, reranker=None, rerank_top_k=[10]))
    with pytest.raises(MtebkitError, match=r"--first-stage .* needs --reranker"):
        plan(_config(models, spec_dir, res, reranker=None, first_stage=[str(run_file)]))
    with pytest.raises(MtebkitError, match=r"deeper than the candidate lists of 4 of 4 queries"):
        plan(_config(models, spec_dir, res, rerank_top_k=[2, 3], first_stage=[str(run_file)]))
    with pytest.raises(MtebkitError, match="Nope is not a retrieval or reranking task of this run"):
        plan(_config(models, spec_dir, res, first_stage=[f"Nope={run_file}"]))
    with pytest.raises(DataError, match=r"no candidates for TinyRetrieval \(looked for"):
        plan(_config(models, spec_dir, res, first_stage=[str(tmp_path)]))
    assert not any(res.rglob("*.json"))  # nothing was computed


def test_cli_refuses_a_zero_depth(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", "--rerank-top-k", "10", "0"])
    assert exc.value.code == 2
    assert "must be >= 1, not 0" in capsys.readouterr().err
