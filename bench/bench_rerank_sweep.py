"""Reranker depth sweep: ``--rerank-top-k 10 50 100`` in one run against one run per depth.

The embedder is the real all-MiniLM-L6-v2; the reranker is ``--reranker PATH`` (a local
cross-encoder folder), or with ``--tiny`` a 2-layer random cross-encoder (tests' helper: it
measures the protocol's cost, not a reranker's quality). No embedding cache on either side, so
both encode what they need. Pairs scored are counted by the reranker's progress callback.

    python bench/bench_rerank_sweep.py --tiny [--tasks DemoRetrievalEn] [--depths 3 5 10]
    python bench/bench_rerank_sweep.py --reranker /path/to/ce --tasks SciFact --depths 10 50 100
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common as C


class _Counter:
    """Counts the pairs a reranker scores (a ``Progress``: ``Reranker.progress`` reports each
    call's batches)."""

    counts_tokens = False

    def __init__(self) -> None:
        self.pairs = 0

    def start(self, total: int, tokens: int | None = None) -> None:
        pass

    def update(self, n: int, tokens: int = 0) -> None:
        self.pairs += n

    def close(self) -> None:
        pass


def _run(
    cfg_kw: dict[str, Any], depths: list[int], results: Path
) -> tuple[float, int, dict[str, float]]:
    from mtebkit import RunConfig
    from mtebkit.evaluation import InProcessExecutor, execute, plan

    counter = _Counter()
    executor = InProcessExecutor()
    cfg = RunConfig(
        **cfg_kw, rerank_top_k=depths, results_dir=results, use_cache=False, show_progress=False
    )
    jobs = plan(cfg)
    spec = next(j.reranker for j in jobs if j.reranker is not None)
    rr = spec.build()  # loaded here, so that the counter sees every pair it scores
    rr.progress = counter
    executor.models.rerankers[spec] = rr
    t = time.perf_counter()
    records = execute(jobs, executor)
    seconds = time.perf_counter() - t
    scores = {}
    for r in records:
        depth = (r.experiment or "").split("rerank_top_k_")[1].split("__")[0]
        scores[f"{r.task}@{depth}"] = r.main_score
    return seconds, counter.pairs, scores


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reranker", type=Path, default=None)
    ap.add_argument("--tiny", action="store_true", help="a random 2-layer cross-encoder")
    ap.add_argument("--tasks", nargs="+", default=["DemoRetrievalEn"])
    ap.add_argument("--depths", nargs="+", type=int, default=[3, 5, 10])
    ap.add_argument("--data-dir", type=Path, default=None)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mtebkit-bench-sweep-"))
    if args.tiny:
        sys.path.insert(0, str(C.REPO))
        from tests.models.test_reranker import build_tiny_ce

        args.reranker = build_tiny_ce(tmp / "tiny-ce", seed=12)
    if args.reranker is None:
        ap.error("give --reranker PATH or --tiny")
    base = {
        "models": [C.model_path()],
        "tasks": args.tasks,
        "reranker": str(args.reranker),
        "data_dir": args.data_dir,
    }
    sweep_s, sweep_pairs, sweep_scores = _run(base, args.depths, tmp / "sweep")
    rows = [
        {
            "run": f"sweep {' '.join(map(str, args.depths))}",
            "seconds": sweep_s,
            "pairs": sweep_pairs,
        }
    ]
    alone_s = alone_pairs = 0
    same = True
    for d in args.depths:
        s, p, sc = _run(base, [d], tmp / f"k{d}")
        alone_s += s
        alone_pairs += p
        same &= all(v == sweep_scores[k] for k, v in sc.items())
        rows.append({"run": f"alone {d}", "seconds": s, "pairs": p})
    rows.append({"run": "alone, total", "seconds": alone_s, "pairs": alone_pairs})
    print(
        C.table(rows, ["run", "seconds", "pairs"], title=f"depth sweep on {', '.join(args.tasks)}")
    )
    print(f"\nscores of the sweep equal the runs alone: {same}; speed-up {alone_s / sweep_s:.2f}x")
    name = "rerank_sweep" + ("_tiny" if args.tiny else "")
    path = C.write_result(
        name,
        {
            "tasks": args.tasks,
            "depths": args.depths,
            "reranker": "tiny random cross-encoder" if args.tiny else str(args.reranker),
            "rows": rows,
            "scores_equal": same,
            "sweep_scores": sweep_scores,
        },
    )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
