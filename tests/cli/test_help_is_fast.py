"""The CLI answers --help without importing torch, mteb, transformers or pandas."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mtebkit.cli import COMMANDS, main

HEAVY = (
    "torch",
    "mteb",
    "transformers",
    "pandas",
    "matplotlib",
    "datasets",
    "sentence_transformers",
    "ray",
)


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    last = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    return {m for m in last.split(",") if m in HEAVY}


def test_help_imports_nothing_heavy() -> None:
    code = "from mtebkit.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    assert _loaded_after(code) == set()


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_subcommand_help_imports_nothing_heavy(command: str) -> None:
    code = f"from mtebkit.cli import main\ntry:\n    main([{command!r}, '--help'])\nexcept SystemExit:\n    pass"
    assert _loaded_after(code) == set(), command


def test_import_mtebkit_is_light() -> None:
    assert _loaded_after("import mtebkit") == set()


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "run" in capsys.readouterr().out


def test_unknown_preset_is_a_clean_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "BAAI/bge-bse-en-v1.5"]) == 2
    err = capsys.readouterr().err
    assert "Did you mean" in err and "BAAI/bge-base-en-v1.5" in err and "Traceback" not in err


def test_a_closed_pipe_is_not_an_error() -> None:
    # `mtebkit tasks | head -1`: the reader leaves while ~2,000 lines (far more than a pipe
    # buffer) are still to come; no error message, exit 0
    proc = subprocess.run(
        f"set -o pipefail; {sys.executable} -m mtebkit tasks --all-modalities --wide | head -1",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.startswith("name") and "error" not in proc.stderr
