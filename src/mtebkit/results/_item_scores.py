"""Per-item scores kept beside each result: what plots and paired significance tests need.

mteb writes ``<folder>/<Task>_predictions.json`` (``{hf_subset: {split: predictions}}``) when
``mteb.evaluate`` gets a ``prediction_folder``; those files can be large (a full top-k run per
query). :func:`item_scores_from_predictions` distils them, with the task's gold data still
loaded, into ONE compact gzip'd JSON file ``<Task>.items.json.gz`` beside ``<Task>.json``.

What an item is depends on the task type, through the :data:`ITEM_KINDS` registry of
:mod:`mtebkit.results._item_kinds` (a kind declares the task types it serves, how an entry is
built from mteb's predictions, its main metrics and the name of its statistic); this module
reads and writes the files:

* ``sts``: per pair the gold score normalised as mteb does (by the task's ``min_score`` / ``max_score``) and every
  score column mteb predicted (``cosine_scores``, ``manhattan_distances``, ...), unrounded, so
  Spearman / Pearson over all pairs is the main score mteb wrote;
* ``pair_classification``: per pair the 0/1 label and all five score columns (``max_ap`` is the
  maximum over them);
* ``retrieval`` (retrieval and reranking): per query the value of the task's main metric and of
  nDCG@10, computed as mteb does (pytrec_eval on the same qrels and run; MRR by
  :func:`reciprocal_rank`), plus a bounded sample of (score, relevant?) pairs for plots;
* ``classification``: per test example the gold label and the label each of mteb's
  ``n_experiments`` classifiers predicted, both as indices into ``labels`` (the sorted train and
  test labels), so the main score is the mean over experiments of the metric on the items;
* ``summarization``: per document (those mteb kept) its id and the per-document correlations mteb
  averages (``query_ids`` / ``metrics``); the tasks of mteb's deprecated evaluator (SummEval)
  average each correlation together with its p-value, so their p-values are kept too
  (``<metric>_pvalue``) and the main score is the mean of both.

Schema (``schema_version`` 2; version 1 files, whose per-item metrics could differ from mteb's
on ties, are refused with a message that says to re-run the task)::

    {"format": "mtebkit-item-scores", "schema_version": 2, "task": str, "task_type": str,
     "kind": "sts" | "pair_classification" | "retrieval" | "classification" | "summarization",
     "main_metric": str,
     "higher_is_similar": {column: bool},          # pair kinds: direction of each column
     "entries": [{"split": str, "subset": str,
                  # pair kinds:
                  "gold": [float], "scores": {column: [float]},
                  # retrieval:
                  "query_ids": [str], "metrics": {name: [float]},
                  "sample": {"scores": [float], "relevant": [0|1]},
                  # classification: label indices (gold per item, predictions per experiment)
                  "labels": [label], "gold": [int], "predictions": [[int]],
                  # summarization: "query_ids" = document ids, "metrics" per document
                  }]}
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtebkit._util.atomic import atomic_write_bytes
from mtebkit.errors import ResultsError
from mtebkit.results._item_kinds import (
    ITEM_KINDS,
    ItemKind,
    MainMetric,
    item_kind,
    item_kind_for,
    items_have_ids,
    kind_directions,
    label_indices,
    parse_main_metric,
    per_query_metrics,
    reciprocal_rank,
)
from mtebkit.results._layout import item_scores_for, item_scores_path

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from mteb.abstasks.abstask import AbsTask

__all__ = [
    "ITEM_KINDS",
    "ITEM_SCORES_SCHEMA_VERSION",
    "ItemEntry",
    "ItemKind",
    "ItemScores",
    "MainMetric",
    "OutdatedItemScoresError",
    "item_kind_for",
    "item_matrix",
    "item_scores_bytes",
    "item_scores_digest",
    "item_scores_for",
    "item_scores_from_predictions",
    "item_scores_path",
    "items_have_ids",
    "label_indices",
    "load_item_scores",
    "paired_arrays",
    "parse_main_metric",
    "per_query_metrics",
    "reciprocal_rank",
    "save_item_scores",
    "write_item_scores",
]

ITEM_SCORES_SCHEMA_VERSION = 2
FORMAT = "mtebkit-item-scores"


class OutdatedItemScoresError(ResultsError):
    """An item-scores file of an older schema: readers that can go on without items skip it."""


@dataclass(frozen=True)
class ItemEntry:
    split: str
    subset: str
    gold: list[float] = field(default_factory=list)  # pair kinds: gold per pair
    scores: dict[str, list[float]] = field(default_factory=dict)  # pair kinds: column -> scores
    query_ids: list[str] = field(default_factory=list)  # retrieval
    metrics: dict[str, list[float]] = field(default_factory=dict)
    sample_scores: list[float] = field(default_factory=list)
    sample_relevant: list[int] = field(default_factory=list)
    labels: list[Any] = field(default_factory=list)  # classification: index -> label
    predictions: list[list[int]] = field(default_factory=list)  # classification: per experiment

    def plot_column(self, main: MainMetric | None) -> str | None:
        """The similarity column drawn in plots: the main metric's own column when it is a
        similarity (higher = more similar), else the model's similarity, else cosine."""
        own: tuple[str, ...] = main.columns if main is not None and len(main.columns) == 1 else ()
        for c in (*own, "similarity_scores", "cosine_scores"):
            if c in self.scores and c not in ("manhattan_distances", "euclidean_distances"):
                return c
        return None

    def positives_negatives(
        self, sts_threshold: float = 0.5, *, binary: bool = False, column: str | None = None
    ) -> tuple[list[float], list[float]]:
        """Model scores of positive and negative items.

        Pairs (``column`` or :meth:`plot_column`): positive = gold label 1 (``binary``), or
        normalised gold score >= ``sts_threshold``. Retrieval: the (score, relevant?) sample.
        """
        if self.query_ids:
            pos = [s for s, r in zip(self.sample_scores, self.sample_relevant, strict=True) if r]
            neg = [
                s for s, r in zip(self.sample_scores, self.sample_relevant, strict=True) if not r
            ]
            return pos, neg
        col = column or self.plot_column(None)
        if col is None:
            return [], []
        thr = 0.5 if binary else sts_threshold
        vals = self.scores[col]
        pos = [s for s, g in zip(vals, self.gold, strict=True) if g >= thr]
        neg = [s for s, g in zip(vals, self.gold, strict=True) if g < thr]
        return pos, neg


@dataclass(frozen=True)
class ItemScores:
    task: str
    task_type: str | None
    kind: str  # a key of ITEM_KINDS
    main_metric: str | None
    entries: tuple[ItemEntry, ...]
    higher_is_similar: Mapping[str, bool] = field(default_factory=dict)
    path: Path | None = None

    @property
    def main(self) -> MainMetric | None:
        """The main metric as the items recompute it (None: no per-item form)."""
        return None if self.main_metric is None else parse_main_metric(self.kind, self.main_metric)

    def entry(self, split: str, subset: str = "default") -> ItemEntry:
        for e in self.entries:
            if e.split == split and e.subset == subset:
                return e
        have = ", ".join(f"{e.split}/{e.subset}" for e in self.entries)
        raise ResultsError(
            f"{self.path or self.task}: no item scores for split {split} subset {subset} (have: {have})"
        )


def item_scores_from_predictions(
    task: AbsTask, predictions: Mapping[str, Any], *, sample_per_query: int = 50
) -> dict[str, Any] | None:
    """Distil mteb's predictions of ``task`` (its data still loaded) into the item-scores object.

    Task types without an item kind give None. An entry whose predictions or data have an
    unexpected shape is skipped with a logged warning, so a finished evaluation is never lost
    to its item scores.
    """
    ttype = str(task.metadata.type)
    kind = item_kind_for(ttype)
    if kind is None:
        return None
    entries = []
    for subset, by_split in predictions.items():
        if subset == "mteb_model_meta" or not isinstance(by_split, Mapping):
            continue
        for split, pred in by_split.items():
            # a shape we do not understand loses the item scores of this entry, never the result
            try:
                entries.append(kind.build_entry(task, subset, split, pred, sample_per_query))
            except (ResultsError, KeyError, TypeError, ValueError, AttributeError) as exc:
                logger.warning(
                    "%s %s/%s: item scores not kept: %s", task.metadata.name, subset, split, exc
                )
    if not entries:
        return None
    return {
        "format": FORMAT,
        "schema_version": ITEM_SCORES_SCHEMA_VERSION,
        "task": task.metadata.name,
        "task_type": ttype,
        "kind": kind.name,
        "main_metric": str(task.metadata.main_score),
        "higher_is_similar": dict(kind.higher_is_similar),
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
    """Read a ``<Task>.items.json.gz`` file (ResultsError naming it when unreadable or when it
    has an older schema, whose per-item metrics may differ from mteb's)."""
    p = Path(path)
    try:
        with gzip.open(p, "rt", encoding="utf-8") as f:
            obj = json.load(f)
    except (OSError, EOFError, json.JSONDecodeError) as exc:
        raise ResultsError(f"cannot read item scores {p}: {exc}") from exc
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise ResultsError(f"{p} is not an mtebkit item-scores file")
    version = obj.get("schema_version")
    if version == 1:
        raise OutdatedItemScoresError(
            f"{p}: item scores of schema_version 1 (older mtebkit) are not used: their per-item"
            " metrics could differ from mteb's on tied scores; re-run the task to rewrite them"
        )
    if version != ITEM_SCORES_SCHEMA_VERSION:
        raise ResultsError(f"{p}: unsupported item-scores schema_version {version!r}")
    try:
        entries = tuple(
            ItemEntry(
                split=e["split"],
                subset=e["subset"],
                gold=e.get("gold", []),
                scores=e.get("scores", {}),
                query_ids=e.get("query_ids", []),
                metrics=e.get("metrics", {}),
                sample_scores=(e.get("sample") or {}).get("scores", []),
                sample_relevant=(e.get("sample") or {}).get("relevant", []),
                labels=e.get("labels", []),
                predictions=e.get("predictions", []),
            )
            for e in obj["entries"]
        )
        return ItemScores(
            obj["task"],
            obj.get("task_type"),
            obj["kind"],
            obj.get("main_metric"),
            entries,
            obj.get("higher_is_similar") or kind_directions(obj["kind"]),
            p,
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ResultsError(f"{p}: malformed item-scores file ({exc!r})") from exc


def item_scores_digest(path: str | Path) -> str:
    """sha256 of the file's JSON content (not of its gzip bytes, whose header may differ)."""
    p = Path(path)
    try:
        with gzip.open(p, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except (OSError, EOFError) as exc:
        raise ResultsError(f"cannot read item scores {p}: {exc}") from exc


def item_matrix(items: ItemScores, e: ItemEntry) -> npt.NDArray[np.float64]:
    """The items of ``e`` as the main metric consumes them: pair kinds an ``(n, columns)``
    matrix oriented so that higher = more similar; retrieval the per-query main values;
    summarization the per-document values (``(n, 2)`` with their p-values where mteb averages
    those in); classification the ``(n, experiments)`` predicted label indices."""
    import numpy as np

    main = items.main
    if main is None:
        raise ResultsError(
            f"{items.path or items.task}: main metric {items.main_metric!r} has no per-item form"
        )
    layout = item_kind(items.kind).layout
    if layout == "ids":
        if main.metric not in e.metrics:
            raise ResultsError(f"{items.path or items.task}: per-item {main.metric} missing")
        values = np.asarray(e.metrics[main.metric], dtype=np.float64)
        pvalues = e.metrics.get(f"{main.metric}_pvalue")  # mteb averages them in: see the kind
        if pvalues is None:
            return values
        return np.stack([values, np.asarray(pvalues, dtype=np.float64)], axis=1)
    if layout == "labels":
        if not e.predictions:
            raise ResultsError(f"{items.path or items.task}: no predictions kept")
        return np.asarray(e.predictions, dtype=np.float64).T  # (items, experiments)
    # mteb's STS scores "spearman" on cosine when the model has no similarity function
    columns = [
        "cosine_scores" if c == "similarity_scores" and c not in e.scores else c
        for c in main.columns
    ]
    missing = [c for c in columns if c not in e.scores]
    if missing:
        raise ResultsError(f"{items.path or items.task}: score columns {missing} missing")
    cols = [
        np.asarray(e.scores[c], dtype=np.float64)
        * (1.0 if items.higher_is_similar.get(c, True) else -1.0)
        for c in columns
    ]
    return np.stack(cols, axis=1)


def paired_arrays(
    a: ItemScores, ea: ItemEntry, b: ItemScores, eb: ItemEntry
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Aligned item arrays (A values, B values, gold) for a paired test of the main metric;
    refuses runs that scored different items or whose files disagree on kind or metric."""
    import numpy as np

    if (a.kind, a.main_metric) != (b.kind, b.main_metric):
        raise ResultsError(
            f"item scores of {a.task} disagree: {a.kind}/{a.main_metric} vs {b.kind}/{b.main_metric}"
        )
    va, vb = item_matrix(a, ea), item_matrix(b, eb)
    if items_have_ids(a.kind):
        if ea.query_ids != eb.query_ids:
            diff = len(set(ea.query_ids) ^ set(eb.query_ids))
            if diff:
                raise ResultsError(f"the two runs scored different queries ({diff} differ)")
            order = {q: i for i, q in enumerate(eb.query_ids)}
            vb = vb[[order[q] for q in ea.query_ids]]
        return va, vb, np.zeros(len(va))
    if ea.gold != eb.gold:
        raise ResultsError("the two runs scored different items (gold labels differ)")
    if ea.labels != eb.labels:
        raise ResultsError("the two runs label classes differently")
    return va, vb, np.asarray(ea.gold, dtype=np.float64)
