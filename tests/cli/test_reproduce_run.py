"""``mtebkit reproduce --run``: which published tasks can run, running them, the exit code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mtebkit.cli import main
from mtebkit.evaluation import plan_reproduction
from tests.helpers.tiny_models import make_tiny_bert

NFCORPUS_REV = "ec0fa4fe99da2ff19ca1214b7966684033a58814"


def _card(path: Path, entries: list[tuple[str, str, str, str, float]]) -> Path:
    """A model card README.md whose model-index lists (task type, hub path, name, metric, value)."""
    lines = ["---", "model-index:", "- name: tiny", "  results:"]
    for kind, hub, name, metric, value in entries:
        lines += [
            "  - task:",
            f"      type: {kind}",
            "    dataset:",
            f"      type: {hub}",
            f"      name: MTEB {name}",
            "      config: default",
            "      split: test",
            "      revision: abc",
            "    metrics:",
            f"    - type: {metric}",
            f"      value: {value}",
        ]
    path.mkdir(parents=True, exist_ok=True)
    (path / "README.md").write_text("\n".join([*lines, "---", ""]), encoding="utf-8")
    return path / "README.md"


def test_plan_sorts_runnable_absent_and_unknown(tmp_path: Path) -> None:
    (tmp_path / "mteb" / "biosses-sts").mkdir(parents=True)
    plan = plan_reproduction(["BIOSSES", "NFCorpus", "NoSuchTask", "BIOSSES"], tmp_path)
    assert plan.runnable == ("BIOSSES",)
    assert plan.unknown == ("NoSuchTask",)
    (absent,) = plan.not_in_mirror
    assert absent.task == "NFCorpus" and absent.folder == tmp_path.resolve() / "mteb" / "nfcorpus"
    assert "download" in absent.download and "mteb/nfcorpus" in absent.download
    assert f"--revision {NFCORPUS_REV}" in absent.download
    assert f"--local-dir {absent.folder}" in absent.download
    notes = plan.notes()
    assert len(notes) == 2 and "NoSuchTask is not a task mtebkit knows" in notes[1]


def test_plan_without_a_mirror_runs_every_known_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MTEBKIT_DATA_DIR", raising=False)
    plan = plan_reproduction(["NFCorpus", "Nope"], None)
    assert plan.runnable == ("NFCorpus",) and plan.not_in_mirror == () and plan.unknown == ("Nope",)


def test_cli_run_lists_what_cannot_run_and_does_not_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    card = _card(
        tmp_path / "card",
        [
            ("Retrieval", "mteb/nfcorpus", "NFCorpus", "ndcg_at_10", 31.6),
            ("Classification", "mteb/nothing", "NoSuchTaskAnywhere", "accuracy", 50.0),
        ],
    )
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    argv = ["reproduce", "--run", "--published", str(card), "--data-dir", str(mirror)]
    model = str(make_tiny_bert(tmp_path / "ckpt"))  # the model must resolve before planning
    code = main([*argv, "--results", str(tmp_path / "results"), "--model", model, "--quiet"])
    out = capsys.readouterr().out
    assert code == 1  # a gate never passes on nothing
    assert "nothing to compare" in out
    assert "not runnable: NFCorpus" in out and "download --repo-type dataset mteb/nfcorpus" in out
    assert "not runnable: NoSuchTaskAnywhere is not a task mtebkit knows" in out
    assert not (tmp_path / "results").exists()  # nothing ran


def _published_from(results: Path, dest: Path, shift: float) -> Path:
    """A folder of mteb result JSON: the run's own files, main scores moved by ``shift`` (0-1)."""
    shutil.copytree(results, dest)
    for path in dest.rglob("BIOSSES.json"):
        data = json.loads(path.read_text())
        for rows in data["scores"].values():
            for row in rows:
                row["main_score"] += shift
                row["cosine_spearman"] += shift
        path.write_text(json.dumps(data))
    return dest


def test_cli_run_evaluates_missing_tasks_then_gates(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = make_tiny_bert(tmp_path / "ckpt")
    cache = tmp_path / "cache"
    first = tmp_path / "first"
    base = ["--model", str(model), "--data-dir", str(data_dir), "--cache-dir", str(cache)]
    assert main(["run", "--tasks", "BIOSSES", "--results", str(first), *base, "--quiet"]) == 0
    capsys.readouterr()

    same = _published_from(first, tmp_path / "published-same", 0.0)
    fresh = tmp_path / "fresh"
    run = ["reproduce", "--run", "--results", str(fresh), *base]
    assert main([*run, "--published", str(same)]) == 0
    out, err = capsys.readouterr()
    assert "BIOSSES" in out and "1/1 compared scores within" in out
    assert "[1/1] starting" in err and "BIOSSES" in err  # progress while it ran
    assert list(fresh.rglob("BIOSSES.json"))  # it ran into the fresh folder

    off = _published_from(first, tmp_path / "published-off", 0.001)  # 0.1 points
    # BIOSSES's mirror is approximate (text characters +0.8%): shown, not gated by default
    assert main([*run, "--published", str(off)]) == 0  # already done: compared, not rerun
    out, err = capsys.readouterr()
    assert "0/1 compared scores" in out and "1 not gated" in out and "BIOSSES (-0.10)" in out
    assert "mirror differs from the published data" in out
    assert "starting" not in err
    assert main([*run, "--published", str(off), "--strict-mirror"]) == 1
    out, _ = capsys.readouterr()
    assert "off: BIOSSES (-0.10)" in out and "not gated" not in out


@pytest.mark.slow
def test_real_minilm_reproduces_banking77_and_summeval_card(
    shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real all-MiniLM-L6-v2: Banking77 to the published digit; SummEval's mirror is an
    approximate copy (texts within 0.4%), so its published score is 0.77 points away: not gated
    by default, and with --strict-mirror the gate fails on it, and on it alone."""
    ref = shared_dir / "reference" / "sentence-transformers__all-MiniLM-L6-v2"
    published = tmp_path / "published"
    for name in ("Banking77Classification.json", "SummEval.json", "model_meta.json"):
        (src,) = ref.glob(f"*/{name}")
        dest = published / src.parent.name / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, dest)
    argv = ["reproduce", "--run", "--published", str(published), "--quiet"]
    argv += ["--data-dir", str(shared_dir / "data" / "hf"), "--results", str(tmp_path / "res")]
    argv += ["--cache-dir", str(tmp_path / "cache"), "--format", "csv"]
    code = main(argv)
    out = capsys.readouterr().out
    rows = {line.split(",")[0]: line.split(",") for line in out.splitlines() if "," in line}
    bank, summ = rows["Banking77Classification"], rows["SummEval"]
    assert float(bank[6]) == pytest.approx(0.0, abs=1e-4)  # delta, points
    assert float(summ[6]) == pytest.approx(0.767, abs=0.01)  # a property of the mirror's texts
    assert code == 0 and "1 not gated" in out and "SummEval (+0.77)" in out
    assert "approximate: mirror differs from the published data" in ",".join(summ)
    assert main([*argv, "--strict-mirror"]) == 1  # already run: compared only
    assert "off: SummEval (+0.77)" in capsys.readouterr().out


def _no_run(*args: object, **kwargs: object) -> None:
    raise AssertionError("evaluation started")


def test_run_refuses_before_any_evaluation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import mtebkit.evaluation as ev

    monkeypatch.setattr(ev, "run_reproduction", _no_run)
    card = _card(
        tmp_path / "card", [("STS", "mteb/biosses-sts", "BIOSSES", "cos_sim_spearman", 80)]
    )
    base = ["reproduce", "--run", "--published", str(card), "--quiet"]
    blocked = tmp_path / "file"
    blocked.write_text("x")
    assert main([*base, "--results", str(blocked), "--model", "x/y"]) == 2
    assert "is not a folder" in capsys.readouterr().err
    res = str(tmp_path / "res")
    assert main([*base, "--results", res, "--model", "x/y", "--tasks", "BIOSES"]) == 2
    assert "Did you mean: BIOSSES" in capsys.readouterr().err
    assert main([*base, "--results", res, "--model", "x/y", "--experiment", "dim_128"]) == 2
    assert "default configuration" in capsys.readouterr().err
    assert main([*base, "--results", res]) == 2  # card name "tiny": no hub id, no preset
    err = capsys.readouterr().err
    assert "'tiny'" in err and "--model" in err


def test_card_name_resolves_to_preset_hub_id(tmp_path: Path) -> None:
    from mtebkit.evaluation import model_for_published
    from mtebkit.reporting import load_published

    card = _card(
        tmp_path / "card", [("STS", "mteb/biosses-sts", "BIOSSES", "cos_sim_spearman", 80)]
    )
    card.write_text(card.read_text().replace("name: tiny", "name: bge-base-en-v1.5"))
    model, why = model_for_published(load_published(card))
    assert model == "BAAI/bge-base-en-v1.5" and "preset" in why
    hub = _card(
        tmp_path / "org__thing", [("STS", "mteb/biosses-sts", "BIOSSES", "cos_sim_spearman", 80)]
    )
    assert model_for_published(load_published(hub))[0] == "org/thing"
