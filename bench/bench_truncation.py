"""Truncation and throughput per task, as every result records them (``provenance.encoding``).

Reads the result files of one ``mtebkit run`` (run it cold, with its own cache, so the speeds are
real encoding speeds) and tabulates, per task: texts, distinct texts, truncated queries /
documents (or texts), tokens encoded, encoding seconds, texts/s and tokens/s.

    MTEBKIT_CACHE_DIR=/tmp/cold mtebkit run --data-dir ../shared/data/hf --results /tmp/res --tasks ...
    python bench/bench_truncation.py --results /tmp/res [--name truncation]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import _common as C


def _trunc(kinds: dict[str, Any], kind: str) -> str:
    k = kinds.get(kind)
    if not k:
        return "-"
    share = 100 * k["truncated"] / k["encoded"] if k.get("encoded") else 0.0
    return f"{k['truncated']} ({share:.1f}%)"


def _speed(value: float | None) -> str:
    return "- (cached)" if value is None else f"{value:,.1f}"


def rows_of(results: Path) -> list[dict[str, Any]]:
    from mtebkit.results import encoding_of

    rows = []
    for path in sorted(results.rglob("*.json")):
        if path.name == "model_meta.json":
            continue
        enc = encoding_of(path)
        if enc is None:
            continue
        kinds, total = enc["kinds"], enc["all"]
        rows.append(
            {
                "task": path.stem,
                "texts": total["texts"],
                "distinct": total["distinct"],
                "cached": total["cached"],
                "truncated q": _trunc(kinds, "query"),
                "truncated d / texts": _trunc(kinds, "document")
                if "document" in kinds
                else _trunc(kinds, "text"),
                "max_length": total["max_length"],
                "tokens": total["tokens"],
                "seconds": f"{total['seconds']:.1f}",
                "texts/s": _speed(total["texts_per_s"]),
                "tokens/s": _speed(total["tokens_per_s"]),
                "device": enc["device"],
                "record": enc,
            }
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=Path, required=True)
    ap.add_argument("--name", default="truncation")
    args = ap.parse_args()
    rows = rows_of(args.results)
    cols = [
        "task",
        "texts",
        "distinct",
        "cached",
        "truncated q",
        "truncated d / texts",
        "tokens",
        "seconds",
        "texts/s",
        "tokens/s",
        "device",
    ]
    C.table(rows, cols, title="Truncation and throughput per task (cold cache)")
    path = C.write_result(args.name, {"results": str(args.results), "tasks": rows})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
