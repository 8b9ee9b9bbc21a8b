"""Offline dataset mirrors (--data-dir): resolution, offline mode, cheap checks, no global leaks."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from mtebkit import DataError, MirrorMissingError, UnknownNameError
from mtebkit.cli import main
from mtebkit.tasks import get_benchmark_tasks, get_tasks, hf_offline, list_tasks
from tests.helpers.mirror import STS12, STS_ROWS, _card, _jsonl, write_sts12

SCIFACT = "mteb/scifact"


def write_scifact(
    root: Path, *, qrels_cols: tuple[str, ...] = ("query-id", "corpus-id", "score")
) -> Path:
    repo = root / SCIFACT
    _jsonl(repo / "corpus.jsonl", [{"_id": "1", "title": "", "text": "doc one"}])
    _jsonl(repo / "queries.jsonl", [{"_id": "q1", "text": "query one"}])
    _jsonl(repo / "qrels" / "test.jsonl", [dict(zip(qrels_cols, ["q1", "1", 1], strict=True))])
    (repo / "README.md").write_text(
        _card(
            [
                {
                    "config_name": "default",
                    "data_files": [{"split": "test", "path": "qrels/test.jsonl"}],
                },
                {
                    "config_name": "corpus",
                    "data_files": [{"split": "corpus", "path": "corpus.jsonl"}],
                },
                {
                    "config_name": "queries",
                    "data_files": [{"split": "queries", "path": "queries.jsonl"}],
                },
            ]
        ),
        encoding="utf-8",
    )
    return repo


# ---------------------------------------------------------------------------- offline switch


def test_hf_offline_patches_and_restores(monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets.config
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    with hf_offline():
        assert huggingface_hub.constants.is_offline_mode() is True
        assert datasets.config.HF_HUB_OFFLINE is True
        assert os.environ["HF_DATASETS_OFFLINE"] == "1"
    assert huggingface_hub.constants.HF_HUB_OFFLINE is False
    assert datasets.config.HF_HUB_OFFLINE is False
    assert "HF_DATASETS_OFFLINE" not in os.environ


# ---------------------------------------------------------------------------- resolution


def test_native_task_loads_from_mirror_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datasets.config
    import huggingface_hub.constants
    import mteb
    import mteb.abstasks.abstask as abstask_mod

    repo = write_sts12(tmp_path)
    (task,) = get_tasks(["STS12"], data_dir=tmp_path)
    assert task.metadata.dataset == {"path": str(repo.resolve()), "revision": STS12[1]}
    assert isinstance(task, type(mteb.get_task("STS12")))
    assert type(task).__name__ == "STS12STS"
    # mteb's own objects are untouched
    assert mteb.get_task("STS12").metadata.dataset["path"] == STS12[0]

    seen: list[tuple[bool, bool]] = []
    real = abstask_mod.load_dataset

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append((huggingface_hub.constants.HF_HUB_OFFLINE, datasets.config.HF_HUB_OFFLINE))
        return real(*args, **kwargs)

    monkeypatch.setattr(abstask_mod, "load_dataset", spy)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    task.load_data()
    assert seen == [(True, True)]
    assert huggingface_hub.constants.HF_HUB_OFFLINE is False  # restored after loading
    assert task.dataset["test"]["sentence1"] == [r["sentence1"] for r in STS_ROWS]


def test_mirror_without_card_infers_splits(tmp_path: Path) -> None:
    write_sts12(tmp_path, card=False)
    (task,) = get_tasks(["STS12"], data_dir=tmp_path)
    task.load_data()
    assert len(task.dataset["test"]) == len(STS_ROWS)


def test_env_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = write_sts12(tmp_path)
    monkeypatch.setenv("MTEBKIT_DATA_DIR", str(tmp_path))
    (task,) = get_tasks(["STS12"])
    assert task.metadata.dataset["path"] == str(repo.resolve())
    monkeypatch.delenv("MTEBKIT_DATA_DIR")
    (task,) = get_tasks(["STS12"])
    assert task.metadata.dataset["path"] == STS12[0]  # no data dir: mteb's normal behaviour


def test_missing_dataset_fails_at_once_with_download_hint(tmp_path: Path) -> None:
    expected = tmp_path.resolve() / STS12[0]
    with pytest.raises(MirrorMissingError) as exc:
        get_tasks(["STS12"], data_dir=tmp_path)
    msg = str(exc.value)
    assert str(expected) in msg
    assert (
        f"hf download --repo-type dataset {STS12[0]} --revision {STS12[1]} --local-dir {expected}"
    ) in msg


def test_missing_data_dir(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        get_tasks(["STS12"], data_dir=tmp_path / "absent")


def test_missing_split_names_the_card(tmp_path: Path) -> None:
    repo = tmp_path / STS12[0]
    _jsonl(repo / "validation.jsonl", STS_ROWS)
    (repo / "README.md").write_text(
        _card(
            [
                {
                    "config_name": "default",
                    "data_files": [{"split": "validation", "path": "validation.jsonl"}],
                }
            ]
        ),
        encoding="utf-8",
    )
    with pytest.raises(
        DataError, match=rf"split 'test' is missing .*{re.escape(str(repo / 'README.md'))}"
    ):
        get_tasks(["STS12"], data_dir=tmp_path)


def test_declared_file_absent(tmp_path: Path) -> None:
    repo = write_sts12(tmp_path)
    (repo / "test.jsonl").unlink()
    with pytest.raises(DataError, match=r"no file in .* matches test\.jsonl"):
        get_tasks(["STS12"], data_dir=tmp_path)


def test_wrong_columns_name_the_file(tmp_path: Path) -> None:
    rows = [{"text_a": "x", "text_b": "y", "score": 1.0}]
    repo = write_sts12(tmp_path, rows=rows)
    with pytest.raises(
        DataError,
        match=rf"{re.escape(str(repo.resolve() / 'test.jsonl'))} lacks column\(s\) sentence1, sentence2",
    ):
        get_tasks(["STS12"], data_dir=tmp_path)


def test_retrieval_mirror_checks_qrels_columns(tmp_path: Path) -> None:
    write_scifact(tmp_path)
    (task,) = get_tasks(["SciFact"], data_dir=tmp_path)
    task.load_data()
    assert task.dataset["default"]["test"]["relevant_docs"] == {"q1": {"1": 1}}
    bad = tmp_path / "bad"
    write_scifact(bad, qrels_cols=("qid", "corpus-id", "score"))
    with pytest.raises(DataError, match=r"qrels/test\.jsonl lacks column\(s\) query-id"):
        get_tasks(["SciFact"], data_dir=bad)


def test_benchmark_tasks_are_copies(tmp_path: Path) -> None:
    import mteb

    tasks = get_benchmark_tasks("MTEB(cmn, v1)")
    shared = mteb.get_benchmark("MTEB(cmn, v1)").tasks
    assert [t.metadata.name for t in tasks] == [t.metadata.name for t in shared]
    assert all(a is not b for a, b in zip(tasks, shared, strict=True))
    assert len(get_benchmark_tasks("C-MTEB")) == len(tasks)  # mtebkit alias
    with pytest.raises(MirrorMissingError, match="T2Retrieval"):
        get_benchmark_tasks("MTEB(cmn, v1)", data_dir=tmp_path)
    assert (
        mteb.get_benchmark("MTEB(cmn, v1)").tasks[0].metadata.dataset["path"] == "mteb/T2Retrieval"
    )
    with pytest.raises(UnknownNameError, match="Unknown benchmark"):
        get_benchmark_tasks("MTEB(klingon)")


def test_list_tasks_reports_mirror_presence(tmp_path: Path) -> None:
    write_sts12(tmp_path)
    infos = {i.name: i for i in list_tasks(data_dir=tmp_path, spec_paths=[])}
    assert infos["STS12"].present_in_mirror is True
    assert infos["STS13"].present_in_mirror is False
    assert infos["STS12"].source == f"{STS12[0]}@{STS12[1]}"
    assert infos["T2RerankingZh2En"].kind == "builtin"
    assert list_tasks(spec_paths=[])[0].present_in_mirror is None


@pytest.mark.shared
def test_real_shared_mirror_loads(data_dir: Path) -> None:
    tasks = get_tasks(["STS12", "SciFact", "LCQMC"], data_dir=data_dir, spec_paths=[])
    sts12, scifact, lcqmc = tasks
    sts12.load_data()
    assert len(sts12.dataset["test"]) == 3108
    scifact.load_data()
    assert len(scifact.dataset["default"]["test"]["queries"]) == 300
    lcqmc.load_data()
    assert len(lcqmc.dataset["test"]) == 12500


def test_changed_mirror_is_not_served_from_a_stale_cache(tmp_path: Path) -> None:
    """datasets keys local folders on name + patterns only; mtebkit keys its cache on content."""
    import datasets.config

    cache_before = datasets.config.HF_DATASETS_CACHE
    write_sts12(tmp_path / "one")
    (task,) = get_tasks(["STS12"], data_dir=tmp_path / "one")
    task.load_data()
    assert len(task.dataset["test"]) == len(STS_ROWS)
    other_rows = STS_ROWS[:3]
    write_sts12(tmp_path / "two", rows=other_rows)  # same repo name, other content
    (task,) = get_tasks(["STS12"], data_dir=tmp_path / "two")
    task.load_data()
    assert task.dataset["test"]["sentence1"] == [r["sentence1"] for r in other_rows]
    assert cache_before == datasets.config.HF_DATASETS_CACHE


def test_benchmark_lists_every_missing_dataset_with_a_command_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import mteb

    from mtebkit._util.hub import hub_download_command

    tasks = mteb.get_benchmark("MTEB(cmn, v1)").tasks
    present = tasks[0].metadata.dataset["path"]
    (tmp_path / present).mkdir(parents=True)  # one there: it must not be listed
    with pytest.raises(MirrorMissingError) as exc:
        get_benchmark_tasks("MTEB(cmn, v1)", data_dir=tmp_path)
    text = str(exc.value)
    paths = {str(t.metadata.dataset["path"]) for t in tasks}
    assert f"{len(paths) - 1} dataset(s) are not in the mirror" in text
    for t in tasks[1:]:
        ds = t.metadata.dataset
        if ds["path"] == present:
            continue
        cmd = hub_download_command(
            ds["path"],
            revision=ds["revision"],
            repo_type="dataset",
            local_dir=tmp_path / ds["path"],
        )
        assert text.count(cmd) == 1, cmd
    assert f" {present} " not in text and f"/{present}\n" not in text
    # mtebkit run says the same, as an error line (exit 2), not a traceback
    argv = ["run", "--benchmark", "MTEB(cmn, v1)", "--data-dir", str(tmp_path), "-q"]
    assert main([*argv, "--results", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    cli = hub_download_command("org/x").split()[0]
    assert err.startswith("mtebkit: error:") and err.count(f"{cli} download ") == len(paths) - 1
