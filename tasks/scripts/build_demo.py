"""Regenerate the demo tasks' data files from demo_source_en.py / demo_source_zh.py, then
rehash the specs. The demo ships inside the package, in ``src/mtebkit/tasks/demo/``.

    python tasks/scripts/build_demo.py

Deterministic: the same sources always give byte-identical files (and so the same sha256).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
OUT = HERE.parents[1] / "src" / "mtebkit" / "tasks" / "demo"
sys.path.insert(0, str(HERE))

import demo_source_en  # noqa: E402
import demo_source_zh  # noqa: E402

N_NEGATIVES = (5, 8)  # inclusive range of negatives per reranking query


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def build(lang: str, src: ModuleType) -> None:
    assert len(src.HARD) == len(src.GROUPS)
    # each group's unhelpful passages, plus its hard negative
    groups = [
        (q, rel, [*unhelpful, src.HARD[g]]) for g, (q, rel, unhelpful) in enumerate(src.GROUPS)
    ]
    # retrieval: relevant and unhelpful passages pooled into one corpus, order shuffled
    docs: list[tuple[str, int, bool]] = []  # (text, group, relevant)
    for g, (_, relevant, unhelpful) in enumerate(groups):
        docs += [(t, g, True) for t in relevant] + [(t, g, False) for t in unhelpful]
    docs += [(t, -1, False) for t in src.FILLER]
    order = list(range(len(docs)))
    random.Random(f"corpus-{lang}").shuffle(order)
    corpus, qrels = [], []
    for n, i in enumerate(order, start=1):
        text, g, rel = docs[i]
        doc_id = f"{lang}-d{n:03d}"
        corpus.append({"_id": doc_id, "title": "", "text": text})
        if rel:
            qrels.append((f"{lang}-q{g + 1:02d}", doc_id))
    queries = [{"_id": f"{lang}-q{g + 1:02d}", "text": q} for g, (q, _, _) in enumerate(groups)]
    out = OUT / f"retrieval_{lang}"
    _write_jsonl(out / "corpus.jsonl", corpus)
    _write_jsonl(out / "queries.jsonl", queries)
    (out / "qrels").mkdir(parents=True, exist_ok=True)
    lines = ["query-id\tcorpus-id\tscore"] + [f"{q}\t{d}\t1" for q, d in sorted(qrels)]
    (out / "qrels" / "test.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    # reranking: the group's unhelpful passages are hard negatives, topped up from other groups
    rows = []
    for k, (g, query, positives) in enumerate(src.RERANK):
        rng = random.Random(f"rerank-{lang}-{k}")
        hard = list(groups[g][2])
        others = [t for h, grp in enumerate(groups) if h != g for t in (*grp[1], *grp[2])]
        n_neg = rng.randint(*N_NEGATIVES)
        negatives = hard + rng.sample(others, max(0, n_neg - len(hard)))
        rng.shuffle(negatives)
        rows.append({"query": query, "positive": list(positives), "negative": negatives})
    _write_jsonl(OUT / f"reranking_{lang}" / "test.jsonl", rows)

    sts = [{"sentence1": a, "sentence2": b, "score": s} for a, b, s in src.STS]
    _write_jsonl(OUT / f"sts_{lang}" / "test.jsonl", sts)


def main() -> None:
    build("en", demo_source_en)
    build("zh", demo_source_zh)
    from mtebkit.tasks import rehash_spec

    for spec in sorted(OUT.glob("*.yaml")):
        rehash_spec(spec)
        print(f"rehashed {spec.name}")


if __name__ == "__main__":
    main()
