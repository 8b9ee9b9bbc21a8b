"""End to end: ``mtebkit run`` (cold and warm cache) vs ``mteb.evaluate`` with sentence-transformers.

For each task, interleaved so machine load hits all sides alike:

1. ``mteb.evaluate(SentenceTransformer(path), task, cache=None)`` (mteb's own data loading from
   the mirror via the override in /work/shared/data/README.md);
2. ``mtebkit.run_evaluation(RunConfig(...))`` with an empty embedding cache (cold);
3. the same again with a fresh results folder and the now filled cache (warm).

Every task's time includes loading its data. mtebkit's also includes building the model
(one ``run_evaluation`` call per task, as ``mtebkit run --tasks X`` would); mteb's model is loaded
once, outside the timings. Both sides use batch size 32 (mteb's default). The main scores of
both sides are reported side by side; they must agree to within 0.01 (x100).

    python bench/bench_e2e.py [--quick] [--tasks STSBenchmark,SciFact] [--device cpu]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import _common as C

REPRO_TASKS = ["STSBenchmark", "SciFact", "LCQMC", "AFQMC"]
# the mirror's classification, pair classification, summarization and Chinese STS tasks
NEW_TYPE_TASKS = [
    "Banking77Classification", "EmotionClassification", "TweetSentimentExtractionClassification",
    "AmazonCounterfactualClassification", "TNews", "TwitterURLCorpus", "Ocnli", "SummEval", "QBQTC",
]  # fmt: skip
ALL_TASKS = [
    "STSBenchmark", "SICK-R", "STS12", "STS13", "STS14", "STS15", "STS16", "BIOSSES",
    "SciFact", "LCQMC", "AFQMC", "ATEC", "BQ", "PAWSX", "STSB", *NEW_TYPE_TASKS,
]  # fmt: skip
QUICK_TASKS = ["BIOSSES", "STSBenchmark", "AFQMC"]
BATCH = 32


def _mteb_task(name: str) -> Any:
    """A fresh mteb task pointed at the mirror (the override documented with the data)."""
    import mteb

    task = mteb.get_task(name)
    ds = task.metadata.dataset
    path = C.data_dir() / ds["path"]
    task.metadata = task.metadata.model_copy(
        update={"dataset": {"path": str(path), "revision": ds["revision"]}}
    )
    return task


class _Counted:
    """Counts the texts a side hands to its encoder (all of them, repeats included)."""

    def __init__(self) -> None:
        self.n = 0


def _count_st_texts(st: Any, counter: _Counted) -> None:
    """Wrap this SentenceTransformer's ``encode`` (the instance only) to count its input texts."""
    encode = st.encode

    def counted(sentences: Any, *args: Any, **kwargs: Any) -> Any:
        counter.n += 1 if isinstance(sentences, str) else len(sentences)
        return encode(sentences, *args, **kwargs)

    st.encode = counted


def _count_forwarded(counter: _Counted) -> None:
    """Count the texts mtebkit's engine actually runs through the model (after dedup and cache)."""
    from mtebkit.models import EncodingEngine

    forward = EncodingEngine._forward_all

    def counted(self: Any, texts: list[str], **kwargs: Any) -> Any:
        counter.n += len(texts)
        return forward(self, texts, **kwargs)

    EncodingEngine._forward_all = counted  # type: ignore[method-assign]


def _scores_from_task_result(tr: Any) -> dict[tuple[str, str], float]:
    return {(split, str(row.get("hf_subset", "default"))): float(row["main_score"])
            for split, rows in tr.scores.items() for row in rows}  # fmt: skip


def _mteb_side(model: Any, name: str) -> tuple[float, dict[tuple[str, str], float]]:
    import mteb

    task = _mteb_task(name)
    t = time.perf_counter()
    res = mteb.evaluate(model, task, cache=None, encode_kwargs={"batch_size": BATCH},
                        show_progress_bar=False, co2_tracker=False)  # fmt: skip
    seconds = time.perf_counter() - t
    if res.exceptions:
        raise RuntimeError(f"mteb failed on {name}: {res.exceptions[0].exception}")
    (tr,) = res.task_results
    return seconds, _scores_from_task_result(tr)


def _mtebkit_side(
    name: str, cache_dir: Path, device: str
) -> tuple[float, dict[tuple[str, str], float]]:
    seconds, records = C.timed_run(
        models=[C.model_path()], tasks=[name], data_dir=C.data_dir(),
        batch_size=BATCH, cache_dir=cache_dir, show_progress=False, devices=[device],
    )  # fmt: skip
    return seconds, {(r.split, r.subset): r.main_score for r in records}


def run(tasks: list[str], device: str = "cpu", result_name: str = "e2e") -> dict[str, Any]:
    import mteb
    from sentence_transformers import SentenceTransformer

    logging.getLogger("mteb").setLevel(logging.ERROR)
    for name in tasks:  # fill the datasets library's own cache first, untimed, for both sides
        _mteb_task(name).load_data()
    t = time.perf_counter()
    st = SentenceTransformer(C.model_path(), device=device)
    st_load = time.perf_counter() - t
    st_texts, kit_texts = _Counted(), _Counted()
    _count_st_texts(st, st_texts)
    _count_forwarded(kit_texts)
    cache_dir = Path(tempfile.mkdtemp(prefix="mtebkit-bench-cache-"))
    rows: list[dict[str, Any]] = []
    try:
        for name in tasks:
            n0, k0 = st_texts.n, kit_texts.n
            t_mteb, s_mteb = _mteb_side(st, name)
            t_cold, s_cold = _mtebkit_side(name, cache_dir, device)
            k1 = kit_texts.n
            t_warm, s_warm = _mtebkit_side(name, cache_dir, device)
            counts = {
                "type": mteb.get_task(name).metadata.type,
                "st_texts_encoded": st_texts.n - n0,
                "mtebkit_cold_texts_encoded": k1 - k0,
                "mtebkit_warm_texts_encoded": kit_texts.n - k1,
            }
            for key in sorted(s_mteb):
                a, b, w = s_mteb[key], s_cold.get(key, float("nan")), s_warm.get(key, float("nan"))
                rows.append({
                    "task": name, **counts, "split": key[0], "subset": key[1],
                    "mteb_score_x100": 100 * a, "mtebkit_score_x100": 100 * b,
                    "abs_diff_x100": abs(100 * (a - b)), "warm_equals_cold": w == b,
                    "mteb_s": t_mteb, "mtebkit_cold_s": t_cold, "mtebkit_warm_s": t_warm,
                    "cold_ratio": t_cold / t_mteb, "warm_fraction_of_cold": t_warm / t_cold,
                })  # fmt: skip
            print(
                f"  {name}: mteb {t_mteb:.1f}s, mtebkit cold {t_cold:.1f}s, warm {t_warm:.1f}s",
                flush=True,
            )
            # written after every task, so a long run that is cut short still leaves its numbers
            C.write_result(result_name, {**_summary(rows, device, st_load), "complete": False})
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    out = {**_summary(rows, device, st_load), "complete": True}
    C.table(rows, ["task", "split", "subset", "mteb_score_x100", "mtebkit_score_x100", "abs_diff_x100",
                   "warm_equals_cold", "mteb_s", "mtebkit_cold_s", "mtebkit_warm_s"],
            title="End to end per task (scores x100, seconds)")  # fmt: skip
    C.table(list({r["task"]: r for r in rows}.values()),
            ["task", "type", "st_texts_encoded", "mtebkit_cold_texts_encoded", "mtebkit_warm_texts_encoded"],
            title="Texts run through the model (mteb + ST: every text it is handed; mtebkit: after dedup and cache)")  # fmt: skip
    C.table([{"set": k, **v, "tasks": len(v["tasks"])} for k, v in out["totals"].items()],
            ["set", "tasks", "mteb_s", "mtebkit_cold_s", "mtebkit_warm_s", "cold_ratio", "warm_fraction_of_cold",
             "st_texts_encoded", "mtebkit_cold_texts_encoded"],
            title="End to end totals")  # fmt: skip
    return out


def _summary(rows: list[dict[str, Any]], device: str, st_load: float) -> dict[str, Any]:
    per_task = {r["task"]: r for r in rows}  # times are per task
    totals = {}
    by_type: dict[str, list[str]] = {}
    for t, r in per_task.items():
        by_type.setdefault(f"type {r.get('type', '?')}", []).append(t)
    for label, subset in (
        ("reproduction tasks", [t for t in REPRO_TASKS if t in per_task]),
        ("new task types", [t for t in NEW_TYPE_TASKS if t in per_task]),
        *by_type.items(),
        ("all tasks run", list(per_task)),
    ):
        if not subset:
            continue
        m = sum(per_task[t]["mteb_s"] for t in subset)
        c = sum(per_task[t]["mtebkit_cold_s"] for t in subset)
        w = sum(per_task[t]["mtebkit_warm_s"] for t in subset)
        texts = {k: sum(per_task[t].get(k, 0) for t in subset)
                 for k in ("st_texts_encoded", "mtebkit_cold_texts_encoded")}  # fmt: skip
        totals[label] = {"tasks": subset, "mteb_s": m, "mtebkit_cold_s": c, "mtebkit_warm_s": w,
                         "cold_ratio": c / m, "warm_fraction_of_cold": w / c, **texts}  # fmt: skip
    return {"device": device, "batch_size": BATCH, "st_model_load_s": st_load, "rows": rows, "totals": totals,
            "max_abs_diff_x100": max((r["abs_diff_x100"] for r in rows), default=0.0)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK_TASKS)}")
    ap.add_argument("--new-types", action="store_true", help=f"only {', '.join(NEW_TYPE_TASKS)}")
    ap.add_argument(
        "--tasks", default=None, help="comma separated task names (default: all in the mirror)"
    )
    ap.add_argument("--device", default="cpu")
    ap.add_argument(
        "--name", default=None, help="results file name (default e2e, e2e_quick, e2e_subset, ...)"
    )
    a = ap.parse_args()
    tasks = (
        a.tasks.split(",")
        if a.tasks
        else NEW_TYPE_TASKS
        if a.new_types
        else (QUICK_TASKS if a.quick else ALL_TASKS)
    )
    t = time.perf_counter()
    name = a.name or C.result_name(
        "e2e_new_types" if a.new_types and not a.tasks else "e2e",
        quick=a.quick and not a.tasks,
        device=a.device,
        partial=bool(a.tasks),
    )
    out = run(tasks, a.device, name)
    out["wall_s"] = time.perf_counter() - t
    print("wrote", C.write_result(name, out))


if __name__ == "__main__":
    main()
