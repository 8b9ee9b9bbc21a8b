"""Compare two results folders file by file, timings and provenance aside.

Used to check that a refactor leaves every result, experiment name and item file unchanged:
run the same command from two commits into two folders, then
``python bench/same_results.py BEFORE AFTER`` (exit 1 on any difference; prints a JSON summary).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

# what differs between two runs of the same computation: clocks, throughput, the process
VOLATILE = {"evaluation_time", "date", "evaluation_phases", "provenance"}


def _stable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _stable(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [_stable(v) for v in obj]
    return obj


def compare(before: Path, after: Path) -> dict[str, Any]:
    files_b = sorted(p.relative_to(before) for p in before.rglob("*") if p.is_file())
    files_a = sorted(p.relative_to(after) for p in after.rglob("*") if p.is_file())
    identical, equal_but_timings, different = 0, 0, []
    for rel in sorted(set(files_b) & set(files_a)):
        x, y = (before / rel).read_bytes(), (after / rel).read_bytes()
        if x == y:
            identical += 1
        elif rel.suffix == ".json" and _stable(json.loads(x)) == _stable(json.loads(y)):
            equal_but_timings += 1
        else:
            different.append(str(rel))
    return {
        "files": len(files_b),
        "only_before": [str(p) for p in sorted(set(files_b) - set(files_a))],
        "only_after": [str(p) for p in sorted(set(files_a) - set(files_b))],
        "byte_identical": identical,
        "identical_but_timings": equal_but_timings,
        "different": different,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python bench/same_results.py BEFORE AFTER", file=sys.stderr)
        return 2
    summary = compare(Path(argv[0]), Path(argv[1]))
    print(json.dumps(summary, indent=2))
    same = not (summary["only_before"] or summary["only_after"] or summary["different"])
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
