"""RunConfig: one declaration per option, validated on construction, the same from Python, the
CLI and a YAML run file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from mtebkit.cli import build_parser, main, run_config
from mtebkit.errors import ConfigError
from mtebkit.evaluation import Cli, RunConfig

MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def test_a_bad_value_is_refused_on_construction_naming_the_field() -> None:
    with pytest.raises(
        ConfigError, match=r"encoder\.batch_size: .*greater than or equal to 1, got 0"
    ):
        RunConfig(models=[MODEL], batch_size=0)
    with pytest.raises(ConfigError, match=r"encoder\.batch_size: .*integer, got True"):
        RunConfig(models=[MODEL], batch_size=True)  # True is not a count
    with pytest.raises(
        ConfigError, match=r"encoder\.pooling: .*'cls', 'mean' or 'last_token', got 'max'"
    ):
        RunConfig(models=[MODEL], pooling="max")
    with pytest.raises(ConfigError, match=r"runtime\.cpu_lanes"):
        RunConfig(models=[MODEL], cpu_lanes=-1)
    with pytest.raises(ConfigError, match=r"models: .*at least 1"):
        RunConfig(models=[])
    with pytest.raises(ConfigError, match="give tasks or benchmark, not both"):
        RunConfig(models=[MODEL], tasks=["STS12"], benchmark="MTEB(eng, v1)")


def test_an_unknown_option_says_what_was_meant() -> None:
    with pytest.raises(
        ConfigError, match=r"unknown run option 'batchsize' \(did you mean 'batch_size'\?\)"
    ):
        RunConfig(models=[MODEL], batchsize=4)


def test_flat_and_grouped_are_the_same_config_and_it_is_frozen() -> None:
    flat = RunConfig(models=[MODEL], batch_size=8, tasks=["STS12"], use_cache=False)
    grouped = RunConfig(
        models=[MODEL],
        encoder={"batch_size": 8},
        selection={"tasks": ["STS12"]},
        runtime={"use_cache": False},
    )
    assert flat == grouped
    assert flat.encoder.batch_size == 8 and flat.selection.tasks == ("STS12",)
    assert RunConfig(models=MODEL).models == (MODEL,)  # one model, not its characters
    with pytest.raises(Exception, match="frozen"):
        flat.encoder.batch_size = 4  # type: ignore[misc]
    changed = flat.replace(batch_size=16)
    assert changed.encoder.batch_size == 16 and flat.encoder.batch_size == 8
    with pytest.raises(ConfigError, match=r"encoder\.batch_size"):
        flat.replace(batch_size=0)  # a copy is validated like a new config


def _cli(argv: list[str]) -> RunConfig:
    return run_config(argv)


def test_cli_yaml_and_python_build_the_same_object(tmp_path: Path) -> None:
    argv = [
        "--model", MODEL, "--tasks", "STS12", "SciFact", "--batch-size", "16",
        "--max-length", "256", "--pooling", "mean", "--no-normalize", "--no-fp16",
        "--instruction", "SciFact=Find: ", "--instruction", "STS12=", "--no-cache",
        "--rerank-top-k", "10", "50", "--dim", "128", "--precision", "int8", "-q",
        "--results", str(tmp_path / "res"), "--tasks-path", "a", "--tasks-path", "b",
    ]  # fmt: skip
    from_cli = _cli(argv)
    python = RunConfig(
        models=[MODEL],
        tasks=["STS12", "SciFact"],
        batch_size=16,
        max_length=256,
        pooling="mean",
        normalize=False,
        use_fp16=False,
        task_instructions={"SciFact": "Find: ", "STS12": None},
        use_cache=False,
        rerank_top_k=[10, 50],
        dims=[128],
        precisions=["int8"],
        show_progress=False,
        results_dir=tmp_path / "res",
        spec_paths=[Path("a"), Path("b")],
    )
    assert from_cli == python
    run_file = tmp_path / "run.yaml"
    run_file.write_text(
        f"""models: [{MODEL}]
tasks: [STS12, SciFact]
encoder:
  batch_size: 16
  max_length: 256
  pooling: mean
  normalize: false
  use_fp16: false
  task_instructions: {{SciFact: "Find: ", STS12: null}}
use_cache: false
rerank_top_k: [10, 50]
dims: [128]
precisions: [int8]
show_progress: false
results_dir: {tmp_path / "res"}
spec_paths: [a, b]
""",
        encoding="utf-8",
    )
    assert RunConfig.from_yaml(run_file) == python
    # a flag wins over the file; what the flags do not say stays the file's
    over = _cli(["--config", str(run_file), "--batch-size", "32"])
    assert over == python.replace(batch_size=32)


def test_every_option_has_one_generated_flag() -> None:
    parser = build_parser(only="run")
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    run = sub.choices["run"]
    dests = {a.dest for a in run._actions}
    for _, model, name in RunConfig.fields():
        if model is None:
            continue
        cli = next((m for m in model.model_fields[name].metadata if isinstance(m, Cli)), None)
        assert cli is not None, f"{name} has no Cli metadata"
        assert name in dests or f"{name}_pairs" in dests, name
        for flag in cli.flags:
            assert flag in run._option_string_actions, flag


def test_cli_defaults_are_the_configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MTEBKIT_DATA_DIR", raising=False)
    assert _cli([]) == RunConfig(models=[MODEL])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2]", "a run file is a mapping of options, not list"),
        ("batchsize: 3", "unknown run option 'batchsize'"),
        ("batch_size: 0", "encoder.batch_size"),
        ("a: [1", "not valid YAML"),
        ("encoder: {pooling: max}", "encoder.pooling"),
        # read as task specs are: a billion-laughs file and deep nesting are refused, not expanded
        (
            "a: &a [x, x]\n"
            + "".join(
                f"{c}: &{c} [*{p}, *{p}, *{p}]\n"
                for p, c in zip("abcdefghijkl", "bcdefghijklm", strict=True)
            ),
            "alias uses",
        ),
        ("tasks: " + "[" * 100 + "]" * 100, "nested deeper"),
    ],
)
def test_a_bad_run_file_is_a_named_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    run_file = tmp_path / "run.yaml"
    run_file.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=str(run_file)):
        RunConfig.from_yaml(run_file, models=[MODEL])
    code = main(["run", "--config", str(run_file), "--results", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and str(run_file) in err and message in err, err
    assert "Traceback" not in err and not (tmp_path / "r").exists()


def test_a_run_file_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "run.yaml"
    os.mkfifo(fifo)  # would block a plain open() forever
    with pytest.raises(ConfigError, match="not a regular file"):
        RunConfig.from_yaml(fifo, models=[MODEL])


def test_a_missing_run_file_is_a_named_error(tmp_path: Path) -> None:
    options: dict[str, Any] = {"models": [MODEL]}
    with pytest.raises(ConfigError, match="run file not found"):
        RunConfig.from_yaml(tmp_path / "nope.yaml", **options)


def test_both_executors_get_the_cache_from_the_same_options(tmp_path: Path) -> None:
    """Issue: ``run_evaluation(cfg, executor=RayExecutor())`` lost the configured cache; now the
    one factory builds either executor from the run's options."""
    from mtebkit.evaluation import InProcessExecutor, RayExecutor, make_executor

    here = make_executor(RunConfig(models=[MODEL], cache_dir=tmp_path / "c", show_progress=False))
    assert isinstance(here, InProcessExecutor)
    assert here.models.cache is not None and here.models.cache.root == tmp_path / "c"
    ray = make_executor(RunConfig(models=[MODEL], cache_dir=tmp_path / "c", ray=True))
    assert isinstance(ray, RayExecutor)
    assert ray.use_cache and ray.cache_dir == str(tmp_path / "c")
    off = make_executor(RunConfig(models=[MODEL], use_cache=False, ray_address="auto"))
    assert isinstance(off, RayExecutor) and not off.use_cache
    assert isinstance(make_executor(RunConfig(models=[MODEL], use_cache=False)), InProcessExecutor)
