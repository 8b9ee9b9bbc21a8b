"""Build the custom clustering task ``Banking77ClusteringSample`` (spec + data) in ``tasks/``
from the Banking77 test split of the offline mirror: customer messages clustered by intent.

    python tasks/scripts/build_banking77_clustering.py [--data-dir ../shared/data/hf]

The sample: ``N_LABELS`` of the 77 intents, drawn with ``random.Random(SEED)`` from the sorted
intent names; ``PER_LABEL`` messages of each, drawn with the same generator from that intent's
test rows in file order; then all rows shuffled by it. Labels are the intent names
(``label_text``). Deterministic: the same mirror always gives byte-identical files, and the
spec's sha256 is written here, as ``mtebkit tasks --rehash`` would.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
from pathlib import Path

NAME = "Banking77ClusteringSample"
SOURCE = "mteb/banking77"  # revision 0fd18e25b25c072e09e0d92ab615fda904d66300 in the mirror
SEED = 14
N_LABELS = 25
PER_LABEL = 16
REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tasks" / NAME

SPEC = f"""\
format: mtebkit-task
# Written by tasks/scripts/build_banking77_clustering.py from the Banking77 test split
# ({SOURCE}, CC BY 4.0): {N_LABELS} intents x {PER_LABEL} messages, seed {SEED}.
name: {NAME}
type: clustering
description: Banking customer messages clustered by intent (a seeded sample of Banking77 test).
languages: [eng-Latn]
eval_splits: [test]
main_score: v_measure
reference: https://arxiv.org/abs/2003.04807
data:
  format: rows
  files:
    test: test.jsonl
"""


def sample(data_dir: Path) -> list[dict[str, str]]:
    """The sampled rows ``{"text", "label"}``, in their final order."""
    path = data_dir / SOURCE / "test.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    by_label: dict[str, list[str]] = {}
    for r in rows:
        by_label.setdefault(r["label_text"], []).append(r["text"])
    rng = random.Random(SEED)
    chosen = rng.sample(sorted(by_label), N_LABELS)
    out = [
        {"text": t, "label": lab} for lab in chosen for t in rng.sample(by_label[lab], PER_LABEL)
    ]
    rng.shuffle(out)
    return out


def build(data_dir: Path, out: Path = OUT) -> Path:
    """Write ``<out>/test.jsonl`` and ``<out>/<NAME>.yaml``; return the spec's path."""
    out.mkdir(parents=True, exist_ok=True)
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in sample(data_dir))
    (out / "test.jsonl").write_bytes(data.encode("utf-8"))
    digest = hashlib.sha256(data.encode("utf-8")).hexdigest()
    spec = out / f"{NAME}.yaml"
    spec.write_bytes((SPEC + f'sha256:\n  test.jsonl: "{digest}"\n').encode("utf-8"))
    return spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data" / "hf")
    args = parser.parse_args()
    print(build(args.data_dir))


if __name__ == "__main__":
    main()
