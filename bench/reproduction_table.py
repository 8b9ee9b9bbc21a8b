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


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("mteb")
    m.add_argument("--tasks", default=None, help="comma separated (default: the 9 new datasets)")
    a = ap.parse_args()
    t = time.perf_counter()
    if a.cmd == "mteb":
        run_mteb(a.tasks.split(",") if a.tasks else NEW_TASKS)
    print(f"done in {time.perf_counter() - t:.0f}s")


if __name__ == "__main__":
    main()
