"""Hostile input to the custom task spec reader and the rows readers: every file is refused
with mtebkit's named error (file:line), never a hang, an unbounded read or a raw traceback."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from mtebkit.errors import MtebkitError
from mtebkit.tasks import load_spec
from mtebkit.tasks._readers import (
    read_classification_rows,
    read_clustering_rows,
    read_pair_rows,
    read_reranking_rows,
    read_sts_rows,
)

pytestmark = pytest.mark.faults
REPO = Path(__file__).resolve().parents[2]

_DISCOVER = textwrap.dedent(
    """
    import sys
    from mtebkit.tasks._discovery import discover_specs
    cat = discover_specs([sys.argv[1]])
    assert "DemoSTSEn" in cat.specs, sorted(cat.specs)
    for path, err in cat.broken.items():
        print("BROKEN", path, type(err).__name__, str(err)[:200])
    """
)


def _laughs() -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def _make_hostile(folder: Path, kind: str) -> None:
    if kind == "laughs":
        (folder / "x.yaml").write_text(_laughs())
    elif kind == "deep":
        (folder / "x.yaml").write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    elif kind == "fifo":
        os.mkfifo(folder / "x.yaml")
    elif kind == "devzero":
        (folder / "spec.yaml").symlink_to("/dev/zero")


@pytest.mark.parametrize("kind", ["laughs", "deep", "fifo", "devzero"])
def test_one_bad_file_never_breaks_discovery(tmp_path: Path, kind: str) -> None:
    _make_hostile(tmp_path, kind)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.run(
        [sys.executable, "-c", _DISCOVER, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "BROKEN" in proc.stdout and "TaskSpecError" in proc.stdout


def _rows(tmp_path: Path, lines: list[str]) -> Path:
    p = tmp_path / "rows.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_huge_label_is_named_error(tmp_path: Path) -> None:
    p = _rows(tmp_path, [json.dumps({"text": "a", "label": 10**30})])
    with pytest.raises(MtebkitError, match=r"rows.jsonl:1: .*64-bit"):
        read_classification_rows(p)


def test_lone_surrogate_is_named_error(tmp_path: Path) -> None:
    p = _rows(tmp_path, ['{"text": "\\ud800", "label": 1}'])
    with pytest.raises(MtebkitError, match=r"rows.jsonl:1: .*surrogate"):
        read_classification_rows(p)


def test_nan_score_and_duplicate_keys(tmp_path: Path) -> None:
    p = _rows(tmp_path, ['{"sentence1": "a", "sentence2": "b", "score": NaN}'])
    with pytest.raises(MtebkitError, match=r"rows.jsonl:1: NaN"):
        read_sts_rows(p, 0, 5)
    p = _rows(tmp_path, ['{"text": "a", "text": "b", "label": 1}'])
    with pytest.raises(MtebkitError, match=r"rows.jsonl:1: key 'text' is given twice"):
        read_classification_rows(p)


def test_zero_width_text_is_empty(tmp_path: Path) -> None:
    p = _rows(tmp_path, [json.dumps({"text": "\u200b\u200b", "label": 1})])
    with pytest.raises(MtebkitError, match=r"rows.jsonl:1: field 'text' is empty"):
        read_classification_rows(p)


def test_clustering_labels_differing_by_whitespace(tmp_path: Path) -> None:
    p = _rows(
        tmp_path,
        [json.dumps({"text": "a", "label": "x"}), json.dumps({"text": "b", "label": "x "})],
    )
    with pytest.raises(MtebkitError, match=r"rows.jsonl:2: label 'x ' differs from label 'x'"):
        read_clustering_rows(p, None)


def test_spec_nan_and_huge_int(tmp_path: Path) -> None:
    base = (
        "name: T\ntype: classification\ndescription: d\nlanguages: [eng-Latn]\n"
        "main_score: accuracy\ndata: {format: rows, files: {train: a.jsonl, test: b.jsonl}}\n"
    )
    p = tmp_path / "t.yaml"
    p.write_text(base + "n_experiments: 1000000000000000000000000000000\n")
    with pytest.raises(MtebkitError, match=r"t.yaml:7: n_experiments: .*64 bits"):
        load_spec(p)
    p.write_text(
        base.replace("type: classification", "type: sts")
        .replace("main_score: accuracy", "main_score: spearman\nmin_score: .nan\nmax_score: 5")
        .replace("train: a.jsonl, ", "")
    )
    with pytest.raises(MtebkitError, match=r"min_score: must be a finite number"):
        load_spec(p)


@functools.cache
def _strategies() -> tuple[Any, Any]:
    """(keys, values) of the fuzzed documents; hypothesis is imported here, not at collection."""
    from hypothesis import strategies as st

    _scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**40), max_value=10**40),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=8),
    )
    _values = st.recursive(
        _scalars,
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
        ),
        max_leaves=12,
    )
    _keys = st.sampled_from(
        [
            "name",
            "type",
            "description",
            "languages",
            "main_score",
            "data",
            "min_score",
            "max_score",
            "n_experiments",
            "samples_per_label",
            "text",
            "label",
            "score",
            "sentence1",
            "sentence2",
            "query",
            "positive",
            "negative",
        ]
    )
    return _keys, _values


def test_spec_reader_only_named_errors(tmp_path_factory: pytest.TempPathFactory) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    _keys, _values = _strategies()

    @settings(max_examples=150, deadline=None)
    @given(doc=st.dictionaries(_keys, _values, max_size=8))
    def check(doc: dict) -> None:
        p = tmp_path_factory.mktemp("spec") / "s.yaml"
        try:
            text = yaml.safe_dump(doc, allow_unicode=False)
        except Exception:
            return
        p.write_text(text, encoding="utf-8")
        with contextlib.suppress(MtebkitError):
            load_spec(p)

    check()


def test_rows_readers_only_named_errors(tmp_path_factory: pytest.TempPathFactory) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    _keys, _values = _strategies()

    @settings(max_examples=150, deadline=None)
    @given(rows=st.lists(st.dictionaries(_keys, _values, max_size=5), min_size=0, max_size=4))
    def check(rows: list[dict]) -> None:
        p = tmp_path_factory.mktemp("rows") / "r.jsonl"
        p.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
        for read in (
            read_classification_rows,
            read_pair_rows,
            read_reranking_rows,
            lambda q: read_clustering_rows(q, None),
            lambda q: read_sts_rows(q, 0.0, 5.0),
        ):
            with contextlib.suppress(MtebkitError):
                read(p)

    check()


def test_tasks_marks_unpinned_specs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mtebkit.cli import main

    (tmp_path / "s.jsonl").write_text(
        '{"sentence1": "a", "sentence2": "b", "score": 1}\n'
        '{"sentence1": "c", "sentence2": "d", "score": 2}\n'
    )
    (tmp_path / "u.yaml").write_text(
        "name: UnpinnedSts\ntype: sts\ndescription: d\nlanguages: [eng-Latn]\n"
        "main_score: spearman\nmin_score: 0\nmax_score: 5\n"
        "data: {format: rows, files: {test: s.jsonl}}\n"
    )
    main(["tasks", "--custom-only", "--wide", "--tasks-path", str(tmp_path)])
    line = next(x for x in capsys.readouterr().out.splitlines() if "UnpinnedSts" in x)
    assert "unpinned" in line
