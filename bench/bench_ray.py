"""The Ray executor on this machine: overhead and speed-up on a local 2-node cluster (1 CPU each).

Four mirrored STS tasks with the real all-MiniLM-L6-v2 (no embedding cache), three ways:

1. ``in-process``: ``run_evaluation`` here, default threads (one lane per core);
2. ``in-process, 1 CPU``: the same with torch limited to one thread (one lane);
3. ``ray, 2x1 CPU``: ``RayExecutor`` on a local ``ray.cluster_utils.Cluster`` of two nodes with
   1 CPU each (one worker per node). Cluster start is excluded; starting the workers (imports,
   model load) is included, since every run pays it.

Overhead = (3) / (1), target <= 1.2; speed-up = (2) / (3), target >= 1.7. Every score of the
three runs must be identical.

``--shard``: one retrieval task (SciFact, 5183 documents) in process, then on the same 2-node
cluster with its corpus encoded by one worker (``shard_min_texts=0``) and sharded across both
(the default): identical scores, and the time each takes (``bench/results/ray_shard.json``).

Run it inside a loopback-only network namespace (Ray probes the network at start-up;
docs/ray.md):

    /work/shared/tools/loopback-only python bench/bench_ray.py [--shard]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

import _common as C

# Ray reads these when imported: token auth, a private temp dir, no usage stats
os.environ.setdefault("RAY_AUTH_MODE", "token")
os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(16))
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_TMPDIR", tempfile.mkdtemp(prefix="ray", dir="/tmp"))

TASKS = ["STSBenchmark", "STS12", "STS13", "BIOSSES"]
SHARD_TASKS = ["SciFact"]


def _scores(results: Path) -> dict[str, Any]:
    from mteb.results import TaskResult

    return {
        p.stem: TaskResult.from_disk(p).scores
        for p in sorted(results.rglob("*.json"))
        if p.name != "model_meta.json"
    }


def _sharding(results: Path) -> dict[str, Any] | None:
    """What the Ray worker's provenance says of sharding (lent workers, texts they encoded)."""
    for p in results.rglob("*.json"):
        if p.name != "model_meta.json":
            where = json.loads(p.read_text(encoding="utf-8"))["mtebkit"].get("provenance", {})
            return where.get("sharding")  # type: ignore[no-any-return]
    return None


def _run(label: str, executor: Any, tmp: Path, tasks: list[str] = TASKS) -> dict[str, Any]:
    from mtebkit import RunConfig, run_evaluation

    out = tmp / label.replace(" ", "_").replace(",", "").replace("=", "")
    config = RunConfig(
        models=["sentence-transformers/all-MiniLM-L6-v2"],
        tasks=tasks,
        data_dir=C.data_dir(),
        results_dir=out,
        use_cache=False,
        show_progress=False,
    )
    load = os.getloadavg()[0]
    start = time.perf_counter()
    run_evaluation(config, executor=executor)
    seconds = time.perf_counter() - start
    print(f"{label}: {seconds:.1f} s (load {load:.2f})", flush=True)
    return {
        "run": label,
        "seconds": seconds,
        "load_1min_before": load,
        "sharding": _sharding(out),
        "scores": _scores(out),
    }


def _cluster() -> tuple[Any, float]:
    """A local 2-node cluster (1 CPU each) joined by this process; (cluster, seconds to start)."""
    import ray
    from ray.cluster_utils import Cluster

    t0 = time.perf_counter()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False)
    return cluster, time.perf_counter() - t0


def shard_main() -> None:
    """SciFact: in process, on 2 Ray workers unsharded (one encodes the corpus) and sharded."""
    import ray

    from mtebkit.evaluation import InProcessExecutor, RayExecutor

    tmp = Path(tempfile.mkdtemp(prefix="bench-ray-shard-"))
    runs = [_run("in-process", InProcessExecutor(), tmp, SHARD_TASKS)]
    cluster, cluster_start = _cluster()
    try:
        runs.append(_run("ray, unsharded", RayExecutor(shard_min_texts=0), tmp, SHARD_TASKS))
        runs.append(_run("ray, sharded", RayExecutor(), tmp, SHARD_TASKS))
    finally:
        ray.shutdown()
        cluster.shutdown()
    identical = all(r["scores"] == runs[0]["scores"] for r in runs)
    by = {r["run"]: r["seconds"] for r in runs}
    rows = [{k: v for k, v in r.items() if k != "scores"} for r in runs]
    C.table(
        rows,
        ["run", "seconds", "load_1min_before", "sharding"],
        title=f"Sharded corpus encoding, {SHARD_TASKS}",
    )
    summary = {
        "speedup_sharded_vs_unsharded": by["ray, unsharded"] / by["ray, sharded"],
        "scores_identical": identical,
        "main_score": {
            task: runs[0]["scores"][task]["test"][0]["main_score"] for task in runs[0]["scores"]
        },
        "cluster_start_seconds_excluded": cluster_start,
    }
    _report("ray_shard", SHARD_TASKS, rows, summary)


def main() -> None:
    import ray
    import torch

    from mtebkit.evaluation import InProcessExecutor, RayExecutor

    tmp = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    runs = [_run("in-process", InProcessExecutor(), tmp)]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    runs.append(_run("in-process, 1 CPU", InProcessExecutor(), tmp))
    torch.set_num_threads(threads)

    cluster, cluster_start = _cluster()
    try:
        runs.append(_run("ray, 2x1 CPU", RayExecutor(), tmp))
    finally:
        ray.shutdown()
        cluster.shutdown()

    identical = all(r["scores"] == runs[0]["scores"] for r in runs)
    by = {r["run"]: r["seconds"] for r in runs}
    overhead = by["ray, 2x1 CPU"] / by["in-process"]
    speedup = by["in-process, 1 CPU"] / by["ray, 2x1 CPU"]
    rows = [{k: v for k, v in r.items() if k != "scores"} for r in runs]
    C.table(rows, ["run", "seconds", "load_1min_before"], title=f"Ray executor, tasks {TASKS}")
    summary = {
        "overhead_vs_in_process": overhead,
        "overhead_target": 1.2,
        "speedup_2_workers_vs_1_cpu": speedup,
        "speedup_target": 1.7,
        "scores_identical": identical,
        "cluster_start_seconds_excluded": cluster_start,
    }
    _report("ray", TASKS, rows, summary)


def _report(
    name: str, tasks: list[str], rows: list[dict[str, Any]], summary: dict[str, Any]
) -> None:
    """Print the summary, write ``bench/results/<name>.json``; fail if the scores differ."""
    C.table([summary], list(summary), title="Summary")
    path = C.write_result(
        name, {"tasks": tasks, "runs": rows, **summary, "load_after": os.getloadavg()}
    )
    print(f"\nwritten {path}")
    if not summary["scores_identical"]:
        raise SystemExit(f"bench {name}: the scores differ between runs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shard", action="store_true", help="sharded corpus encoding (SciFact)")
    if parser.parse_args().shard:
        shard_main()
    else:
        main()
