"""``mtebkit tasks``: listing, filters, mirror presence, --rehash."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mtebkit.cli import main
from mtebkit.tasks import load_spec
from tests.helpers.mirror import STS12, write_sts12
from tests.helpers.specs import write_sts


def _json_rows(capsys: pytest.CaptureFixture[str], argv: list[str]) -> list[dict[str, object]]:
    assert main(["tasks", "--json", *argv]) == 0
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_module_imports_nothing_heavy() -> None:
    code = (
        "import sys, mtebkit.cli._tasks; "
        "print(sorted(m for m in ('mteb', 'torch', 'transformers', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_custom_only_lists_specs_and_builtins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_sts(tmp_path)
    rows = _json_rows(capsys, ["--custom-only", "--tasks-path", str(tmp_path)])
    by_name = {r["name"]: r for r in rows}
    from mtebkit.tasks import DEMO_TASKS

    # the packaged demo specs are always there, beside the given path's and the built-ins
    assert set(by_name) == {"MySTS", "T2RerankingZh2En", "T2RerankingEn2Zh", *DEMO_TASKS}
    assert by_name["MySTS"]["kind"] == "spec" and by_name["MySTS"]["type"] == "STS"
    assert str(by_name["MySTS"]["source"]).endswith("MySTS.yaml")
    assert by_name["T2RerankingZh2En"]["source"] == "C-MTEB/T2Reranking_zh2en@main"


def test_filters_and_mirror_presence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mirror = tmp_path / "mirror"
    write_sts12(mirror)
    specs = tmp_path / "specs"
    write_sts(specs)
    rows = _json_rows(
        capsys,
        ["--data-dir", str(mirror), "--present-only", "--tasks-path", str(specs), "--lang", "en"],
    )
    names = {r["name"] for r in rows}
    # the mirrored native task and the local specs (the given one, and the English demo tasks)
    assert names == {"STS12", "MySTS", "DemoSTSEn", "DemoRetrievalEn", "DemoRerankingEn"}
    sts12 = next(r for r in rows if r["name"] == "STS12")
    assert sts12["present_in_mirror"] is True and sts12["source"] == f"{STS12[0]}@{STS12[1]}"
    rows = _json_rows(capsys, ["--type", "reranking", "--lang", "zh", "--tasks-path", str(specs)])
    names = {r["name"] for r in rows}
    assert {"T2Reranking", "T2RerankingZh2En", "MMarcoReranking"} <= names
    assert all(r["type"] == "Reranking" for r in rows)


def test_table_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_sts12(tmp_path)
    argv = ["tasks", "--data-dir", str(tmp_path), "--type", "STS", "--lang", "eng"]
    assert main([*argv, "--wide"]) == 0
    out, err = capsys.readouterr()
    header, _dashes, *lines = out.splitlines()
    assert header.split()[:4] == ["name", "type", "languages", "splits"] and "mirror" in header
    sts12 = next(line for line in lines if line.startswith("STS12 "))
    assert " yes " in sts12 and STS12[0] in sts12
    assert any(line.startswith("STS13 ") and " no " in line for line in lines)
    assert f"{len(lines)} task(s)" in err
    assert main(argv) == 0  # by default: no source column, 100 columns at most
    out = capsys.readouterr().out
    assert "source" not in out.splitlines()[0]
    assert max(len(line) for line in out.splitlines()) <= 100


def test_text_tasks_by_default_and_the_rest_on_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = _json_rows(capsys, ["--type", "Any2AnyRetrieval"])
    assert all(set(r["modalities"]) <= {"text"} for r in text)  # type: ignore[arg-type]
    every = _json_rows(capsys, ["--type", "Any2AnyRetrieval", "--all-modalities"])
    assert any("image" in r["modalities"] for r in every)  # type: ignore[operator]
    assert len(every) > len(text)
    assert main(["tasks", "--type", "Any2AnyRetrieval"]) == 0
    err = capsys.readouterr().err
    assert "image/audio/video task(s) hidden (--all-modalities)" in err


def test_present_only_needs_a_data_dir(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MTEBKIT_DATA_DIR", raising=False)
    assert main(["tasks", "--present-only"]) == 2
    assert "--present-only needs --data-dir" in capsys.readouterr().err


def test_rehash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_sts(tmp_path)
    data = tmp_path / "sts" / "test.jsonl"
    data.write_text(data.read_text(encoding="utf-8") + data.read_text(encoding="utf-8"), "utf-8")
    before = spec.read_text(encoding="utf-8")
    assert main(["tasks", "--rehash", str(spec), "--dry-run"]) == 0
    assert spec.read_text(encoding="utf-8") == before
    import hashlib

    digest = hashlib.sha256(data.read_bytes()).hexdigest()
    assert f"sts/test.jsonl: {digest}" in capsys.readouterr().out
    assert main(["tasks", "--rehash", str(spec)]) == 0
    assert load_spec(spec).sha256 == {"sts/test.jsonl": digest}


def test_errors_are_reported_not_raised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "Bad.yaml").write_text("name: Bad\ntype: sts\ncolour: red\n", encoding="utf-8")
    assert main(["tasks", "--custom-only", "--tasks-path", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert "Bad.yaml:3: colour: unknown key" in err and "Traceback" not in err
    assert "DemoSTSEn" in out  # the valid specs are still listed


def test_every_benchmark_task_name_is_listed_whole(capsys: pytest.CaptureFixture[str]) -> None:
    """A name is what --tasks takes: the table shortens the other columns, never the name."""
    import mteb

    from mtebkit.cli import main

    assert main(["tasks"]) == 0
    out = capsys.readouterr().out
    names = {line.split("  ")[0] for line in out.splitlines()}
    for bench in ("MTEB(eng, v1)", "MTEB(cmn, v1)"):
        wanted = {t.metadata.name for t in mteb.get_benchmark(bench).tasks}
        text = {n for n in wanted if set(mteb.get_task(n).metadata.modalities) <= {"text"}}
        assert text and text <= names, sorted(text - names)[:5]
    assert not any("…" in n for n in names)
