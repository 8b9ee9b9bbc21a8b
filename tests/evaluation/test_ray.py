"""The Ray executor on a local 2-node cluster (1 CPU each): the same files as an in-process run,
and faults (a worker SIGKILLed, a node removed, the driver killed and restarted).

Runs only with ``MTEBKIT_RAY_TESTS=1`` (the ``.ci/run`` block sets it) and only inside a network
namespace that has nothing but ``lo``: Ray 2.60 probes 8.8.8.8 and the cloud-metadata address at
start-up, which must fail at once without sending anything.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.ray]

if os.environ.get("MTEBKIT_RAY_TESTS") != "1":
    pytest.skip("Ray tests run with MTEBKIT_RAY_TESTS=1 (.ci/run)", allow_module_level=True)
# Ray reads these when it is imported; .ci/run sets them, these defaults are for a manual run.
# RAY_TMPDIR is short: Ray's socket paths have a length limit.
os.environ.setdefault("RAY_AUTH_MODE", "token")
os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(16))
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_TMPDIR", tempfile.mkdtemp(prefix="ray", dir="/tmp"))
ray = pytest.importorskip("ray")

from mtebkit import RunConfig, run_evaluation  # noqa: E402
from mtebkit.evaluation import RayExecutor  # noqa: E402
from mtebkit.tasks import DEMO_TASKS  # noqa: E402

STS = ["STSBenchmark", "STS12", "BIOSSES"]
FAULT_TASKS = ["STSBenchmark", "BIOSSES"]
TIMING_KEYS = ("evaluation_time", "date", "evaluation_phases")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A head node and one more node, 1 CPU each; this process is its driver."""
    names = [name for _, name in socket.if_nameindex()]
    if names != ["lo"]:
        pytest.fail(
            f"Ray tests must run where only 'lo' exists (found {names}): "
            "/work/shared/tools/loopback-only or unshare -n",
            pytrace=False,
        )
    from ray.cluster_utils import Cluster

    import mtebkit

    # the workers import this checkout's mtebkit
    path = [str(Path(mtebkit.__file__).parents[1]), os.environ.get("PYTHONPATH", "")]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", os.pathsep.join(path))
        c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
        c.add_node(num_cpus=1)
        c.wait_for_nodes()
        ray.init(address=c.address, log_to_driver=False)
        try:
            yield c
        finally:
            ray.shutdown()
            c.shutdown()


def _config(tasks: list[str] | None, results: Path, data_dir: Path | None) -> RunConfig:
    return RunConfig(
        models=["sentence-transformers/all-MiniLM-L6-v2"],
        tasks=tasks,
        data_dir=data_dir,
        results_dir=results,
        use_cache=False,
        show_progress=False,
    )


def _files(results: Path) -> dict[str, Any]:
    """Every file of a results folder, parsed, without timings and provenance."""
    out: dict[str, Any] = {}
    for path in sorted(results.rglob("*")):
        if not path.is_file():
            continue
        rel = str(path.relative_to(results))
        if path.name.endswith(".json.gz"):
            out[rel] = json.loads(gzip.decompress(path.read_bytes()))
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        if path.name != "model_meta.json":
            for key in TIMING_KEYS:
                data.pop(key)
            assert "provenance" in data["mtebkit"]
            data["mtebkit"].pop("provenance")
        out[rel] = data
    return out


def _result_files(results: Path) -> list[str]:
    return sorted(p.name for p in results.rglob("*.json") if p.name != "model_meta.json")


def _no_temp_files(results: Path) -> None:
    leftovers = [p for p in results.rglob(".*") if p.is_file()]
    assert leftovers == []


def _provenance(results: Path) -> list[dict[str, Any]]:
    return [
        json.loads(p.read_text(encoding="utf-8"))["mtebkit"]["provenance"]
        for p in results.rglob("*.json")
        if p.name != "model_meta.json"
    ]


@pytest.fixture(scope="module")
def in_process(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> dict[str, Path]:
    """The reference: the demo tasks and the mirrored STS tasks, in this process."""
    demo = tmp_path_factory.mktemp("inproc-demo")
    sts = tmp_path_factory.mktemp("inproc-sts")
    run_evaluation(_config(None, demo, None))
    run_evaluation(_config(STS, sts, data_dir))
    return {"demo": demo, "sts": sts}


def _later(seconds: float, action: Callable[[], None]) -> None:
    threading.Timer(seconds, action).start()


def test_two_nodes_give_the_in_process_files(
    cluster: Any, in_process: dict[str, Path], tmp_path: Path, data_dir: Path
) -> None:
    lines: list[str] = []
    for name, tasks, mirror in (("demo", None, None), ("sts", STS, data_dir)):
        out = tmp_path / name
        run_evaluation(_config(tasks, out, mirror), executor=RayExecutor(progress=lines.append))
        assert _files(out) == _files(in_process[name])
        _no_temp_files(out)
        where = _provenance(out)
        assert {w["executor"] for w in where} == {"ray"}
    # both nodes did work
    nodes = {n["NodeID"][:8] for n in ray.nodes() if n["Alive"]}
    used = set(re.findall(r"started on .* \(node (\w+),", "\n".join(lines)))
    assert used == nodes and len(nodes) == 2


def test_a_worker_killed_mid_job_is_retried(
    cluster: Any, in_process: dict[str, Path], tmp_path: Path, data_dir: Path
) -> None:
    lines: list[str] = []
    killed: list[int] = []

    def progress(line: str) -> None:
        lines.append(line)
        m = re.search(r"STSBenchmark started on .*pid (\d+)\)", line)
        if m and not killed:
            killed.append(int(m.group(1)))
            _later(4.0, lambda: os.kill(killed[0], signal.SIGKILL))

    out = tmp_path / "r"
    run_evaluation(_config(FAULT_TASKS, out, data_dir), executor=RayExecutor(progress=progress))
    assert killed and any("STSBenchmark: worker lost" in line for line in lines)
    assert _result_files(out) == sorted(f"{t}.json" for t in FAULT_TASKS)
    reference = _files(in_process["sts"])
    for rel, data in _files(out).items():
        assert data == reference[rel]
    _no_temp_files(out)


def test_a_node_removed_mid_job_is_survived(
    cluster: Any, in_process: dict[str, Path], tmp_path: Path, data_dir: Path
) -> None:
    (extra,) = cluster.worker_nodes
    victim = extra.node_id[:8]
    lines: list[str] = []
    removed: list[str] = []

    def progress(line: str) -> None:
        lines.append(line)
        if f"(node {victim}," in line and " started on " in line and not removed:
            removed.append(line)
            _later(4.0, lambda: cluster.remove_node(extra))

    out = tmp_path / "r"
    try:
        run_evaluation(_config(FAULT_TASKS, out, data_dir), executor=RayExecutor(progress=progress))
        assert removed and any("worker lost" in line for line in lines)
        assert _result_files(out) == sorted(f"{t}.json" for t in FAULT_TASKS)
        reference = _files(in_process["sts"])
        for rel, data in _files(out).items():
            assert data == reference[rel]
        _no_temp_files(out)
    finally:
        if removed:  # give later tests their second node back
            cluster.add_node(num_cpus=1)
            cluster.wait_for_nodes()


def _sharded_run(task: str, tmp_path: Path, kill_helper: bool) -> tuple[list[str], dict[str, Any]]:
    """``task`` alone, so its job is lent the other (idle) worker, every encode sharded."""
    lines: list[str] = []

    def progress(line: str) -> None:
        lines.append(line)
        m = re.search(r"lent 1 idle worker\(s\) to shard on: .*pid (\d+)\)", line)
        if m and kill_helper:
            os.kill(int(m.group(1)), signal.SIGKILL)

    out = tmp_path / task
    executor = RayExecutor(progress=progress, shard_min_texts=1, shard_texts=24)
    run_evaluation(_config([task], out, None), executor=executor)
    assert _result_files(out) == [f"{task}.json"]
    _no_temp_files(out)
    (where,) = _provenance(out)
    return lines, {"files": _files(out), **where["sharding"]}


def test_a_sharded_corpus_gives_the_in_process_files(
    cluster: Any, in_process: dict[str, Path], tmp_path: Path
) -> None:
    reference = _files(in_process["demo"])
    lines, got = _sharded_run("DemoRetrievalEn", tmp_path, kill_helper=False)
    assert any("lent 1 idle worker(s)" in line for line in lines)
    for rel, data in got["files"].items():
        assert data == reference[rel]
    # the lent worker encoded part of it: 192 documents + 40 queries in all
    assert got["lent_workers"] == 1 and got["lost"] == 0
    assert 0 < got["texts_by_lent_workers"] < 232


def test_a_lent_worker_killed_mid_encode_is_survived(
    cluster: Any, in_process: dict[str, Path], tmp_path: Path
) -> None:
    reference = _files(in_process["demo"])
    _, got = _sharded_run("DemoRetrievalZh", tmp_path, kill_helper=True)
    for rel, data in got["files"].items():
        assert data == reference[rel]
    assert got["lent_workers"] == 1 and got["lost"] == 1


def test_a_killed_driver_resumes_where_it_stopped(
    cluster: Any, in_process: dict[str, Path], tmp_path: Path
) -> None:
    """``mtebkit run --ray-address`` on the demo, SIGKILLed after its first result, run again."""
    out = tmp_path / "r"
    cmd = [
        sys.executable,
        "-m",
        "mtebkit",
        "run",
        "--ray-address",
        cluster.address,
        "--results",
        str(out),
        "--no-cache",
    ]
    first = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not _result_files(out) and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.2)
    first.send_signal(signal.SIGKILL)
    first.wait()
    done = _result_files(out)
    assert done and len(done) < len(DEMO_TASKS), "the driver was not killed mid-run"
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    skipped = {line.split()[1] for line in second.stderr.splitlines() if "skipped" in line}
    assert skipped == {name.removesuffix(".json") for name in done}
    assert _result_files(out) == sorted(f"{t}.json" for t in DEMO_TASKS)
    reference = _files(in_process["demo"])
    for rel, data in _files(out).items():
        assert data == reference[rel]
    _no_temp_files(out)
