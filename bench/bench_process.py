"""Whole processes, as a user or CI runs them: ``mtebkit run`` cold and warm vs mteb + ST.

Sides, each a fresh Python process, timed from start to exit (imports, task loading, model
loading, evaluation, writing results), interleaved round by round:

1. mteb + sentence-transformers: a script that loads ``SentenceTransformer(all-MiniLM-L6-v2)``
   and runs ``mteb.evaluate`` on the tasks, pointed at the mirror (``MTEB_ST_SCRIPT`` below);
2. ``mtebkit run --tasks ... --data-dir <mirror> --results <fresh>`` with an empty
   ``MTEBKIT_CACHE_DIR`` (cold);
3. the same command again with a fresh results folder and the cache the cold run filled (warm).

The fixed costs are measured the same way, as processes: ``import torch``, ``import mteb``
(which imports torch), ``import sentence_transformers`` and ``mtebkit --version``. The
``datasets`` library's own cache of the mirror is filled once before the rounds, untimed, for
both sides alike. Both sides use batch size 32 (mteb's default).

    python bench/bench_process.py [--tasks STSBenchmark SICK-R LCQMC] [--rounds 1]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common as C

TASKS = ["STSBenchmark", "SICK-R", "LCQMC"]
BATCH = 32

# The equivalent of ``mtebkit run`` with mteb + sentence-transformers (the mirror override of
# ../shared/data/README.md); prints {"task split subset": main_score} as JSON on its last line.
MTEB_ST_SCRIPT = """
import json, sys
import mteb
from sentence_transformers import SentenceTransformer

model_path, data_dir, batch, names = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
tasks = []
for name in names:
    task = mteb.get_task(name)
    ds = task.metadata.dataset
    task.metadata = task.metadata.model_copy(
        update={"dataset": {"path": f"{data_dir}/{ds['path']}", "revision": ds["revision"]}}
    )
    tasks.append(task)
model = SentenceTransformer(model_path, device="cpu")
res = mteb.evaluate(model, tasks, cache=None, encode_kwargs={"batch_size": batch},
                    show_progress_bar=False, co2_tracker=False)
scores = {f"{tr.task_name} {split} {row.get('hf_subset', 'default')}": float(row["main_score"])
          for tr in res.task_results for split, rows in tr.scores.items() for row in rows}
print(json.dumps(scores))
"""

FILL_DATASETS_CACHE = """
import sys
import mteb
for name in sys.argv[2:]:
    task = mteb.get_task(name)
    ds = task.metadata.dataset
    task.metadata = task.metadata.model_copy(
        update={"dataset": {"path": f"{sys.argv[1]}/{ds['path']}", "revision": ds["revision"]}}
    )
    task.load_data()
"""


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(C.REPO / "src"), *filter(None, [env.get("PYTHONPATH")])]
    )
    env.update(extra)
    return env


def _timed_process(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    """(wall seconds from spawn to exit, stdout); a failing process stops the benchmark."""
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t
    if proc.returncode:
        sys.exit(
            f"bench: {' '.join(cmd[:4])} ... failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
        )
    return seconds, proc.stdout


def _mtebkit_scores(results: Path) -> dict[str, float]:
    """Main scores from the result files ``mtebkit run`` wrote (mteb's TaskResult layout)."""
    out: dict[str, float] = {}
    for path in sorted(results.rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if not isinstance(data, dict) or "scores" not in data or "task_name" not in data:
            continue
        for split, rows in data["scores"].items():
            for row in rows:
                key = f"{data['task_name']} {split} {row.get('hf_subset', 'default')}"
                out[key] = float(row["main_score"])
    return out


def _fixed_costs(repeats: int) -> dict[str, float]:
    """Best-of-``repeats`` process times of the imports every run pays."""
    probes = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import torch": [sys.executable, "-c", "import torch"],
        "import mteb": [sys.executable, "-c", "import mteb"],
        "import sentence_transformers": [sys.executable, "-c", "import sentence_transformers"],
        # what mteb.evaluate costs before any work: it imports sentence_transformers itself
        "import mteb, sentence_transformers": [
            sys.executable,
            "-c",
            "import mteb, sentence_transformers",
        ],
        "mtebkit --version": [sys.executable, "-m", "mtebkit", "--version"],
    }
    env = _env()
    return {
        label: min(_timed_process(cmd, env)[0] for _ in range(repeats))
        for label, cmd in probes.items()
    }


def run(tasks: list[str], rounds: int, probe_repeats: int = 3) -> dict[str, Any]:
    data = str(C.data_dir())
    model = C.model_path()
    env = _env(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    _timed_process([sys.executable, "-c", FILL_DATASETS_CACHE, data, *tasks], env)
    kit = [sys.executable, "-m", "mtebkit", "run", "--tasks", *tasks, "--data-dir", data,
           "--batch-size", str(BATCH), "--quiet"]  # fmt: skip
    rows: list[dict[str, Any]] = []
    scores: dict[str, dict[str, float]] = {}
    for r in range(rounds):
        work = Path(tempfile.mkdtemp(prefix="mtebkit-bench-proc-"))
        try:
            cache_env = {**env, "MTEBKIT_CACHE_DIR": str(work / "cache")}
            t_mteb, out = _timed_process(
                [sys.executable, "-c", MTEB_ST_SCRIPT, model, data, str(BATCH), *tasks], env
            )
            scores["mteb + sentence-transformers"] = json.loads(out.strip().splitlines()[-1])
            t_cold, _ = _timed_process([*kit, "--results", str(work / "cold")], cache_env)
            t_warm, _ = _timed_process([*kit, "--results", str(work / "warm")], cache_env)
            scores["mtebkit cold"] = _mtebkit_scores(work / "cold")
            scores["mtebkit warm"] = _mtebkit_scores(work / "warm")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        rows.append({"round": r + 1, "mteb_st_s": t_mteb, "mtebkit_cold_s": t_cold,
                     "mtebkit_warm_s": t_warm, "cold_ratio": t_cold / t_mteb,
                     "warm_fraction_of_cold": t_warm / t_cold})  # fmt: skip
        print(f"  round {r + 1}: mteb+ST {t_mteb:.1f}s, cold {t_cold:.1f}s, warm {t_warm:.1f}s",
              flush=True)  # fmt: skip
    best = {
        k: min(row[k] for row in rows) for k in ("mteb_st_s", "mtebkit_cold_s", "mtebkit_warm_s")
    }
    best["cold_ratio"] = best["mtebkit_cold_s"] / best["mteb_st_s"]
    best["warm_fraction_of_cold"] = best["mtebkit_warm_s"] / best["mtebkit_cold_s"]
    fixed = _fixed_costs(repeats=probe_repeats)
    ref = scores["mteb + sentence-transformers"]
    score_rows = [{"task split subset": k, "mteb_st_x100": 100 * v,
                   "mtebkit_cold_x100": 100 * scores["mtebkit cold"].get(k, float("nan")),
                   "mtebkit_warm_x100": 100 * scores["mtebkit warm"].get(k, float("nan")),
                   "warm_equals_cold": scores["mtebkit warm"].get(k) == scores["mtebkit cold"].get(k)}
                  for k, v in sorted(ref.items())]  # fmt: skip
    C.table(rows, list(rows[0]), title="Whole processes (seconds)")
    C.table([{"probe": k, "seconds": v} for k, v in fixed.items()], ["probe", "seconds"],
            title=f"Fixed costs, as processes (best of {probe_repeats})")  # fmt: skip
    C.table(score_rows, list(score_rows[0]), title="Main scores x100")
    return {"tasks": tasks, "batch_size": BATCH, "rounds": rows, "best": best,
            "fixed_costs_s": fixed, "scores": score_rows,
            "targets": {"warm_fraction_of_cold <= 0.05": best["warm_fraction_of_cold"] <= 0.05,
                        "cold_ratio <= 0.5": best["cold_ratio"] <= 0.5}}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--tasks", nargs="+", default=None, help=f"default: {' '.join(TASKS)}")
    ap.add_argument("--quick", action="store_true", help="STSBenchmark only, one probe each")
    ap.add_argument("--rounds", type=int, default=1, help="interleaved rounds; best time kept")
    ap.add_argument("--probe-repeats", type=int, default=3, help="runs of each import probe")
    ap.add_argument("--name", default=None, help="results file name (default process)")
    a = ap.parse_args()
    t = time.perf_counter()
    tasks = a.tasks or (["STSBenchmark"] if a.quick else TASKS)
    out = run(tasks, a.rounds, 1 if a.quick else a.probe_repeats)
    out["wall_s"] = time.perf_counter() - t
    name = a.name or C.result_name("process", quick=a.quick and not a.tasks, partial=bool(a.tasks))
    print("wrote", C.write_result(name, out))


if __name__ == "__main__":
    main()
