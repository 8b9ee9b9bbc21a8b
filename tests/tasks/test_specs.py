"""Custom task specs: parsing, data validation (file + line in every error), hashes, names."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mtebkit import (
    DataError,
    DuplicateNameError,
    HashMismatchError,
    TaskSpecError,
    UnknownNameError,
)
from mtebkit.tasks import default_spec_paths, get_tasks, list_tasks, load_spec, rehash_spec
from tests.helpers.specs import (
    STS_ROWS,
    OverlapEncoder,
    _evaluate,
    _jsonl,
    _yaml,
    write_sts,
)

# ---------------------------------------------------------------------------- fixtures


CORPUS = [
    {"_id": "d1", "title": "", "text": "apples grow on orchard trees"},
    {"_id": "d2", "title": "Rivers", "text": "the river floods every spring"},
    {"_id": "d3", "title": "", "text": "violins have four strings"},
    {"_id": "d4", "title": "", "text": "snow falls on the mountain peaks"},
]
QUERIES = [
    {"_id": "q1", "text": "where do apples grow"},
    {"_id": "q2", "text": "when does the river flood"},
    {"_id": "q3", "text": "how many strings on violins"},
]
QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\nq3\td3\t1\n"


def write_retrieval(root: Path, name: str = "MyRetrieval", **overrides: Any) -> Path:
    data = root / "ret"
    _jsonl(data / "corpus.jsonl", CORPUS)
    _jsonl(data / "queries.jsonl", QUERIES)
    (data / "qrels").mkdir(parents=True, exist_ok=True)
    (data / "qrels" / "test.tsv").write_text(QRELS, encoding="utf-8")
    spec = root / f"{name}.yaml"
    body = {
        "name": name,
        "type": "retrieval",
        "description": "tiny test retrieval",
        "languages": ["eng-Latn"],
        "eval_splits": ["test"],
        "main_score": "ndcg_at_10",
        "query_instruction": "Find: ",
        "data": {"format": "beir", "dir": "ret"},
    }
    body.update(overrides)
    spec.write_text(_yaml(body), encoding="utf-8")
    rehash_spec(spec)
    return spec


RERANK_ROWS = [
    {
        "query": "apples orchard",
        "positive": ["apples in the orchard"],
        "negative": ["river water", "snow peaks"],
    },
    {
        "query": "violin strings",
        "positive": ["violin has strings", "strings of a violin"],
        "negative": ["apples"],
    },
]


def write_reranking(
    root: Path, rows: list[dict[str, Any]] | None = None, name: str = "MyRerank"
) -> Path:
    _jsonl(root / "rr" / "test.jsonl", RERANK_ROWS if rows is None else rows)
    spec = root / f"{name}.yaml"
    spec.write_text(
        _yaml(
            {
                "name": name,
                "type": "reranking",
                "description": "tiny test reranking",
                "languages": ["eng-Latn"],
                "main_score": "map_at_1000",
                "data": {"format": "rows", "files": {"test": "rr/test.jsonl"}},
            }
        ),
        encoding="utf-8",
    )
    rehash_spec(spec)
    return spec


# ---------------------------------------------------------------------------- happy paths


def test_retrieval_spec_runs_through_mteb(tmp_path: Path) -> None:
    write_retrieval(tmp_path)
    (task,) = get_tasks(["MyRetrieval"], spec_paths=[tmp_path])
    assert task.query_instruction == "Find: "
    assert task.metadata.type == "Retrieval" and task.metadata.main_score == "ndcg_at_10"
    assert len(task.metadata.dataset["revision"]) == 64  # content fingerprint
    scores = _evaluate(task)
    # every query shares its distinctive words only with its relevant document
    assert scores["ndcg_at_10"] == pytest.approx(1.0)
    assert scores["main_score"] == scores["ndcg_at_10"]


def test_reranking_spec_is_retrieval_over_candidates(tmp_path: Path) -> None:
    write_reranking(tmp_path)
    (task,) = get_tasks(["MyRerank"], spec_paths=[tmp_path])
    assert task.query_instruction is None
    task.load_data()
    split = task.dataset["default"]["test"]
    assert split["top_ranked"] == {
        "test_query0": [
            "apositive_test_query0_00000",
            "negative_test_query0_00000",
            "negative_test_query0_00001",
        ],
        "test_query1": [
            "apositive_test_query1_00000",
            "apositive_test_query1_00001",
            "negative_test_query1_00000",
        ],
    }
    assert split["relevant_docs"]["test_query1"]["apositive_test_query1_00001"] == 1
    task.unload_data()
    assert _evaluate(task)["map_at_1000"] == pytest.approx(1.0)


def test_sts_spec_scores_match_a_direct_computation(tmp_path: Path) -> None:
    from scipy.stats import spearmanr

    write_sts(tmp_path)
    (task,) = get_tasks(["MySTS"], spec_paths=[tmp_path])
    assert (task.min_score, task.max_score) == (0, 5)
    enc = OverlapEncoder()
    cos = []
    for r in STS_ROWS:
        a, b = enc.vec(r["sentence1"]), enc.vec(r["sentence2"])
        cos.append(float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)))
    expected = spearmanr([r["score"] for r in STS_ROWS], cos)[0]
    assert _evaluate(task)["cosine_spearman"] == pytest.approx(expected)


def test_rehash_keeps_comments_and_list_tasks_reads_no_data(tmp_path: Path) -> None:
    spec = write_sts(tmp_path)
    text = spec.read_text(encoding="utf-8")
    assert text.startswith("# a comment that must survive rehashing")
    digest = hashlib.sha256((tmp_path / "sts" / "test.jsonl").read_bytes()).hexdigest()
    assert load_spec(spec).sha256 == {"sts/test.jsonl": digest}
    rehash_spec(spec)  # idempotent: one sha256 block
    assert spec.read_text(encoding="utf-8").count("sha256:") == 1
    (tmp_path / "sts" / "test.jsonl").write_text("garbage", encoding="utf-8")
    infos = list_tasks(spec_paths=[tmp_path], include_native=False)
    mine = [i for i in infos if i.name == "MySTS"]
    assert len(mine) == 1 and mine[0].type == "STS" and mine[0].kind == "spec"
    assert mine[0].present_in_mirror is None


# ---------------------------------------------------------------------------- bad input


def test_unknown_key_names_file_and_line(tmp_path: Path) -> None:
    spec = write_sts(tmp_path)
    lines = spec.read_text(encoding="utf-8").splitlines()
    lines.insert(3, "colour: blue")
    spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(TaskSpecError, match=rf"{re.escape(str(spec))}:4: colour: unknown key"):
        get_tasks(["MySTS"], spec_paths=[tmp_path])


def test_unknown_key_inside_data_names_line(tmp_path: Path) -> None:
    spec = write_sts(tmp_path)
    text = spec.read_text(encoding="utf-8").replace(
        "  format: rows\n", "  format: rows\n  fromat: x\n"
    )
    spec.write_text(text, encoding="utf-8")
    line = text.splitlines().index("  fromat: x") + 1
    with pytest.raises(
        TaskSpecError, match=rf"{re.escape(str(spec))}:{line}: data.fromat: unknown key"
    ):
        load_spec(spec)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"main_score": "ndcg_at_7"}, ":8: main_score: 'ndcg_at_7' is not produced by a retrieval"),
        ({"type": "sts", "main_score": "pearson"}, ":11: data.format: 'beir' is for retrieval"),
        ({"languages": []}, ":4: languages: List should have at least 1 item"),
    ],
)
def test_invalid_fields(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    with pytest.raises(TaskSpecError, match=re.escape(message)):
        write_retrieval(tmp_path, **change)


@pytest.mark.parametrize(("code", "where"), [("english", ":6: languages.0:"), ("xqz-Latn", "mteb")])
def test_bad_language_code_is_refused(tmp_path: Path, code: str, where: str) -> None:
    spec = write_sts(tmp_path)
    spec.write_text(spec.read_text(encoding="utf-8").replace("eng-Latn", code), "utf-8")
    with pytest.raises(TaskSpecError, match=re.escape(str(spec)) + ".*" + re.escape(where)):
        get_tasks(["MySTS"], spec_paths=[tmp_path])


def test_missing_data_file(tmp_path: Path) -> None:
    spec = write_retrieval(tmp_path)
    (tmp_path / "ret" / "queries.jsonl").unlink()
    with pytest.raises(DataError, match=r"data file ret/queries\.jsonl not found") as exc:
        get_tasks(["MyRetrieval"], spec_paths=[tmp_path])
    assert str(spec) in str(exc.value)


def _edit_and_rehash(spec: Path, path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    rehash_spec(spec)


def test_qrels_pointing_at_missing_doc(tmp_path: Path) -> None:
    spec = write_retrieval(tmp_path)
    qrels = tmp_path / "ret" / "qrels" / "test.tsv"
    _edit_and_rehash(spec, qrels, QRELS + "q1\td9\t1\n")
    with pytest.raises(
        DataError, match=rf"{re.escape(str(qrels))}:5: corpus-id 'd9' is not in corpus"
    ):
        get_tasks(["MyRetrieval"], spec_paths=[tmp_path])


def test_qrels_bad_header(tmp_path: Path) -> None:
    spec = write_retrieval(tmp_path)
    qrels = tmp_path / "ret" / "qrels" / "test.tsv"
    _edit_and_rehash(spec, qrels, QRELS.replace("query-id\t", "qid\t"))
    with pytest.raises(DataError, match=rf"{re.escape(str(qrels))}:1: expected the header"):
        get_tasks(["MyRetrieval"], spec_paths=[tmp_path])


def test_duplicate_doc_id(tmp_path: Path) -> None:
    spec = write_retrieval(tmp_path)
    corpus = tmp_path / "ret" / "corpus.jsonl"
    _edit_and_rehash(
        spec,
        corpus,
        corpus.read_text(encoding="utf-8") + json.dumps({"_id": "d2", "text": "again"}) + "\n",
    )
    with pytest.raises(
        DataError, match=rf"{re.escape(str(corpus))}:5: duplicate _id 'd2' \(first at line 2\)"
    ):
        get_tasks(["MyRetrieval"], spec_paths=[tmp_path])


def test_invalid_json_line(tmp_path: Path) -> None:
    spec = write_retrieval(tmp_path)
    queries = tmp_path / "ret" / "queries.jsonl"
    _edit_and_rehash(spec, queries, queries.read_text(encoding="utf-8") + "{not json\n")
    with pytest.raises(DataError, match=rf"{re.escape(str(queries))}:4: invalid JSON"):
        get_tasks(["MyRetrieval"], spec_paths=[tmp_path])


def test_empty_candidate_list(tmp_path: Path) -> None:
    write_reranking(tmp_path, [*RERANK_ROWS, {"query": "lonely", "positive": [], "negative": []}])
    path = tmp_path / "rr" / "test.jsonl"
    with pytest.raises(DataError, match=rf"{re.escape(str(path))}:3: empty candidate list"):
        get_tasks(["MyRerank"], spec_paths=[tmp_path])


def test_reranking_row_without_positive(tmp_path: Path) -> None:
    write_reranking(tmp_path, [{"query": "q", "positive": [], "negative": ["x"]}, *RERANK_ROWS])
    path = tmp_path / "rr" / "test.jsonl"
    with pytest.raises(DataError, match=rf"{re.escape(str(path))}:1: no positive candidate"):
        get_tasks(["MyRerank"], spec_paths=[tmp_path])


def test_sts_score_out_of_range(tmp_path: Path) -> None:
    write_sts(tmp_path, [*STS_ROWS, {"sentence1": "a", "sentence2": "b", "score": 7}])
    path = tmp_path / "sts" / "test.jsonl"
    with pytest.raises(
        DataError, match=rf"{re.escape(str(path))}:5: score 7 is outside \[0.0, 5.0\]"
    ):
        get_tasks(["MySTS"], spec_paths=[tmp_path])


def test_sts_empty_sentence(tmp_path: Path) -> None:
    write_sts(tmp_path, [*STS_ROWS[:2], {"sentence1": " ", "sentence2": "b", "score": 1}])
    path = tmp_path / "sts" / "test.jsonl"
    with pytest.raises(DataError, match=rf"{re.escape(str(path))}:3: field 'sentence1' is empty"):
        get_tasks(["MySTS"], spec_paths=[tmp_path])


def test_hash_mismatch_shows_both_hashes(tmp_path: Path) -> None:
    spec = write_sts(tmp_path)
    recorded = load_spec(spec).sha256["sts/test.jsonl"]
    data = tmp_path / "sts" / "test.jsonl"
    data.write_text(data.read_text(encoding="utf-8").replace("4.5", "4.4"), encoding="utf-8")
    actual = hashlib.sha256(data.read_bytes()).hexdigest()
    with pytest.raises(HashMismatchError) as exc:
        get_tasks(["MySTS"], spec_paths=[tmp_path])
    msg = str(exc.value)
    assert recorded in msg and actual in msg and str(data) in msg


def test_missing_hash_is_refused(tmp_path: Path) -> None:
    spec = write_sts(tmp_path)
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text[: text.index("sha256:")], encoding="utf-8")
    with pytest.raises(TaskSpecError, match=r"no sha256 recorded for data file sts/test\.jsonl"):
        get_tasks(["MySTS"], spec_paths=[tmp_path])


# ---------------------------------------------------------------------------- names


def test_duplicate_custom_names_name_both_files(tmp_path: Path) -> None:
    a = write_sts(tmp_path / "a")
    b = write_sts(tmp_path / "b")
    with pytest.raises(DuplicateNameError) as exc:
        get_tasks(["MySTS"], spec_paths=[tmp_path])
    assert str(a) in str(exc.value) and str(b) in str(exc.value)


def test_custom_name_clashing_with_native(tmp_path: Path) -> None:
    spec = write_sts(tmp_path, name="STS12")
    with pytest.raises(
        DuplicateNameError,
        match=rf"{re.escape(str(spec))}.*native mteb task 'STS12' \(.*sts12_sts\.py\)",
    ):
        get_tasks(["STS12"], spec_paths=[tmp_path])


def test_unknown_name_suggests_custom_and_native(tmp_path: Path) -> None:
    write_sts(tmp_path)
    with pytest.raises(UnknownNameError, match="Did you mean: MySTS"):
        get_tasks(["MySTs"], spec_paths=[tmp_path])
    with pytest.raises(UnknownNameError, match="STS12"):
        get_tasks(["STS-12"], spec_paths=[tmp_path])


def test_mixed_native_and_custom_names_keep_order(tmp_path: Path) -> None:
    write_sts(tmp_path)
    tasks = get_tasks(["MySTS", "STS12", "MySTS"], spec_paths=[tmp_path])
    assert [t.metadata.name for t in tasks] == ["MySTS", "STS12"]
    assert not hasattr(tasks[1], "query_instruction")


def test_fresh_objects_each_call(tmp_path: Path) -> None:
    write_sts(tmp_path)
    (a,) = get_tasks(["MySTS"], spec_paths=[tmp_path])
    (b,) = get_tasks(["MySTS"], spec_paths=[tmp_path])
    assert a is not b and type(a) is not type(b)


def test_default_spec_paths_env_then_declared_specs_in_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from mtebkit.tasks import SpecPath
    from mtebkit.tasks._discovery import demo_dir

    extra = tmp_path / "extra"
    extra.mkdir()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tasks").mkdir()
    monkeypatch.setenv("MTEBKIT_TASKS_PATH", os.pathsep.join([str(extra)]))
    paths = default_spec_paths()
    # the packaged demo, every $MTEBKIT_TASKS_PATH entry, then ./tasks for declared specs only
    assert paths == [
        SpecPath(demo_dir()),
        SpecPath(extra),
        SpecPath(tmp_path / "tasks", declared_only=True),
    ]
    assert (demo_dir() / "DemoSTSEn.yaml").is_file()
    monkeypatch.setenv("MTEBKIT_TASKS_PATH", str(tmp_path / "nope"))
    with pytest.raises(TaskSpecError, match="nope"):
        default_spec_paths()


def test_cwd_tasks_folder_reads_only_declared_specs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MTEBKIT_TASKS_PATH", raising=False)
    folder = tmp_path / "tasks"
    spec = write_sts(folder)
    # an unrelated YAML with a name: key, and one with a Latin-1 byte: neither is a spec here
    (folder / "ci.yaml").write_text("name: build\non: push\n", encoding="utf-8")
    (folder / "notes.yaml").write_bytes(b"name: caf\xe9\n")
    assert get_tasks(["STS12"])[0].metadata.name == "STS12"
    with pytest.raises(UnknownNameError, match="MySTS"):
        get_tasks(["MySTS"])  # not declared: not discovered in ./tasks
    spec.write_text("format: mtebkit-task\n" + spec.read_text(encoding="utf-8"), encoding="utf-8")
    (task,) = get_tasks(["MySTS"])
    assert task.metadata.name == "MySTS"


# ---------------------------------------------------------------------------- hub-backed specs


def test_hf_spec_loads_through_the_mirror(tmp_path: Path) -> None:
    import yaml

    from mtebkit import MirrorMissingError

    specs, mirror = tmp_path / "specs", tmp_path / "mirror"
    specs.mkdir()
    mirror.mkdir()
    body = {
        "name": "HubSTS",
        "type": "sts",
        "description": "an STS set on the hub",
        "languages": ["eng-Latn"],
        "main_score": "cosine_spearman",
        "min_score": 0,
        "max_score": 5,
        "data": {"format": "hf", "path": "my-org/my-sts", "revision": "abc123"},
    }
    (specs / "HubSTS.yaml").write_text(yaml.safe_dump(body), encoding="utf-8")
    with pytest.raises(MirrorMissingError, match=r"my-org/my-sts@abc123.*--revision abc123"):
        get_tasks(["HubSTS"], spec_paths=[specs], data_dir=mirror)
    _jsonl(mirror / "my-org" / "my-sts" / "test.jsonl", STS_ROWS)
    (task,) = get_tasks(["HubSTS"], spec_paths=[specs], data_dir=mirror)
    assert task.metadata.dataset["revision"] == "abc123"
    info = next(i for i in list_tasks(spec_paths=[specs], data_dir=mirror) if i.name == "HubSTS")
    assert info.present_in_mirror is True and info.source.startswith("my-org/my-sts@abc123")
    scores = _evaluate(task)
    (local,) = get_tasks(["MySTS"], spec_paths=[write_sts(tmp_path / "local").parent])
    assert scores["cosine_spearman"] == pytest.approx(_evaluate(local)["cosine_spearman"])


def test_hf_reranking_spec_uses_rows_layout(tmp_path: Path) -> None:
    import yaml

    specs, mirror = tmp_path / "specs", tmp_path / "mirror"
    specs.mkdir()
    body = {
        "name": "HubRerank",
        "type": "reranking",
        "description": "C-MTEB style rows on the hub",
        "languages": ["eng-Latn"],
        "eval_splits": ["dev"],
        "main_score": "map_at_1000",
        "data": {"format": "hf", "path": "my-org/my-rerank", "revision": "r1"},
    }
    (specs / "HubRerank.yaml").write_text(yaml.safe_dump(body), encoding="utf-8")
    repo = mirror / "my-org" / "my-rerank"
    _jsonl(repo / "dev.jsonl", RERANK_ROWS)
    # datasets names a card-less dev.jsonl "validation": caught before loading
    with pytest.raises(DataError, match=r"split 'dev' is missing .*has: validation.*configs"):
        get_tasks(["HubRerank"], spec_paths=[specs], data_dir=mirror)
    (repo / "README.md").write_text(
        "---\nconfigs:\n- config_name: default\n  data_files:\n"
        "  - split: dev\n    path: dev.jsonl\n---\n",
        encoding="utf-8",
    )
    (task,) = get_tasks(["HubRerank"], spec_paths=[specs], data_dir=mirror)
    assert _evaluate(task)["map_at_1000"] == pytest.approx(1.0)
    _jsonl(mirror / "my-org" / "my-rerank" / "dev.jsonl", [{"query": "q", "docs": ["a"]}])
    with pytest.raises(DataError, match=r"dev\.jsonl lacks column\(s\) positive, negative"):
        get_tasks(["HubRerank"], spec_paths=[specs], data_dir=mirror)


def test_a_broken_spec_blocks_only_itself(tmp_path: Path) -> None:
    write_sts(tmp_path)
    (tmp_path / "ci.yml").write_text("jobs:\n  test: {runs-on: ubuntu}\n", encoding="utf-8")
    (tmp_path / "list.yaml").write_text("- a\n- b\n", encoding="utf-8")
    (tmp_path / "typo.yaml").write_text("name: Typo\ntpye: sts\n", encoding="utf-8")
    (tmp_path / "latin1.yaml").write_bytes(b"name: Latin\ndescription: caf\xe9\n")
    (task,) = get_tasks(["MySTS"], spec_paths=[tmp_path])
    assert task.metadata.name == "MySTS"
    # asked for by name, a broken spec gives its own file and line
    with pytest.raises(TaskSpecError, match=r"typo\.yaml:2: tpye: unknown key"):
        get_tasks(["Typo"], spec_paths=[tmp_path])
    with pytest.raises(TaskSpecError, match=r"latin1\.yaml:2: not valid UTF-8 .*0xe9"):
        get_tasks(["Latin"], spec_paths=[tmp_path])
    # an unknown name says which spec files could not be read
    with pytest.raises(UnknownNameError, match=r"spec file\(s\) could not be read"):
        get_tasks(["NoSuchTask"], spec_paths=[tmp_path])
