"""Per-item scores kept beside each result: what plots and paired significance tests need.

mteb writes ``<folder>/<Task>_predictions.json`` (``{hf_subset: {split: predictions}}``) when
``mteb.evaluate`` gets a ``prediction_folder``; those files can be large (a full top-k run per
query). :func:`item_scores_from_predictions` distils them, with the task's gold data still
loaded, into ONE compact gzip'd JSON file ``<Task>.items.json.gz`` beside ``<Task>.json``.

What an item is depends on the task type, through the :data:`ITEM_KINDS` registry (a kind says
which task types it serves and how to build an entry from mteb's predictions; the reporting
layer registers, per kind, how to recompute the main score from the items):

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
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtebkit._util.atomic import atomic_write_bytes
from mtebkit.errors import ResultsError
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

# mteb's score columns and whether a higher value means "more similar" (mteb's STS evaluator
# stores negated distances; the pair-classification evaluator stores plain distances)
_STS_COLUMNS = {
    "similarity_scores": True,
    "cosine_scores": True,
    "manhattan_distances": True,
    "euclidean_distances": True,
}
_PAIR_COLUMNS = {
    "similarity_scores": True,
    "cosine_scores": True,
    "manhattan_distances": False,
    "euclidean_distances": False,
    "dot_scores": True,
}
# the prefix of mteb's metric names -> the column it is computed on
_PREFIX_COLUMN = {
    "similarity": "similarity_scores",
    "cosine": "cosine_scores",
    "manhattan": "manhattan_distances",
    "euclidean": "euclidean_distances",
    "dot": "dot_scores",
}
# mteb's retrieval metric name stem -> pytrec_eval measure stem (``_at_k`` -> ``<stem>_k``)
_PYTREC_MEASURES = {
    "ndcg": "ndcg_cut",
    "map": "map_cut",
    "recall": "recall",
    "precision": "P",
    "hit_rate": "success",
}
_RETRIEVAL_METRIC = re.compile(r"^(ndcg|map|recall|precision|hit_rate|mrr)_at_(\d+)$")


class OutdatedItemScoresError(ResultsError):
    """An item-scores file of an older schema: readers that can go on without items skip it."""


@dataclass(frozen=True)
class MainMetric:
    """A task's main metric as the items recompute it.

    Pair kinds: ``metric`` ("spearman", "pearson", "ap", "accuracy", "f1", "precision",
    "recall") over each column in ``columns``; ``reduce == "max"`` takes the maximum over the
    columns (mteb's ``max_*``). Retrieval: the mean over queries of the per-query ``metric``.
    """

    name: str
    metric: str
    columns: tuple[str, ...] = ()
    reduce: str | None = None


def _retrieval_main(main_metric: str) -> MainMetric | None:
    name = "recall_at_1" if main_metric == "accuracy" else main_metric  # mteb's alias
    return MainMetric(main_metric, name) if _RETRIEVAL_METRIC.match(name) else None


def _pair_main(
    columns: Mapping[str, bool], metrics: frozenset[str], *, with_max: bool
) -> Callable[[str], MainMetric | None]:
    """Parser of mteb's pair metric names ``<prefix>_<metric>``: the prefix names a score column
    (``cosine`` -> ``cosine_scores``); ``max_`` (``with_max``) maximises over all columns; no
    prefix (STS ``spearman``) is the model's own similarity."""

    def parse(main_metric: str) -> MainMetric | None:
        head, _, metric = main_metric.rpartition("_")
        if metric not in metrics:
            return None
        if head == "max":
            return MainMetric(main_metric, metric, tuple(columns), "max") if with_max else None
        col = "similarity_scores" if head == "" else _PREFIX_COLUMN.get(head, "")
        return MainMetric(main_metric, metric, (col,)) if col in columns else None

    return parse


def parse_main_metric(kind: str, main_metric: str) -> MainMetric | None:
    """How ``main_metric`` of a task of item kind ``kind`` is recomputed; None when it cannot be
    (an unknown kind, nAUC or a task-specific retrieval score, ...)."""
    k = ITEM_KINDS.get(kind)
    return None if k is None else k.parse_main(main_metric)


def reciprocal_rank(scores: Mapping[str, float], relevant: Mapping[str, int], k: int) -> float:
    """MRR@k of one query, as mteb computes it.

    ``RR@k = 1 / r`` where ``r`` is the 1-based rank of the first document with relevance > 0
    among the top ``k``, and 0 when there is none. Ranking: by ``(score, doc_id)`` descending,
    so tied scores are broken by document id, larger id first (pytrec_eval's order, which
    mteb adopted so that a tie never depends on the order of the run's dict).
    """
    ranked = sorted(scores.items(), key=lambda item: (item[1], item[0]), reverse=True)[:k]
    for rank, (doc, _) in enumerate(ranked, start=1):
        if relevant.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def per_query_metrics(
    run: Mapping[str, Mapping[str, float]],
    qrels: Mapping[str, Mapping[str, int]],
    metrics: tuple[str, ...] = ("ndcg_at_10",),
    *,
    ignore_identical_ids: bool = False,
    skip_first_result: bool = False,
) -> tuple[list[str], dict[str, list[float]]]:
    """Per-query values of mteb retrieval ``metrics`` (``ndcg_at_10``, ``map_at_1000``,
    ``mrr_at_10``, ``recall_at_100``, ``precision_at_1``, ``hit_rate_at_10``), as mteb gets them.

    As mteb's retrieval evaluation: queries whose qrels are empty are dropped, documents equal
    to their query are dropped under ``ignore_identical_ids``, the top document under
    ``skip_first_result``; pytrec_eval scores the run against the qrels (zero-relevance
    judgements included) and MRR is :func:`reciprocal_rank`. The queries are those of the run
    that have qrels (the ones mteb averages over), sorted by id.
    """
    import pytrec_eval

    qrels_kept = {q: {d: int(r) for d, r in docs.items()} for q, docs in qrels.items() if docs}
    results: dict[str, dict[str, float]] = {}
    for q, docs in run.items():
        if q not in qrels_kept:
            continue
        d = {doc: float(s) for doc, s in docs.items() if not (ignore_identical_ids and doc == q)}
        if skip_first_result:  # mteb's rule: a stable sort by score only, then drop the first
            d = dict(sorted(d.items(), key=lambda x: x[1], reverse=True)[1:])
        results[q] = d
    parsed = {}
    for m in metrics:
        match = _RETRIEVAL_METRIC.match(m)
        if match is None:
            raise ResultsError(f"no per-query form of retrieval metric {m!r}")
        parsed[m] = (match.group(1), int(match.group(2)))
    measures = {f"{_PYTREC_MEASURES[stem]}.{k}" for stem, k in parsed.values() if stem != "mrr"}
    scored = (
        pytrec_eval.RelevanceEvaluator(qrels_kept, measures).evaluate(results) if measures else {}
    )
    qids = sorted(results)
    out: dict[str, list[float]] = {}
    for m, (stem, k) in parsed.items():
        if stem == "mrr":
            out[m] = [reciprocal_rank(results[q], qrels_kept[q], k) for q in qids]
        else:
            out[m] = [float(scored[q][f"{_PYTREC_MEASURES[stem]}_{k}"]) for q in qids]
    return qids, out


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


def _score_columns(
    task: AbsTask, pred: Mapping[str, Any], columns: Mapping[str, bool], n: int
) -> dict[str, list[float]]:
    out = {}
    for name in columns:
        vals = pred.get(name)
        if vals is None:  # mteb's STS has no similarity_scores for a model without similarity()
            continue
        if len(vals) != n:
            raise ResultsError(
                f"{task.metadata.name}: {len(vals)} predicted {name} but {n} gold labels"
            )
        out[name] = [float(v) for v in vals]  # unrounded: the statistic must equal mteb's score
    if not out:
        raise ResultsError(
            f"{task.metadata.name}: predictions have no similarity scores ({sorted(pred)})"
        )
    return out


def _normalized_gold(task: AbsTask, score: float) -> float:
    """The gold score on mteb's 0-1 scale: ``(x - min_score) / (max_score - min_score)``, from
    the task's public score range (as ``AbsTaskSTS`` normalises before correlating)."""
    low, high = getattr(task, "min_score", None), getattr(task, "max_score", None)
    if low is None or high is None or high == low:
        return score
    return (score - float(low)) / (float(high) - float(low))


def _sts_entry(
    task: AbsTask, subset: str, split: str, pred: Mapping[str, Any], sample_per_query: int
) -> dict[str, Any]:
    data = _split_data(task, subset, split)
    gold = [_normalized_gold(task, float(x)) for x in _column(data, "score")]
    return {
        "split": split,
        "subset": subset,
        "gold": gold,
        "scores": _score_columns(task, pred, _STS_COLUMNS, len(gold)),
    }


def _pair_classification_entry(
    task: AbsTask, subset: str, split: str, pred: Mapping[str, Any], sample_per_query: int
) -> dict[str, Any]:
    data = _split_data(task, subset, split)
    gold = [float(int(x)) for x in _column(data, getattr(task, "label_column_name", "labels"))]
    return {
        "split": split,
        "subset": subset,
        "gold": gold,
        "scores": _score_columns(task, pred, _PAIR_COLUMNS, len(gold)),
    }


def _retrieval_entry(
    task: AbsTask,
    subset: str,
    split: str,
    run: Mapping[str, Mapping[str, float]],
    sample_per_query: int,
) -> dict[str, Any]:
    data = _split_data(task, subset, split)
    qrels = data["relevant_docs"]
    main = _retrieval_main(str(task.metadata.main_score))
    wanted = tuple(dict.fromkeys(["ndcg_at_10", *([main.metric] if main else [])]))
    qids, metrics = per_query_metrics(
        run,
        qrels,
        wanted,
        ignore_identical_ids=bool(getattr(task, "ignore_identical_ids", False)),
        skip_first_result=bool(getattr(task, "skip_first_result", False)),
    )
    half = max(1, sample_per_query // 2)
    s_scores: list[float] = []
    s_rel: list[int] = []
    for q in qids:
        docs = sorted(run.get(q, {}).items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        rel = {d for d, r in qrels[q].items() if int(r) > 0}
        pos = [s for d, s in docs if d in rel][:half]
        neg = [s for d, s in docs if d not in rel][:half]
        s_scores += pos + neg
        s_rel += [1] * len(pos) + [0] * len(neg)
    return {
        "split": split,
        "subset": subset,
        "query_ids": [str(q) for q in qids],
        "metrics": metrics,
        "sample": {"scores": _round(s_scores), "relevant": s_rel},
    }


# mteb's classification metrics (``AbsTaskClassification._calculate_scores``) and summarization
# correlations (``SummarizationMetrics``): each is a main metric of its own name
_CLASSIFICATION_METRICS = frozenset(
    {"accuracy", "f1", "f1_weighted", "precision", "precision_weighted", "recall"}
    | {"recall_weighted", "ap", "ap_weighted"}
)
_SUMMARIZATION_COLUMNS = {"cosine_": "cosine_scores", "dot_": "dot_scores", "": "similarity_scores"}
_SUMMARIZATION_METRICS = frozenset(
    f"{prefix}{m}" for prefix in _SUMMARIZATION_COLUMNS for m in ("spearman", "pearson")
)


def _named_main(metrics: frozenset[str]) -> Callable[[str], MainMetric | None]:
    return lambda main_metric: (
        MainMetric(main_metric, main_metric) if main_metric in metrics else None
    )


def _sorted_labels(values: set[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:  # mixed label types: any fixed order will do, metrics ignore it
        return sorted(values, key=repr)


def label_indices(labels: list[Any], values: Any) -> list[int]:
    """``values`` as indices into ``labels`` (ResultsError naming an unknown label)."""
    index = {v: i for i, v in enumerate(labels)}
    try:
        return [index[v] for v in values]
    except (KeyError, TypeError) as exc:
        raise ResultsError(f"label {exc} is not among the task's labels") from exc


def _classification_entry(
    task: AbsTask, subset: str, split: str, pred: Any, sample_per_query: int
) -> dict[str, Any]:
    if getattr(task, "is_cross_validation", False):  # each fold scores other items
        raise ResultsError("cross-validated classification has no fixed test items")
    col = str(getattr(task, "label_column_name", "label"))
    gold = list(_split_data(task, subset, split)[col])
    train = _split_data(task, subset, str(getattr(task, "train_split", "train")))[col]
    if not isinstance(pred, list) or not pred or any(len(p) != len(gold) for p in pred):
        raise ResultsError(f"expected one list of {len(gold)} predictions per experiment")
    labels = _sorted_labels(set(train) | set(gold) | {y for p in pred for y in p})
    return {
        "split": split,
        "subset": subset,
        "labels": labels,
        "gold": label_indices(labels, gold),
        "predictions": [label_indices(labels, p) for p in pred],
    }


def _uses_pvalue_mean(task: AbsTask) -> bool:
    """True for mteb's deprecated summarization evaluator (SummEval, SummEvalFr): it averages
    each correlation result as the pair (statistic, p-value), mteb issue 1156; mteb exports the
    class from a private module only, so it is recognised by name."""
    evaluator = getattr(task, "evaluator", None)
    return isinstance(evaluator, type) and any(
        c.__name__ == "DeprecatedSummarizationEvaluator" for c in evaluator.__mro__
    )


def _summarization_entry(
    task: AbsTask, subset: str, split: str, pred: Mapping[str, Any], sample_per_query: int
) -> dict[str, Any]:
    import warnings

    import numpy as np
    from scipy.stats import pearsonr, spearmanr

    data = _split_data(task, subset, split)
    low, high = float(getattr(task, "min_score", 0)), float(getattr(task, "max_score", 1))
    # mteb's normalisation, to the bit: the predictions' human scores are these lists
    gold = [
        ((np.array(x) - low) / (high - low)).tolist()
        for x in data[str(getattr(task, "relevancy_column_name", "relevance"))]
    ]
    names = getattr(data, "column_names", None) or []
    ids = [str(x) for x in data["id"]] if "id" in names else [str(i) for i in range(len(gold))]
    # mteb drops documents with constant scores; find the kept ones, in order
    doc_ids, j = [], 0
    for human in pred["human_scores"]:
        while j < len(gold) and gold[j] != list(human):
            j += 1
        if j == len(gold):
            raise ResultsError("the predicted human scores match no document in order")
        doc_ids.append(ids[j])
        j += 1
    with_p = _uses_pvalue_mean(task)
    metrics: dict[str, list[float]] = {}
    for prefix, column in _SUMMARIZATION_COLUMNS.items():
        if len(pred[column]) != len(doc_ids):
            raise ResultsError(f"{len(pred[column])} documents of {column}, {len(doc_ids)} kept")
        for name, fn in (("spearman", spearmanr), ("pearson", pearsonr)):
            with warnings.catch_warnings():  # constant model scores: nan, as mteb averages it
                warnings.simplefilter("ignore")
                res = [fn(h, x) for h, x in zip(pred["human_scores"], pred[column], strict=True)]
            metrics[prefix + name] = [float(r.statistic) for r in res]
            if with_p:
                metrics[f"{prefix}{name}_pvalue"] = [float(r.pvalue) for r in res]
    return {"split": split, "subset": subset, "query_ids": doc_ids, "metrics": metrics}


@dataclass(frozen=True)
class ItemKind:
    """How one kind of task keeps its items: the task types it serves, how an entry is built
    from mteb's predictions of one subset/split (``build_entry(task, subset, split,
    predictions, sample_per_query)``), which main metrics the items recompute
    (``parse_main``), and the direction of its score columns. The reporting layer's
    ``STATISTICS`` registry says how, per kind."""

    name: str
    task_types: frozenset[str]
    build_entry: Callable[[AbsTask, str, str, Any, int], dict[str, Any]]
    parse_main: Callable[[str], MainMetric | None]
    higher_is_similar: Mapping[str, bool] = field(default_factory=dict)


ITEM_KINDS: dict[str, ItemKind] = {
    k.name: k
    for k in (
        ItemKind(
            "sts",
            frozenset({"STS"}),
            _sts_entry,
            _pair_main(_STS_COLUMNS, frozenset({"spearman", "pearson"}), with_max=False),
            _STS_COLUMNS,
        ),
        ItemKind(
            "pair_classification",
            frozenset({"PairClassification"}),
            _pair_classification_entry,
            _pair_main(
                _PAIR_COLUMNS,
                frozenset({"ap", "accuracy", "f1", "precision", "recall"}),
                with_max=True,
            ),
            _PAIR_COLUMNS,
        ),
        ItemKind(
            "retrieval",
            frozenset({"Retrieval", "Reranking", "InstructionRetrieval", "InstructionReranking"}),
            _retrieval_entry,
            _retrieval_main,
        ),
        ItemKind(
            "classification",
            frozenset({"Classification"}),
            _classification_entry,
            _named_main(_CLASSIFICATION_METRICS),
        ),
        ItemKind(
            "summarization",
            frozenset({"Summarization"}),
            _summarization_entry,
            _named_main(_SUMMARIZATION_METRICS),
        ),
    )
}
# kinds whose items are identified by id (retrieval queries, summarization documents)
_ID_KINDS = frozenset({"retrieval", "summarization"})


def items_have_ids(kind: str) -> bool:
    """Whether items of ``kind`` are identified by id (``query_ids``: retrieval queries,
    summarization documents) rather than by position and gold."""
    return kind in _ID_KINDS


def _kind_directions(kind: str) -> Mapping[str, bool]:
    k = ITEM_KINDS.get(kind)
    return {} if k is None else k.higher_is_similar


def item_kind_for(task_type: str | None) -> ItemKind | None:
    """The registered item kind serving ``task_type`` (None: the type keeps no items)."""
    return next((k for k in ITEM_KINDS.values() if task_type in k.task_types), None)


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
            obj.get("higher_is_similar") or _kind_directions(obj["kind"]),
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
    if items.kind in _ID_KINDS:
        if main.metric not in e.metrics:
            raise ResultsError(f"{items.path or items.task}: per-item {main.metric} missing")
        values = np.asarray(e.metrics[main.metric], dtype=np.float64)
        pvalues = e.metrics.get(f"{main.metric}_pvalue")  # mteb averages them in: see the kind
        if pvalues is None:
            return values
        return np.stack([values, np.asarray(pvalues, dtype=np.float64)], axis=1)
    if items.kind == "classification":
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
    if a.kind in _ID_KINDS:
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
