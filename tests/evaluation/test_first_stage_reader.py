"""The first-stage run reader (``--first-stage``: TREC run or mteb predictions JSON) gives a
named error with file:line (or file + key) on any input, never a raw Python exception."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mtebkit.errors import DataError, MtebkitError
from mtebkit.evaluation._first_stage import FirstStageRun, load_candidates


def _fast() -> Any:
    """Hypothesis settings of these fuzz tests (imported here: not at collection, ~1 s)."""
    from hypothesis import settings

    return settings(max_examples=60, deadline=None)


def _load(path: Path) -> Any:
    return load_candidates(FirstStageRun.of(path, "T"))


def _write(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


# ------------------------------------------------------------------------------------- TREC
@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("q1 Q0 d1 -1 0.5 t", r"T\.trec:1: rank '-1' is not between"),
        (f"q1 Q0 d1 {2**63} 0.5 t", r"T\.trec:1: rank .* is not between"),
        (f"q1 Q0 d1 {'9' * 5000} 0.5 t", r"T\.trec:1: rank .* is not a whole number"),
        ("q1 Q0 d1 1 nan t", r"T\.trec:1: score 'nan' is not a finite"),
        ("q1 Q0 d1 1 1e999 t", r"T\.trec:1: score '1e999' is not a finite"),
        ("q1 Q0 d1 1 -inf t", r"T\.trec:1: score '-inf' is not a finite"),
    ],
)
def test_trec_bad_values(tmp_path: Path, line: str, match: str) -> None:
    with pytest.raises(DataError, match=match):
        _load(_write(tmp_path, "T.trec", (line + "\n").encode()))


def test_trec_line_numbers_count_newlines_only(tmp_path: Path) -> None:
    # \x0c and \u2028 are line breaks to str.splitlines, not to the file's reader
    data = "q1 Q0 d1 1 1.0 t\x0c\nq1 Q0 d2 1 1.0 t \u2028\nq1 Q0 d3 x 1 t\n"
    with pytest.raises(DataError, match=r"T\.trec:3: rank 'x'"):
        _load(_write(tmp_path, "T.trec", data.encode()))


def test_trec_bad_encoding(tmp_path: Path) -> None:
    for data in [b"q1 Q0 \xed\xa0\x80 1 1 t\n", "q1 Q0 d1 1 1 t\n".encode("utf-16")]:
        with pytest.raises(DataError, match="cannot read the run file"):
            _load(_write(tmp_path, "T.trec", data))


def test_trec_reader_only_named_errors(tmp_path: Path) -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    field = st.one_of(
        st.text(max_size=6),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.sampled_from(["nan", "inf", "-inf", "1e999", "Q0", "\x00", "\ufeff", "\u2028", "1_0"]),
    )

    @_fast()
    @given(lines=st.lists(st.lists(field, min_size=0, max_size=8), max_size=6), raw=st.binary())
    def check(lines: list[list[str]], raw: bytes) -> None:
        text = "\n".join(" ".join(f) for f in lines)
        for data in [text.encode("utf-8", "surrogatepass"), raw, text.encode() + raw]:
            path = _write(tmp_path, "T.trec", data)
            try:
                cands, _ = _load(path)
            except DataError as exc:
                assert str(path) in str(exc)
                str(exc).encode("utf-8")  # printable
            else:
                for per_query in cands[(None, None)].values():
                    assert all(isinstance(s, float) for s in per_query.values())

    check()


# ------------------------------------------------------------------------- mteb predictions
@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('{"default": {"test": {"q1": {"d1": 1e999}}}}', r"\['q1'\]: not \{docid: finite"),
        ('{"default": {"test": {"q1": {"d1": NaN}}}}', r"\['q1'\]: not \{docid: finite"),
        ('{"default": {"test": {"q1": {"d1": -Infinity}}}}', r"not \{docid: finite"),
        ('{"default": {"test": {"q1": {"d1": ' + "9" * 400 + "}}}}", r"not \{docid: finite"),
        ('{"default": {"test": {"q1": {"d1": true}}}}', r"not \{docid: finite"),
        ('{"default": {"test": {"q1": {"d1": 1, "d1": 2}}}}', r"key 'd1' is given twice"),
        ('{"default": {"test": {"\\ud800": {"d1": 1}}}}', r"'\\ud800' is not valid text"),
        ('{"default": {"test": {"q1": {"\\udfff": 1}}}}', r"'\\udfff' is not valid text"),
        ('{"\\ud800": {"test": {}}}', r"is not valid text"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply|not an mteb predictions"),
        ('{"default": ' * 50_000 + "1" + "}" * 50_000, "nested too deeply|is not"),
        ("\ufeff{}", "cannot read the predictions file"),
    ],
)
def test_predictions_bad_values(tmp_path: Path, text: str, match: str) -> None:
    path = _write(tmp_path, "T_predictions.json", text.encode("utf-8", "surrogatepass"))
    with pytest.raises(DataError, match=match) as info:
        _load(path)
    assert str(path) in str(info.value)


def test_predictions_reader_only_named_errors(tmp_path: Path) -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    leaf = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=5),
    )
    any_json = st.recursive(
        leaf,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
        ),
        max_leaves=20,
    )
    key = st.one_of(st.text(max_size=4), st.sampled_from(["\ud800", "mteb_model_meta", "", "\x00"]))
    preds = st.dictionaries(
        key,
        st.dictionaries(
            key,
            st.dictionaries(key, st.dictionaries(key, any_json, max_size=3) | any_json, max_size=3)
            | any_json,
            max_size=2,
        )
        | any_json,
        max_size=3,
    )

    @_fast()
    @given(doc=preds | any_json, dup=st.booleans())
    def check(doc: Any, dup: bool) -> None:
        text = json.dumps(doc)  # NaN/Infinity and \ud800 escapes: what Python's json accepts
        if dup and text.startswith("{") and len(text) > 2:
            text = text[:-1] + ', "x": 1, "x": 2}'
        path = _write(tmp_path, "T_predictions.json", text.encode())
        try:
            cands, _ = _load(path)
        except DataError as exc:
            assert str(path) in str(exc)
            str(exc).encode("utf-8")
        except MtebkitError as exc:  # pragma: no cover - the reader raises DataError only
            pytest.fail(f"not a DataError: {exc!r}")
        else:
            for per_query in cands.values():
                for scores in per_query.values():
                    assert all(isinstance(s, float) for s in scores.values())

    check()
