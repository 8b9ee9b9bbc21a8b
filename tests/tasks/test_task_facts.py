"""The shipped task-facts snapshot and the JSON reader agree with mteb itself."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"


def test_the_snapshot_is_mtebs_registry() -> None:
    from mtebkit.tasks._facts import _installed_mteb, _snapshot, live_facts

    snap = _snapshot()
    assert snap is not None, (
        f"mteb_task_facts.json is not for mteb {_installed_mteb()}: "
        "regenerate it with `python -m mtebkit.tasks._facts`"
    )
    assert snap == live_facts(), "regenerate it with `python -m mtebkit.tasks._facts`"


def test_facts_equal_describe_task() -> None:
    from mtebkit.tasks import describe_task, task_facts

    for name in ("STS22", "AFQMC", "T2RerankingZh2En", "DemoSTSEn", "NoSuchTask"):
        info, facts = describe_task(name), task_facts(name)
        if info is None:
            assert facts is None
            continue
        assert facts is not None
        assert (facts.type, facts.main_score, facts.splits) == (
            info.type,
            info.main_score,
            info.splits,
        )


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="no shared reference results")
def test_the_reader_gives_mtebs_scores() -> None:
    from mteb.results import TaskResult

    from mtebkit.results import read_task_result

    files = sorted(p for p in REFERENCE.rglob("*.json") if p.name != "model_meta.json")
    assert files
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or ("scores" not in data and "mteb_dataset_name" not in data):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = TaskResult.from_disk(path)
        got = read_task_result(path, data)
        assert got.task_name == want.task_name, path
        # as JSON: NaN scores (a constant prediction) equal each other there
        assert json.dumps(got.scores, sort_keys=True) == json.dumps(want.scores, sort_keys=True)


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (lambda d: d.pop("evaluation_time"), "evaluation_time"),
        (lambda d: d.__setitem__("scores", []), "scores"),
        (lambda d: d["scores"]["test"][0].pop("main_score"), "main_score"),
        (lambda d: d["scores"]["test"][0].__setitem__("hf_subset", 3), "hf_subset"),
    ],
)
def test_the_reader_refuses_what_mteb_refuses(edit: object, why: str, tmp_path: Path) -> None:
    from mtebkit.results import read_task_result
    from tests.helpers.reporting.factory import result_json, sts

    data = result_json("STS22", sts(0.5), main_metric="cosine_spearman")
    edit(data)  # type: ignore[operator]
    with pytest.raises(ValueError, match=why):
        read_task_result(tmp_path / "STS22.json", data)
