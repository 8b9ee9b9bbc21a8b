"""The reproduction table: published, mteb + sentence-transformers on the mirror, mtebkit.

Three steps, each resumable (results are written after every task):

    python bench/reproduction_table.py mteb [--tasks A,B]   # mteb.evaluate(SentenceTransformer) per task
    python bench/reproduction_table.py table --mtebkit-results DIR [--timings LOG]

``mteb`` runs ``mteb.evaluate(SentenceTransformer(all-MiniLM-L6-v2), task, cache=None)`` with the
mirror override of /work/shared/data/README.md (the code of bench_e2e.py) and writes
bench/results/repro_mteb_st.json. The mtebkit side is the CLI itself:

    mtebkit reproduce --run --published ../shared/reference/sentence-transformers__all-MiniLM-L6-v2 \
        --model sentence-transformers/all-MiniLM-L6-v2 --data-dir ../shared/data/hf --results DIR
    mtebkit run --tasks <every mirrored task> --data-dir ../shared/data/hf --results DIR

``table`` joins the three sources (published from the reference folder, mteb + ST from the JSON,
mtebkit from DIR) into bench/results/reproduction.json and a Markdown table (reproduction.md).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

import _common as C
from bench_e2e import _mteb_side

# every dataset of /work/shared/data/hf, by the mteb task that evaluates it
MIRROR_TASKS = [
    "STSBenchmark", "SICK-R", "STS12", "STS13", "STS14", "STS15", "STS16", "BIOSSES",
    "SciFact", "LCQMC", "AFQMC", "ATEC", "BQ", "PAWSX", "STSB",
    "Banking77Classification", "EmotionClassification", "TweetSentimentExtractionClassification",
    "AmazonCounterfactualClassification", "TNews", "TwitterURLCorpus", "Ocnli", "SummEval", "QBQTC",
]  # fmt: skip
NEW_TASKS = MIRROR_TASKS[15:]
MTEB_JSON = "repro_mteb_st"


def _load(name: str) -> dict[str, Any]:
    path = C.RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def run_mteb(tasks: list[str]) -> None:
    from sentence_transformers import SentenceTransformer

    logging.getLogger("mteb").setLevel(logging.ERROR)
    st = SentenceTransformer(C.model_path(), device="cpu")
    done = _load(MTEB_JSON).get("tasks", {})
    for name in tasks:
        seconds, scores = _mteb_side(st, name)
        done[name] = {
            "seconds": seconds,
            "scores": [{"split": s, "subset": h, "main_score_x100": 100 * v}
                       for (s, h), v in sorted(scores.items())],
        }  # fmt: skip
        print(f"  {name}: {seconds:.1f}s {done[name]['scores']}", flush=True)
        C.write_result(
            MTEB_JSON, {"model": "sentence-transformers/all-MiniLM-L6-v2", "tasks": done}
        )


def _published(folder: Path) -> dict[tuple[str, str, str], float]:
    from mtebkit.reporting import load_published

    rs = load_published(folder)
    return {(r.task, r.split, r.subset): 100 * r.main_score
            for r in rs.run(None).rows if r.main_score is not None}  # fmt: skip


def _mtebkit(folders: list[Path]) -> dict[tuple[str, str, str], tuple[float, float]]:
    """(task, split, subset) -> (main score x100, seconds) from mtebkit result files."""
    out: dict[tuple[str, str, str], tuple[float, float]] = {}
    for folder in folders:
        for path in sorted(folder.glob("*/*/*.json")):
            if path.name == "model_meta.json":
                continue
            data = json.loads(path.read_text())
            for split, rows in data["scores"].items():
                for row in rows:
                    key = (data["task_name"], split, str(row.get("hf_subset", "default")))
                    out.setdefault(
                        key, (100 * float(row["main_score"]), float(data["evaluation_time"]))
                    )
    return out


def _mtebkit_e2e() -> dict[tuple[str, str, str], tuple[float, float]]:
    """bench_e2e's earlier mtebkit numbers (cold), for tasks not rerun here."""
    return {(r["task"], r["split"], r["subset"]): (r["mtebkit_score_x100"], r["mtebkit_cold_s"])
            for r in _load("e2e").get("rows", [])}  # fmt: skip


def _mteb_st() -> dict[tuple[str, str, str], tuple[float, float, str]]:
    """(task, split, subset) -> (score x100, seconds, source): this script's fresh runs first,
    then bench_e2e's earlier run (same code, same mirror) for the tasks not rerun."""
    out: dict[tuple[str, str, str], tuple[float, float, str]] = {}
    for name, t in _load(MTEB_JSON).get("tasks", {}).items():
        for r in t["scores"]:
            out[(name, r["split"], r["subset"])] = (r["main_score_x100"], t["seconds"], "fresh")
    for r in _load("e2e").get("rows", []):
        key = (r["task"], r["split"], r["subset"])
        out.setdefault(key, (r["mteb_score_x100"], r["mteb_s"], "e2e.json"))
    return out


def _fmt(v: float | None, digits: int = 4) -> str:
    return "" if v is None else f"{v:.{digits}f}"


def table(published_dir: Path, mtebkit_dirs: list[Path]) -> dict[str, Any]:
    import mteb

    pub, kit, ref = _published(published_dir), _mtebkit(mtebkit_dirs), _mteb_st()
    kit_e2e = _mtebkit_e2e()
    rows: list[dict[str, Any]] = []
    for name in MIRROR_TASKS:
        meta = mteb.get_task(name).metadata
        keys = sorted({k for k in (*kit, *ref) if k[0] == name})
        if not keys:
            keys = [(name, s, "default") for s in meta.eval_splits]
        for key in keys:
            k, r, p = kit.get(key), ref.get(key), pub.get(key)
            kit_source = "run" if k else None
            if k is None and key in kit_e2e:
                k, kit_source = kit_e2e[key], "e2e.json"
            rows.append({
                "task": name, "split": key[1], "subset": key[2], "type": str(meta.type),
                "language": ",".join(sorted({x.split("-")[0] for x in meta.languages})),
                "published": p, "mteb_st": r[0] if r else None, "mteb_st_source": r[2] if r else None,
                "mtebkit": k[0] if k else None, "mtebkit_source": kit_source,
                "delta_published": k[0] - p if k and p is not None else None,
                "delta_mteb_st": k[0] - r[0] if k and r else None,
                "mteb_st_s": r[1] if r else None, "mtebkit_s": k[1] if k else None,
            })  # fmt: skip
    compared = [abs(r["delta_mteb_st"]) for r in rows if r["delta_mteb_st"] is not None]
    return {"rows": rows, "max_abs_delta_mteb_st": max(compared, default=None),
            "n_compared": len(compared), "n_rows": len(rows)}  # fmt: skip


def markdown(rows: list[dict[str, Any]]) -> str:
    head = ("| task | split | subset | type | lang | published | mteb + ST (mirror) | mtebkit "
            "| Δ published | Δ mteb + ST | mtebkit s |")  # fmt: skip
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        old = " †" if "e2e.json" in (r["mteb_st_source"], r["mtebkit_source"]) else ""
        lines.append(
            f"| {r['task']}{old} | {r['split']} | {r['subset']} | {r['type']} | {r['language']} "
            f"| {_fmt(r['published'])} | {_fmt(r['mteb_st'])} | {_fmt(r['mtebkit'])} "
            f"| {_fmt(r['delta_published'])} | {_fmt(r['delta_mteb_st'], 5)} "
            f"| {_fmt(r['mtebkit_s'], 0)} |"
        )
    lines.append(
        "\n† mteb + ST from bench_e2e.py's run of 2026-11-23 (same code path, same mirror), not "
        "rerun. mtebkit: one cold `mtebkit run` of the whole mirror (seconds under load). "
        "Empty published cells: the model card lists no score for that task."
    )
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("mteb")
    m.add_argument("--tasks", default=None, help="comma separated (default: the 9 new datasets)")
    tb = sub.add_parser("table")
    tb.add_argument("--mtebkit-results", type=Path, nargs="+", required=True)
    tb.add_argument(
        "--published",
        type=Path,
        default=C.shared_dir() / "reference" / "sentence-transformers__all-MiniLM-L6-v2",
    )
    a = ap.parse_args()
    t = time.perf_counter()
    if a.cmd == "mteb":
        run_mteb(a.tasks.split(",") if a.tasks else NEW_TASKS)
    else:
        out = table(a.published, a.mtebkit_results)
        md = markdown(out["rows"])
        (C.RESULTS / "reproduction.md").write_text(md, encoding="utf-8")
        print(md)
        print(
            "max |mtebkit - mteb+ST| (points):",
            out["max_abs_delta_mteb_st"],
            f"over {out['n_compared']}",
        )
        print("wrote", C.write_result("reproduction", out))
    print(f"done in {time.perf_counter() - t:.0f}s")


if __name__ == "__main__":
    main()
