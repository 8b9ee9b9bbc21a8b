"""Issue 12: every bad input is ``mtebkit: error: ...`` (or argparse's error) naming the file,
row or argument, exit 2, no traceback, and nothing computed or written before it."""

from __future__ import annotations

import contextlib
import gzip
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from mtebkit.cli import main
from mtebkit.errors import MtebkitError
from tests.helpers.hardening import MOCK_STS, own_cache, tiny_src
from tests.helpers.reporting.factory import sts, write_result

pytestmark = pytest.mark.faults
__all__ = ["own_cache", "tiny_src"]  # fixtures


def cli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    """Exit code and stderr of ``mtebkit argv`` (argparse errors exit through SystemExit)."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


# ---------------------------------------------------------------- spec files

_STS_SPEC = """\
format: mtebkit-task
name: MySTS
type: sts
description: d
languages: [eng-Latn]
main_score: cosine_spearman
min_score: {min_score}
max_score: 5
data:
  format: rows
  files:
    test: {data}
"""


def _sts_rows(path: Path, extra: bytes = b"") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        {"sentence1": "the cat plays", "sentence2": "a cat plays", "score": 4.0},
        {"sentence1": "a dog runs", "sentence2": "the river", "score": 1.0},
    ]
    path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in rows) + extra)


def _spec(
    root: Path, *, min_score: str = "0", data: str = "sts/test.jsonl", tail: str = ""
) -> Path:
    from mtebkit.tasks import rehash_spec

    root.mkdir(parents=True, exist_ok=True)
    spec = root / "MySTS.yaml"
    spec.write_text(_STS_SPEC.format(min_score=min_score, data=data) + tail, encoding="utf-8")
    # the case under test may be the spec itself: then it stays unhashed
    with contextlib.suppress(MtebkitError):
        rehash_spec(spec)
    return spec


Case = Callable[[Path, Path], tuple[list[str], str]]


def _run(model: Path, tmp: Path, *extra: str, tasks: tuple[str, ...] = (MOCK_STS,)) -> list[str]:
    return [
        "run",
        "--model",
        str(model),
        "--tasks",
        *tasks,
        "--results",
        str(tmp / "results"),
        "-q",
        *extra,
    ]


def case_max_length_negative(model: Path, tmp: Path) -> tuple[list[str], str]:
    return _run(
        model, tmp, "--max-length", "-5"
    ), "--max-length/--passage-max-length: must be >= 1, not -5"


def case_max_length_zero(model: Path, tmp: Path) -> tuple[list[str], str]:
    return _run(
        model, tmp, "--max-length", "0"
    ), "--max-length/--passage-max-length: must be >= 1, not 0"


def case_batch_size_zero(model: Path, tmp: Path) -> tuple[list[str], str]:
    return _run(model, tmp, "--batch-size", "0"), "--batch-size: must be >= 1, not 0"


def case_device_tpu(model: Path, tmp: Path) -> tuple[list[str], str]:
    return _run(model, tmp, "--device", "tpu"), "device 'tpu' is not supported"


def case_device_cuda_on_cpu(model: Path, tmp: Path) -> tuple[list[str], str]:
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is visible here")
    return _run(model, tmp, "--device", "cuda"), "device 'cuda': this torch has no CUDA device"


def case_results_is_a_file(model: Path, tmp: Path) -> tuple[list[str], str]:
    (tmp / "results").write_text("not a folder")
    return _run(model, tmp), f"--results {tmp / 'results'} is a file"


def case_instruction_unknown_task(model: Path, tmp: Path) -> tuple[list[str], str]:
    return _run(model, tmp, "--instruction", "NoSuchTask=x"), "NoSuchTask is not a task of this run"


def case_instruction_sts_task(model: Path, tmp: Path) -> tuple[list[str], str]:
    return _run(model, tmp, "--instruction", "MockSTSTask=x"), "MockSTSTask is a STS task"


def _spec_run(model: Path, tmp: Path) -> list[str]:
    return _run(model, tmp, "--tasks-path", str(tmp / "spec"), tasks=("MySTS",))


def case_invalid_utf8_in_data(model: Path, tmp: Path) -> tuple[list[str], str]:
    _sts_rows(tmp / "spec" / "sts" / "test.jsonl", extra=b'{"sentence1": "caf\xe9"}\n')
    _spec(tmp / "spec")
    return _spec_run(model, tmp), f"{tmp / 'spec' / 'sts' / 'test.jsonl'}:3: not valid UTF-8"


def case_invalid_utf8_in_spec(model: Path, tmp: Path) -> tuple[list[str], str]:
    _sts_rows(tmp / "spec" / "sts" / "test.jsonl")
    spec = _spec(tmp / "spec")
    spec.write_bytes(spec.read_bytes().replace(b"description: d", b"description: \xff"))
    return _spec_run(model, tmp), f"{spec}:4: not valid UTF-8"


def case_min_score_nan(model: Path, tmp: Path) -> tuple[list[str], str]:
    _sts_rows(tmp / "spec" / "sts" / "test.jsonl")
    spec = _spec(tmp / "spec", min_score=".nan")
    return _spec_run(model, tmp), f"{spec}:7: min_score: must be a finite number"


def case_duplicate_yaml_key(model: Path, tmp: Path) -> tuple[list[str], str]:
    _sts_rows(tmp / "spec" / "sts" / "test.jsonl")
    spec = _spec(tmp / "spec", tail="max_score: 4\n")
    return _spec_run(model, tmp), f"{spec}:13: key 'max_score' is given twice (lines 8 and 13)"


def case_data_outside_the_spec_folder(model: Path, tmp: Path) -> tuple[list[str], str]:
    _sts_rows(tmp / "elsewhere" / "test.jsonl")
    _spec(tmp / "spec", data="../elsewhere/test.jsonl")
    return _spec_run(model, tmp), "data path ../elsewhere/test.jsonl leaves the spec's folder"


def case_truncated_weights(model: Path, tmp: Path) -> tuple[list[str], str]:
    weights = model / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    return _run(model, tmp), f"{weights}: cannot be loaded"


def _with_scores(model: Path, tmp: Path, scores: object) -> Path:
    """Run once, then replace the result's ``scores`` (its "mtebkit" block stays valid)."""
    assert main(_run(model, tmp)) == 0
    (path,) = (tmp / "results").rglob("MockSTSTask.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["scores"] = scores
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def case_malformed_scores_in_result(model: Path, tmp: Path) -> tuple[list[str], str]:
    bad = {"test": [{"main_score": 0.5, "hf_subset": 3, "languages": "eng"}]}
    path = _with_scores(model, tmp, bad)
    return _run(model, tmp), f"{path}: not a valid mteb result"


def case_scores_not_a_mapping(model: Path, tmp: Path) -> tuple[list[str], str]:
    path = _with_scores(model, tmp, ["oops"])
    return _run(model, tmp), f"{path}: 'scores' is not mteb's"


def _gate(tmp: Path) -> tuple[Path, Path]:
    results = tmp / "gate"
    write_result(results, "org/model", "STSBenchmark", sts(0.8), main_metric="cosine_spearman")
    base = tmp / "baseline.json"
    assert main(["baseline", "save", "--results", str(results), "--out", str(base)]) == 0
    return results, base


def case_check_tolerance_nan(model: Path, tmp: Path) -> tuple[list[str], str]:
    results, base = _gate(tmp)
    argv = ["check", "--results", str(results), "--baseline", str(base), "--tolerance", "nan"]
    return argv, "argument --tolerance: must be a finite number of points >= 0, not 'nan'"


def case_reproduce_tolerance_nan(model: Path, tmp: Path) -> tuple[list[str], str]:
    results, _ = _gate(tmp)
    argv = ["reproduce", "--published", str(results), "--results", str(results)]
    return [*argv, "--tolerance", "nan"], "argument --tolerance: must be a finite number"


def case_task_tolerance_nan(model: Path, tmp: Path) -> tuple[list[str], str]:
    results, _ = _gate(tmp)
    argv = ["baseline", "save", "--results", str(results), "--out", str(tmp / "b2.json")]
    return [*argv, "--task-tolerance", "STSBenchmark=nan"], "'STSBenchmark=nan': must be a finite"


CASES: list[Case] = [
    case_max_length_negative,
    case_max_length_zero,
    case_batch_size_zero,
    case_device_tpu,
    case_device_cuda_on_cpu,
    case_results_is_a_file,
    case_instruction_unknown_task,
    case_instruction_sts_task,
    case_invalid_utf8_in_data,
    case_invalid_utf8_in_spec,
    case_min_score_nan,
    case_duplicate_yaml_key,
    case_data_outside_the_spec_folder,
    case_truncated_weights,
    case_malformed_scores_in_result,
    case_scores_not_a_mapping,
    case_check_tolerance_nan,
    case_reproduce_tolerance_nan,
    case_task_tolerance_nan,
]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__.removeprefix("case_") for c in CASES])
def test_bad_input_is_a_named_error(
    case: Case, tiny_src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = Path(shutil.copytree(tiny_src, tmp_path / "tiny"))
    argv, expected = case(model, tmp_path)
    capsys.readouterr()
    before = sorted(p.name for p in (tmp_path / "results").rglob("*.json"))
    code, err = cli(capsys, argv)
    assert code == 2, err
    assert expected in err, err
    # nothing new was computed or written
    assert sorted(p.name for p in (tmp_path / "results").rglob("*.json")) == before


def test_a_truncated_mirror_file_is_named(
    shared_dir: Path, tiny_src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "hf"
    repo = data / "mteb" / "biosses-sts"
    shutil.copytree(shared_dir / "data" / "hf" / "mteb" / "biosses-sts", repo)
    gz = repo / "test.jsonl.gz"
    raw = gz.read_bytes()
    with gzip.open(gz) as fh:  # intact before: the damage is ours
        fh.read()
    gz.write_bytes(raw[: len(raw) // 2])
    argv = _run(tiny_src, tmp_path, "--data-dir", str(data), tasks=("BIOSSES",))
    code, err = cli(capsys, argv)
    assert code == 2
    assert f"mirror file {gz} is damaged or truncated" in err
    assert not list((tmp_path / "results").rglob("BIOSSES.json"))
