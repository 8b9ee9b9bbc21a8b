"""The built wheel alone runs the main job: ``mtebkit run`` from an empty folder, no checkout.

The wheel is built from a copy of the tracked files, installed (``--no-deps``, offline) into a
fresh venv whose only other entry is the test venv's site-packages for the dependencies (torch,
mteb, ...): the source tree is not on its path, so the demo specs and data must come from the
wheel itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _tracked_copy(dest: Path) -> Path:
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.split(b"\0")
    for rel in filter(None, files):
        src = REPO / os.fsdecode(rel)
        if src.is_file():
            target = dest / os.fsdecode(rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    return dest


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_runs_the_demo_from_an_empty_folder(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs a git checkout to know the tracked files")
    src = _tracked_copy(tmp_path / "src")
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(dist), str(src)],
        check=True,
    )  # fmt: skip
    (wheel,) = dist.glob("mtebkit-*.whl")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True
    )
    # dependencies from this test venv (a path entry, not a site dir: its .pth files, such as
    # an editable install of the checkout, are not read)
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    work = tmp_path / "empty"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MTEBKIT_TASKS_PATH")} | {
        "HOME": str(tmp_path / "home"),
        "MTEBKIT_CACHE_DIR": str(tmp_path / "cache"),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
    }
    where = subprocess.run(
        [str(py), "-c", "import mtebkit; print(mtebkit.__file__)"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert Path(where).is_relative_to(venv), where  # the wheel's copy, not the checkout

    run = subprocess.run(
        [str(venv / "bin" / "mtebkit"), "run", "-q"],
        cwd=work, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    for name in ("DemoSTSEn", "DemoRetrievalEn", "DemoRerankingEn", "DemoSTSZh"):
        assert name in run.stdout
    results = list((work / "results").rglob("Demo*.json"))
    assert len(results) == 6, results
    assert "Traceback" not in run.stderr
