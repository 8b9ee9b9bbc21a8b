"""Per-item scores kept beside each result: what plots and paired significance tests need.

mteb writes ``<folder>/<Task>_predictions.json`` (``{hf_subset: {split: predictions}}``) when
``mteb.evaluate`` gets a ``prediction_folder``; those files can be large (a full top-k run per
query). :func:`save_item_scores` distils them, with the task's gold data still loaded, into ONE
compact gzip'd JSON file ``<Task>.items.json.gz`` beside ``<Task>.json``:

* pair tasks (STS, pair classification, summarization-like pairs): per pair the model's
  similarity and the gold score/label;
* retrieval and reranking: per query the metric values (nDCG@10, MAP@1000, MRR@10, Recall@100,
  computed with pytrec_eval as mteb does) plus a bounded sample of (score, relevant?) pairs for
  distribution plots: retrieved relevant documents and top-ranked non-relevant ones, at most
  ``sample_per_query`` per query (half of each), so big tasks stay small.

Schema (``schema_version`` 1)::

    {"format": "mtebkit-item-scores", "schema_version": 1, "task": str, "task_type": str,
     "kind": "pairs" | "retrieval", "main_metric": str,
     "entries": [{"split": str, "subset": str,
                  # pairs:
                  "score_name": str, "scores": [float], "gold": [float], "gold_binary": bool,
                  # retrieval:
                  "query_ids": [str], "metrics": {name: [float]},
                  "sample": {"scores": [float], "relevant": [0|1]}}]}
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtebkit._util.atomic import atomic_write_bytes
from mtebkit.errors import ResultsError
from mtebkit.results._layout import ITEM_SCORES_SUFFIX, item_scores_for, item_scores_path

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from mteb.abstasks.abstask import AbsTask

__all__ = [
    "ITEM_SCORES_SCHEMA_VERSION",
    "RETRIEVAL_METRICS",
    "ItemEntry",
    "ItemScores",
    "item_scores_bytes",
    "item_scores_digest",
    "item_scores_for",
    "item_scores_from_predictions",
    "item_scores_path",
    "load_item_scores",
    "paired_arrays",
    "per_query_metrics",
    "save_item_scores",
    "write_item_scores",
]

ITEM_SCORES_SCHEMA_VERSION = 1
SUFFIX = ITEM_SCORES_SUFFIX
# our name -> pytrec_eval measure (mteb uses the same measures for these)
RETRIEVAL_METRICS: dict[str, str] = {
    "ndcg_at_10": "ndcg_cut_10",
    "map_at_1000": "map_cut_1000",
    "recall_at_100": "recall_100",
}
# Summarization is not here: its predictions are per-summary lists, not one score per pair.
_PAIR_TYPES = {"STS", "PairClassification"}
_RETRIEVAL_TYPES = {"Retrieval", "Reranking", "InstructionRetrieval", "InstructionReranking"}


@dataclass(frozen=True)
class ItemEntry:
    split: str
    subset: str
    scores: list[float] = field(default_factory=list)  # pairs: model similarity per pair
    gold: list[float] = field(default_factory=list)
    gold_binary: bool = False
    score_name: str | None = None
    query_ids: list[str] = field(default_factory=list)  # retrieval
    metrics: dict[str, list[float]] = field(default_factory=dict)
    sample_scores: list[float] = field(default_factory=list)
    sample_relevant: list[int] = field(default_factory=list)

    def positives_negatives(self, sts_threshold: float = 0.5) -> tuple[list[float], list[float]]:
        """Model scores of positive and negative pairs.

        Pairs: positive = gold label 1, or (STS) normalised gold score >= ``sts_threshold``
        (default: the upper half of the scale). Retrieval: the (score, relevant?) sample.
        """
        if self.sample_scores:
            pos = [s for s, r in zip(self.sample_scores, self.sample_relevant, strict=True) if r]
            neg = [
                s for s, r in zip(self.sample_scores, self.sample_relevant, strict=True) if not r
            ]
            return pos, neg
        thr = 0.5 if self.gold_binary else sts_threshold
        pos = [s for s, g in zip(self.scores, self.gold, strict=True) if g >= thr]
        neg = [s for s, g in zip(self.scores, self.gold, strict=True) if g < thr]
        return pos, neg


@dataclass(frozen=True)
class ItemScores:
    task: str
    task_type: str | None
    kind: str  # "pairs" | "retrieval"
    main_metric: str | None
    entries: tuple[ItemEntry, ...]
    path: Path | None = None

    def entry(self, split: str, subset: str = "default") -> ItemEntry:
        for e in self.entries:
            if e.split == split and e.subset == subset:
                return e
        have = ", ".join(f"{e.split}/{e.subset}" for e in self.entries)
        raise ResultsError(
            f"{self.path or self.task}: no item scores for split {split} subset {subset} (have: {have})"
        )


def _round(xs: Any, nd: int = 6) -> list[float]:
    return [round(float(x), nd) if math.isfinite(float(x)) else 0.0 for x in xs]


def _split_data(task: AbsTask, subset: str, split: str) -> Any:
    ds: Any = task.dataset
    if ds is None:
        raise ResultsError(
            f"{task.metadata.name}: the task's data is not loaded (call task.load_data())"
        )
    if subset in ds and isinstance(ds[subset], Mapping) and split in ds[subset]:
        return ds[subset][split]
    if split in ds:
        return ds[split]
    raise ResultsError(f"{task.metadata.name}: no data for subset {subset!r} split {split!r}")


def _column(data: Any, name: str) -> list[Any]:
    col = list(data[name])
    # mteb v1 pair-classification format: one row holding lists
    if len(col) == 1 and isinstance(col[0], list):
        return list(col[0])
    return col


def _pairs_entry(task: AbsTask, subset: str, split: str, pred: Mapping[str, Any]) -> dict[str, Any]:
    score_name = (
        "similarity_scores" if pred.get("similarity_scores") is not None else "cosine_scores"
    )
    scores = pred.get(score_name)
    if scores is None:
        raise ResultsError(
            f"{task.metadata.name}: predictions have no similarity scores ({sorted(pred)})"
        )
    data = _split_data(task, subset, split)
    if task.metadata.type == "PairClassification":
        gold = [float(x) for x in _column(data, getattr(task, "label_column_name", "labels"))]
        binary = True
    else:
        norm = getattr(task, "_normalize", None)
        raw = (
            _column(data, "score")
            if "score" in getattr(data, "column_names", ["score"])
            else _column(data, "relevance")
        )
        gold = [float(norm(x)) if norm else float(x) for x in raw]
        binary = False
    if len(gold) != len(scores):
        raise ResultsError(
            f"{task.metadata.name} {subset}/{split}: {len(scores)} predicted scores but {len(gold)} gold labels"
        )
    return {
        "split": split,
        "subset": subset,
        "score_name": score_name,
        "scores": _round(scores),
        "gold": _round(gold),
        "gold_binary": binary,
    }


def per_query_metrics(
    run: Mapping[str, Mapping[str, float]],
    qrels: Mapping[str, Mapping[str, int]],
    *,
    ignore_identical_ids: bool = False,
) -> tuple[list[str], dict[str, list[float]]]:
    """Per-query nDCG@10, MAP@1000, Recall@100 (pytrec_eval) and MRR@10 for queries with a relevant doc.

    MRR@10 = 1 / rank of the first relevant document within the top 10 (0 if none).
    """
    import pytrec_eval

    qrels_pos = {
        q: {d: int(r) for d, r in docs.items()}
        for q, docs in qrels.items()
        if any(int(r) > 0 for r in docs.values())
    }
    run_f = {
        q: {d: float(s) for d, s in docs.items() if not (ignore_identical_ids and d == q)}
        for q, docs in run.items()
        if q in qrels_pos
    }
    for q in qrels_pos:  # a query with no retrieved docs scores 0 everywhere
        run_f.setdefault(q, {})
    evaluator = pytrec_eval.RelevanceEvaluator(
        qrels_pos, {"ndcg_cut.10", "map_cut.1000", "recall.100"}
    )
    res = evaluator.evaluate({q: d for q, d in run_f.items() if d})
    qids = sorted(qrels_pos)
    out: dict[str, list[float]] = {k: [] for k in (*RETRIEVAL_METRICS, "mrr_at_10")}
    for q in qids:
        r = res.get(q, {})
        for ours, theirs in RETRIEVAL_METRICS.items():
            out[ours].append(float(r.get(theirs, 0.0)))
        ranked = sorted(run_f[q].items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        rr = next(
            (1.0 / (i + 1) for i, (d, _) in enumerate(ranked) if qrels_pos[q].get(d, 0) > 0), 0.0
        )
        out["mrr_at_10"].append(rr)
    return qids, out


def _retrieval_entry(
    task: AbsTask,
    subset: str,
    split: str,
    run: Mapping[str, Mapping[str, float]],
    sample_per_query: int,
) -> dict[str, Any]:
    data = _split_data(task, subset, split)
    qrels = data["relevant_docs"]
    qids, metrics = per_query_metrics(
        run, qrels, ignore_identical_ids=bool(getattr(task, "ignore_identical_ids", False))
    )
    half = max(1, sample_per_query // 2)
    s_scores: list[float] = []
    s_rel: list[int] = []
    for q in qids:
        docs = sorted(run.get(q, {}).items(), key=lambda kv: (-kv[1], kv[0]))
        rel = {d for d, r in qrels[q].items() if int(r) > 0}
        pos = [s for d, s in docs if d in rel][:half]
        neg = [s for d, s in docs if d not in rel][:half]
        s_scores += pos + neg
        s_rel += [1] * len(pos) + [0] * len(neg)
    return {
        "split": split,
        "subset": subset,
        "query_ids": [str(q) for q in qids],
        "metrics": {k: _round(v) for k, v in metrics.items()},
        "sample": {"scores": _round(s_scores), "relevant": s_rel},
    }


def item_scores_from_predictions(
    task: AbsTask, predictions: Mapping[str, Any], *, sample_per_query: int = 50
) -> dict[str, Any] | None:
    """Distil mteb's predictions of ``task`` (its data still loaded) into the item-scores object.

    Task types other than pair and retrieval tasks give None. An entry whose predictions or
    data have an unexpected shape is skipped with a logged warning, so a finished evaluation
    is never lost to its item scores.
    """
    ttype = str(task.metadata.type)
    kind = "pairs" if ttype in _PAIR_TYPES else "retrieval" if ttype in _RETRIEVAL_TYPES else None
    if kind is None:
        return None
    entries = []
    for subset, by_split in predictions.items():
        if subset == "mteb_model_meta" or not isinstance(by_split, Mapping):
            continue
        for split, pred in by_split.items():
            # a shape we do not understand loses the item scores of this entry, never the result
            try:
                if kind == "pairs":
                    entries.append(_pairs_entry(task, subset, split, pred))
                else:
                    entries.append(_retrieval_entry(task, subset, split, pred, sample_per_query))
            except (ResultsError, KeyError, TypeError, ValueError, AttributeError) as exc:
                logger.warning(
                    "%s %s/%s: item scores not kept: %s", task.metadata.name, subset, split, exc
                )
    if not entries:
        return None
    return {
        "format": "mtebkit-item-scores",
        "schema_version": ITEM_SCORES_SCHEMA_VERSION,
        "task": task.metadata.name,
        "task_type": ttype,
        "kind": kind,
        "main_metric": str(task.metadata.main_score),
        "entries": entries,
    }


def item_scores_bytes(obj: Mapping[str, Any]) -> bytes:
    """The gzip'd JSON of an item-scores object; mtime=0, so equal scores give equal bytes."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:
        gz.write(json.dumps(obj, separators=(",", ":")).encode("utf-8"))
    return buf.getvalue()


def write_item_scores(obj: Mapping[str, Any], out_path: Path) -> None:
    """Write an item-scores object to ``out_path`` atomically."""
    atomic_write_bytes(Path(out_path), item_scores_bytes(obj))


def save_item_scores(
    task: AbsTask, predictions_path: Path, out_path: Path, *, sample_per_query: int = 50
) -> None:
    """Read mteb's predictions file of ``task`` and write its item scores to ``out_path``
    (nothing for task types without item scores); an unreadable file raises ResultsError."""
    try:
        preds = json.loads(Path(predictions_path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ResultsError(f"cannot read mteb predictions {predictions_path}: {exc}") from exc
    obj = item_scores_from_predictions(task, preds, sample_per_query=sample_per_query)
    if obj is not None:
        write_item_scores(obj, out_path)


def load_item_scores(path: str | Path) -> ItemScores:
    """Read a ``<Task>.items.json.gz`` file (ResultsError naming it when unreadable)."""
    p = Path(path)
    try:
        with gzip.open(p, "rt", encoding="utf-8") as f:
            obj = json.load(f)
    except (OSError, EOFError, json.JSONDecodeError) as exc:
        raise ResultsError(f"cannot read item scores {p}: {exc}") from exc
    if not isinstance(obj, dict) or obj.get("format") != "mtebkit-item-scores":
        raise ResultsError(f"{p} is not an mtebkit item-scores file")
    if obj.get("schema_version") != ITEM_SCORES_SCHEMA_VERSION:
        raise ResultsError(
            f"{p}: unsupported item-scores schema_version {obj.get('schema_version')!r}"
        )
    entries = []
    for e in obj["entries"]:
        sample = e.get("sample") or {}
        entries.append(
            ItemEntry(
                split=e["split"],
                subset=e["subset"],
                scores=e.get("scores", []),
                gold=e.get("gold", []),
                gold_binary=bool(e.get("gold_binary", False)),
                score_name=e.get("score_name"),
                query_ids=e.get("query_ids", []),
                metrics=e.get("metrics", {}),
                sample_scores=sample.get("scores", []),
                sample_relevant=sample.get("relevant", []),
            )
        )
    return ItemScores(
        obj["task"], obj.get("task_type"), obj["kind"], obj.get("main_metric"), tuple(entries), p
    )


def item_scores_digest(path: str | Path) -> str:
    """sha256 of the file's JSON content (not of its gzip bytes, whose header may differ)."""
    p = Path(path)
    try:
        with gzip.open(p, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except (OSError, EOFError) as exc:
        raise ResultsError(f"cannot read item scores {p}: {exc}") from exc


def paired_arrays(
    a: ItemEntry, b: ItemEntry, metric: str | None = None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Aligned item arrays (A values, B values, gold) for a paired test; refuses mismatched items."""
    import numpy as np

    if a.query_ids or b.query_ids:
        name = metric if metric in a.metrics else "ndcg_at_10"
        if name not in a.metrics or name not in b.metrics:
            raise ResultsError(f"per-query {name} missing from item scores")
        ia = dict(zip(a.query_ids, a.metrics[name], strict=True))
        ib = dict(zip(b.query_ids, b.metrics[name], strict=True))
        if set(ia) != set(ib):
            raise ResultsError(
                f"the two runs scored different queries ({len(set(ia) ^ set(ib))} differ)"
            )
        qs = sorted(ia)
        va = np.array([ia[q] for q in qs])
        vb = np.array([ib[q] for q in qs])
        return va, vb, np.zeros(len(qs))
    if len(a.scores) != len(b.scores) or a.gold != b.gold:
        raise ResultsError("the two runs scored different pairs (gold labels differ)")
    return (
        np.array(a.scores, dtype=np.float64),
        np.array(b.scores, dtype=np.float64),
        np.array(a.gold, dtype=np.float64),
    )
