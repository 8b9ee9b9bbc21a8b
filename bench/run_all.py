"""Run the whole benchmark suite: ``python bench/run_all.py [--quick] [--device cpu|cuda]``.

Each benchmark runs in its own process (clean memory and thread pools) and writes
``bench/results/<name>.json``; the tables are printed as they come. Order: cache, search,
encode, end to end (the long one), dims x precisions, whole processes, and with ``--device cuda``
the GPU benchmark.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ("cache", "search", "encode", "e2e", "variants", "process", "gpu")


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="small sizes: a few minutes in all")
    ap.add_argument(
        "--device", default="cpu", help="cpu, or cuda where a GPU exists (encode and e2e)"
    )
    ap.add_argument("--only", default=None, help=f"comma separated subset of {','.join(BENCHES)}")
    a = ap.parse_args()
    chosen = a.only.split(",") if a.only else list(BENCHES)
    unknown = set(chosen) - set(BENCHES)
    if unknown:
        ap.error(f"unknown benchmark(s) {sorted(unknown)}; choose from {', '.join(BENCHES)}")
    if not a.device.startswith("cuda") and "gpu" in chosen:
        chosen.remove("gpu")  # the GPU benchmark needs a GPU; --device cuda runs it
        print("## gpu: skipped (runs with --device cuda)", flush=True)
    failed = []
    for name in chosen:
        cmd = [sys.executable, str(HERE / f"bench_{name}.py")]
        if a.quick:
            cmd.append("--quick")
        if name in ("encode", "e2e", "variants", "gpu"):
            cmd += ["--device", a.device]
        print(f"\n## {name}: {' '.join(cmd[1:])}", flush=True)
        t = time.perf_counter()
        rc = subprocess.call(cmd)
        print(f"## {name}: exit {rc} after {time.perf_counter() - t:.0f}s", flush=True)
        if rc:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
