"""A classification mirror with a short train split or labels of the wrong type: an error naming
the file and the row, raised when the task loads (before anything is encoded)."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from mtebkit.errors import DataError
from mtebkit.tasks import get_tasks
from mtebkit.tasks._rows_check import label_problem

BANKING = "mteb/banking77"


def _rows(path: Path) -> list[dict[str, object]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _write(path: Path, rows: list[dict[str, object]]) -> None:
    path.chmod(0o644)
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)


@pytest.fixture
def banking_copy(data_dir: Path, tmp_path: Path) -> Path:
    root = tmp_path / "hf"
    shutil.copytree(data_dir / BANKING, root / BANKING)
    for p in (root / BANKING).iterdir():
        p.chmod(0o644)
    return root


def _load(root: Path) -> None:
    (task,) = get_tasks(["Banking77Classification"], data_dir=root)
    task.load_data()


def test_a_short_train_split_names_the_file_and_its_length(banking_copy: Path) -> None:
    train = banking_copy / BANKING / "train.jsonl.gz"
    _write(train, _rows(train)[:-1])  # one row lost: undersampling would pick other rows
    with pytest.raises(DataError) as exc:
        _load(banking_copy)
    msg = str(exc.value)
    assert str(train) in msg and "has 10002 rows" in msg and "say 10003" in msg
    assert "Banking77Classification" in msg


def test_float_labels_name_the_file_and_row(banking_copy: Path) -> None:
    # floats in one split only are cast back to the other's int64 by datasets: harmless; a
    # float column in every split reaches mteb as floats
    for split in ("train", "test"):
        path = banking_copy / BANKING / f"{split}.jsonl.gz"
        _write(path, [{**r, "label": float(r["label"])} for r in _rows(path)])  # type: ignore[arg-type]
    with pytest.raises(DataError) as exc:
        _load(banking_copy)
    msg = str(exc.value)
    train = banking_copy / BANKING / "train.jsonl.gz"
    assert str(train) in msg and "row 1 (train split)" in msg and "is a float" in msg


def test_label_names_against_int_train_labels(banking_copy: Path) -> None:
    test = banking_copy / BANKING / "test.jsonl.gz"
    rows = _rows(test)
    _write(test, [{**r, "label": r["label_text"]} for r in rows])  # names where ids belong
    # datasets cannot cast the names to the train split's int64: a named error, not a traceback
    with pytest.raises(DataError, match=r"task Banking77Classification: loading .*banking77"):
        _load(banking_copy)


def test_the_real_mirror_passes(data_dir: Path) -> None:
    _load(data_dir)


@pytest.mark.parametrize(
    ("labels", "expected", "found"),
    [
        ([1, 2, 3], None, None),
        (["a", "b"], None, None),
        ([1, 2.0], None, (1, "is a float")),
        ([1, None], None, (1, "is a NoneType")),
        ([True, 1], None, (0, "is a bool")),
        ([1, "1"], None, (1, "the labels before it are ints")),
        (["1"], int, (0, "is a str")),
    ],
)
def test_label_problem(
    labels: list[object], expected: type | None, found: tuple[int, str] | None
) -> None:
    got = label_problem(labels, expected)
    if found is None:
        assert got is None
    else:
        assert got is not None and got[0] == found[0] and found[1] in got[1]
