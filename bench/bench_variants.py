"""Matryoshka dims x precisions on SciFact: one mtebkit run against one ST run per variant.

1. ``mtebkit.run_evaluation`` with ``dims=[384, 256, 128, 64]``, ``precisions=[float32, int8,
   binary]`` and no embedding cache: the twelve variants from one encoding of the corpus;
2. for each variant, sentence-transformers alone: ``SentenceTransformer(truncate_dim=d)``,
   ``encode(normalize_embeddings=True, precision=p)`` (ST's ``quantize_embeddings``) inside
   ``mteb.evaluate`` (tests/helpers/st_variants.py), which encodes the corpus every time.

The scores of both sides are listed side by side (they agree to float32 rounding). One ST run
of SciFact takes minutes on a loaded 2-core CPU, so ``--st-variants`` may run a subset: the
twelve-run ST time is then the measured mean per run times twelve, marked ``projected``; and
``--docs N`` cuts the corpus to its relevant documents plus the first N others (both sides
alike; the scores are then those of that smaller corpus, not SciFact's).

    python bench/bench_variants.py [--st-variants 384/float32,64/binary] [--docs 200] [--device cpu]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import Any

import _common as C

sys.path.insert(0, str(C.REPO / "tests"))
from helpers.st_variants import STVariantEncoder

DIMS = [384, 256, 128, 64]
PRECISIONS = ["float32", "int8", "binary"]
TASK = "SciFact"
QUICK_ST = "384/float32,128/int8,64/binary"
BATCH = 32


DOCS: int | None = None  # --docs: relevant documents plus this many others (None: all)


def _subset_class() -> type[Any]:
    """SciFact whose corpus keeps the relevant documents and the first ``DOCS`` others."""
    import mteb

    base = type(mteb.get_task(TASK))

    def load_data(self: Any, **kw: Any) -> None:
        base.load_data(self, **kw)
        if DOCS is None:
            return
        for splits in self.dataset.values():
            for data in splits.values():
                relevant = {d for docs in data["relevant_docs"].values() for d in docs}
                keep = [i for i, doc_id in enumerate(data["corpus"]["id"])
                        if doc_id in relevant or i < DOCS]  # fmt: skip
                data["corpus"] = data["corpus"].select(keep)

    return type("SciFactSubset", (base,), {"load_data": load_data, "__module__": __name__})


SciFactSubset = _subset_class()


def _task() -> Any:
    from mtebkit.tasks import with_mirror

    return with_mirror(SciFactSubset(), C.data_dir())


def _mtebkit_side(device: str) -> tuple[float, dict[str, float], int]:
    seconds, records = C.timed_run(
        models=[C.model_path()], tasks=[SciFactSubset], data_dir=C.data_dir(),
        batch_size=BATCH, use_cache=False, show_progress=False, devices=[device],
        dims=DIMS, precisions=PRECISIONS,
    )  # fmt: skip
    scores = {r.experiment or "-": r.main_score for r in records}
    return seconds, scores, sum(r.reused_texts for r in records)


def _name(dim: int, precision: str) -> str:
    """mtebkit's experiment name of a variant (the full dim is the default experiment)."""
    parts = ([] if dim == DIMS[0] else [f"dim_{dim}"]) + (
        [] if precision == "float32" else [f"precision_{precision}"]
    )
    return "__".join(parts) or "-"


def _st_side(dim: int, precision: str, device: str) -> tuple[float, float]:
    import mteb

    t = time.perf_counter()
    model = STVariantEncoder(C.model_path(), dim=dim, precision=precision, device=device)
    res = mteb.evaluate(model, _task(), cache=None, encode_kwargs={"batch_size": BATCH},
                        show_progress_bar=False, co2_tracker=False)  # fmt: skip
    seconds = time.perf_counter() - t
    if res.exceptions:
        raise RuntimeError(f"mteb failed: {res.exceptions[0].exception}")
    (tr,) = res.task_results
    return seconds, float(tr.scores["test"][0]["main_score"])


def run(st_variants: list[tuple[int, str]], device: str) -> dict[str, Any]:
    logging.getLogger("mteb").setLevel(logging.ERROR)
    _task().load_data()  # fill the datasets cache first, untimed, for both sides
    t_kit, kit, reused = _mtebkit_side(device)
    print(f"  mtebkit: 12 variants in {t_kit:.1f}s ({reused} texts not re-encoded)", flush=True)
    rows: list[dict[str, Any]] = []
    st_times: list[float] = []
    for dim in DIMS:
        for precision in PRECISIONS:
            row: dict[str, Any] = {"dim": dim, "precision": precision,
                                   "mtebkit_x100": 100 * kit[_name(dim, precision)]}  # fmt: skip
            if (dim, precision) in st_variants:
                s, score = _st_side(dim, precision, device)
                st_times.append(s)
                row.update(st_x100=100 * score, abs_diff_x100=abs(row["mtebkit_x100"] - 100 * score),
                           st_s=s)  # fmt: skip
                print(f"  ST {dim}/{precision}: {s:.1f}s", flush=True)
            rows.append(row)
    st_total = sum(st_times) if len(st_times) == len(DIMS) * len(PRECISIONS) else None
    projected = sum(st_times) / len(st_times) * len(rows) if st_times else None
    out = {
        "task": TASK, "docs": DOCS, "device": device, "batch_size": BATCH, "rows": rows,
        "mtebkit_12_variants_s": t_kit, "mtebkit_texts_not_reencoded": reused,
        "st_runs_measured": len(st_times), "st_mean_run_s": projected / len(rows) if projected else None,
        "st_12_variants_s": st_total, "st_12_variants_projected_s": None if st_total else projected,
        "speedup": (st_total or projected or 0) / t_kit,
        "max_abs_diff_x100": max((r.get("abs_diff_x100", 0.0) for r in rows), default=0.0),
    }  # fmt: skip
    C.table(rows, ["dim", "precision", "mtebkit_x100", "st_x100", "abs_diff_x100", "st_s"],
            title=f"{TASK} nDCG@10 x100 per variant (ST seconds per run)")  # fmt: skip
    C.table([{k: out[k] for k in ("mtebkit_12_variants_s", "st_12_variants_s",
                                  "st_12_variants_projected_s", "st_runs_measured", "speedup")}],
            ["mtebkit_12_variants_s", "st_12_variants_s", "st_12_variants_projected_s",
             "st_runs_measured", "speedup"], title="Twelve variants, seconds")  # fmt: skip
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--st-variants",
        default=None,
        help="comma separated dim/precision pairs to run with ST (default: all twelve)",
    )
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--docs", type=int, default=None, help="relevant documents + N others")
    ap.add_argument("--quick", action="store_true", help=f"--docs 161 --st-variants {QUICK_ST}")
    a = ap.parse_args()
    if a.quick:
        a.docs = 161 if a.docs is None else a.docs
        a.st_variants = a.st_variants or QUICK_ST
    global DOCS
    DOCS = a.docs
    if a.st_variants:
        pairs = [p.split("/") for p in a.st_variants.split(",")]
        chosen = [(int(d), p) for d, p in pairs]
    else:
        chosen = [(d, p) for d in DIMS for p in PRECISIONS]
    t = time.perf_counter()
    name = C.result_name(
        "variants", device=a.device, partial=bool(a.st_variants), quick=a.docs is not None
    )
    out = run(chosen, a.device)
    out["wall_s"] = time.perf_counter() - t
    print("wrote", C.write_result(name, out))


if __name__ == "__main__":
    main()
