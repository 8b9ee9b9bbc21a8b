"""Issue 12's fault suite: kill -9 at several points of a run, a full disk, read-only folders, a
cache lock held past its timeout. Every re-run is compared bit for bit (scores and settings) with
an uninterrupted run.

A killed run is a real child process that SIGKILLs itself at a chosen point (its own functions
wrapped, so the moment is exact, not timed). Disk-full and read-only cases mount small tmpfs
folders, which needs root (as in CI); elsewhere they skip, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mtebkit.cli import main
from tests.helpers.hardening import own_cache, tiny_src

pytestmark = pytest.mark.faults
__all__ = ["own_cache", "tiny_src"]  # fixtures

BIG_STS = "tests.helpers.fault_tasks:BigSTSTask"
REPO = Path(__file__).resolve().parents[2]

# The child: wrap one function so that the process SIGKILLs itself at that point, then run.
_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    point, argv = sys.argv[1], sys.argv[2:]

    def die(*a, **k):
        os.kill(os.getpid(), signal.SIGKILL)

    if point == "encoding":  # after the first chunk of vectors is cached, inside the second
        import mtebkit.models._engine as engine
        engine.CACHE_CHUNK_TEXTS = 300
        original, calls = engine.EncodingEngine._forward_all, []
        def forward(self, *a, **k):
            calls.append(1)
            if len(calls) == 3:
                die()
            return original(self, *a, **k)
        engine.EncodingEngine._forward_all = forward
    elif point == "between-writes":  # item scores written, model_meta.json and result not yet
        import mtebkit.evaluation._execute as execute
        execute.write_model_meta = die
    elif point == "cache-write":  # a shard renamed into place, its index entry not committed
        import mtebkit.models._cache as cache
        cache._fsync_dir = die
    from mtebkit.cli import main
    sys.exit(main(argv))
    """
)


def _argv(model: Path, results: Path, *extra: str) -> list[str]:
    return [
        "run",
        "--model",
        str(model),
        "--tasks",
        BIG_STS,
        "--results",
        str(results),
        "-q",
        *extra,
    ]


def _result(results: Path) -> dict[str, Any]:
    """What must be bit-identical across runs: the scores and the recorded settings."""
    (path,) = results.rglob("BigSTSTask.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    return {"scores": data["scores"], "settings": data["mtebkit"]["settings"]}


def _no_leftovers(results: Path) -> None:
    assert not [p for p in results.rglob("*") if p.name.endswith(".tmp")]


@pytest.fixture(scope="module")
def model(tiny_src: Path) -> Path:
    return tiny_src


@pytest.fixture(scope="module")
def reference(
    model: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], set[str]]:
    """An uninterrupted run (its own cache): the result, and the files it leaves."""
    tmp = tmp_path_factory.mktemp("reference")
    old = os.environ.get("MTEBKIT_CACHE_DIR")
    os.environ["MTEBKIT_CACHE_DIR"] = str(tmp / "cache-root")
    try:
        assert main(_argv(model, tmp / "results")) == 0
    finally:
        if old is None:
            os.environ.pop("MTEBKIT_CACHE_DIR")
        else:
            os.environ["MTEBKIT_CACHE_DIR"] = old
    names = {p.name for p in (tmp / "results").rglob("*") if p.is_file()}
    return _result(tmp / "results"), names


@pytest.mark.slow  # a run killed and run again in subprocesses: ~10 s a point
@pytest.mark.parametrize("point", ["encoding", "between-writes", "cache-write"])
def test_kill_9_then_rerun_is_bit_identical(
    point: str,
    model: Path,
    reference: tuple[dict[str, Any], set[str]],
    tmp_path: Path,
) -> None:
    results = tmp_path / "results"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, point, *_argv(model, results)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -9, proc.stderr[-2000:]
    # killed before the result was written: no result file, no half-written file
    assert not list(results.rglob("BigSTSTask.json"))
    _no_leftovers(results)
    assert main(_argv(model, results)) == 0
    want, files = reference
    assert _result(results) == want
    assert {p.name for p in results.rglob("*") if p.is_file()} == files
    _no_leftovers(results)


# ---------------------------------------------------------------- tmpfs: disk full, read-only


def _can_mount() -> str | None:
    if sys.platform != "linux" or os.geteuid() != 0:
        return "mounting a tmpfs needs root on Linux (CI runs as root)"
    return None


class Mounts:
    """Small tmpfs folders and read-only views of them, all unmounted by :meth:`close`."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.mounted: list[Path] = []

    def _mount(self, where: Path, *args: str) -> Path:
        where.mkdir()
        done = subprocess.run(["mount", *args, str(where)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount here: {done.stderr.strip()}")
        self.mounted.append(where)
        return where

    def tmpfs(self, name: str, size: str = "1m") -> Path:
        return self._mount(self.base / name, "-t", "tmpfs", "-o", f"size={size}", "tmpfs")

    def readonly(self, folder: Path, name: str) -> Path:
        view = self._mount(self.base / name, "--bind", str(folder))
        subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True)
        return view

    def close(self) -> None:
        for where in reversed(self.mounted):
            subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture
def mounts(tmp_path: Path) -> Iterator[Mounts]:
    why = _can_mount()
    if why:
        pytest.skip(why)
    m = Mounts(tmp_path)
    try:
        yield m
    finally:
        m.close()


def _fill(folder: Path) -> None:
    """Leave no free byte on ``folder``'s file system."""
    with open(folder / "filler", "wb", buffering=0) as fh:
        for chunk in (65536, 1):
            try:
                while True:
                    fh.write(b"\0" * chunk)
            except OSError:
                pass


def test_a_full_results_disk_stops_naming_the_task_with_nothing_half_written(
    model: Path, mounts: Mounts, capsys: pytest.CaptureFixture[str]
) -> None:
    results = mounts.tmpfs("results", "256k")
    _fill(results)
    # two pages free: the plan-time probe passes, the result files do not fit
    os.truncate(results / "filler", (results / "filler").stat().st_size - 8192)
    code = main(_argv(model, results))
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "BigSTSTask" in err and "No space left on device" in err
    assert not list(results.rglob("BigSTSTask.json"))
    _no_leftovers(results)


def test_a_full_cache_disk_does_not_stop_the_run(
    model: Path,
    reference: tuple[dict[str, Any], set[str]],
    tmp_path: Path,
    mounts: Mounts,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from mtebkit.models import EmbeddingCache

    cache = mounts.tmpfs("cache", "1m")
    EmbeddingCache(cache).put_many("other", {"k": __import__("numpy").ones(4, "float32")})
    _fill(cache)
    results = tmp_path / "results"
    assert main(_argv(model, results, "--cache-dir", str(cache), "--overwrite")) == 0
    assert _result(results) == reference[0]
    assert "full disk" in caplog.text or "No space left" in caplog.text
    assert not [p for p in cache.iterdir() if "corrupt" in p.name]


def test_a_read_only_results_folder_is_refused_before_any_encoding(
    model: Path, mounts: Mounts, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    results = mounts.readonly(mounts.tmpfs("results"), "results-ro")
    from mtebkit.models import EncodingEngine

    def no_load(self: object) -> None:
        raise AssertionError("the model was loaded before the results folder was checked")

    monkeypatch.setattr(EncodingEngine, "_load", no_load)
    code = main(_argv(model, results))
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert f"--results {results} is not writable" in err


def test_a_read_only_cache_is_used_read_only(
    model: Path,
    reference: tuple[dict[str, Any], set[str]],
    tmp_path: Path,
    mounts: Mounts,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    writable = mounts.tmpfs("cache", "64m")
    assert main(_argv(model, tmp_path / "warm", "--cache-dir", str(writable))) == 0
    cache = mounts.readonly(writable, "cache-ro")
    before = sorted(p.name for p in cache.rglob("*"))
    from mtebkit.models import EncodingEngine

    def no_forward(*a: object, **k: object) -> None:
        raise AssertionError("a warm read-only cache must serve every vector")

    monkeypatch.setattr(EncodingEngine, "_forward_all", no_forward)
    results = tmp_path / "results"
    assert main(_argv(model, results, "--cache-dir", str(cache))) == 0
    assert _result(results) == reference[0]
    assert "corrupt" not in caplog.text
    assert sorted(p.name for p in cache.rglob("*")) == before


# ---------------------------------------------------------------- a lock held past the timeout


def test_a_cache_lock_held_past_the_timeout_does_not_stop_the_run(
    model: Path,
    reference: tuple[dict[str, Any], set[str]],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from mtebkit.evaluation import InProcessExecutor, RunConfig, run_evaluation
    from mtebkit.models import EmbeddingCache

    root = tmp_path / "cache"
    EmbeddingCache(root).put_many("other-run", {"k": __import__("numpy").ones(4, "float32")})
    holder = sqlite3.connect(root / "index.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process, mid-write, for longer than the timeout
    try:
        config = RunConfig(models=[str(model)], tasks=[BIG_STS], results_dir=tmp_path / "results")
        executor = InProcessExecutor(cache=EmbeddingCache(root, timeout=0.2))
        run_evaluation(config, executor=executor)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _result(tmp_path / "results") == reference[0]
    assert "is busy" in caplog.text
    assert not [p for p in root.iterdir() if "corrupt" in p.name]
    assert EmbeddingCache(root).info()["entries"] == 1  # the other run's entry is still there
    shutil.rmtree(root)
