"""Per-item kinds: the one registry (:data:`ITEM_KINDS`) of what an item is per task type.

Each kind declares, once, the task types it serves, its extractor (an entry from mteb's
predictions, with the task's gold data loaded), its main-metric parser, the name of its paired
statistic (reporting's ``STATISTICS`` table holds the function), how its items are laid out,
whether they need a shared scale for a paired test, and how plots split positives from
negatives. The items of each kind are described in :mod:`mtebkit.results._item_scores`, which
reads and writes them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from mtebkit.errors import ResultsError

if TYPE_CHECKING:
    from mteb.abstasks.abstask import AbsTask

__all__ = [
    "ITEM_KINDS",
    "ItemKind",
    "ItemLayout",
    "MainMetric",
    "item_kind",
    "item_kind_for",
    "items_have_ids",
    "kind_directions",
    "label_indices",
    "parse_main_metric",
    "per_query_metrics",
    "reciprocal_rank",
]


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


ItemLayout = Literal["pairs", "ids", "labels"]


@dataclass(frozen=True)
class ItemKind:
    """One kind of task's items, declared once: everything that depends on the kind.

    * ``task_types``: the mteb task types it serves;
    * ``build_entry(task, subset, split, predictions, sample_per_query)``: the extractor, an
      entry from mteb's predictions of one subset/split;
    * ``parse_main``: which main metrics the items recompute (:class:`MainMetric`);
    * ``statistic``: the key, in the reporting layer's ``STATISTICS`` table, of how the main
      score is recomputed from the items (named, not imported: results sits below reporting);
    * ``layout``: how an entry holds its items: ``"pairs"`` (gold and score columns, by
      position), ``"ids"`` (per-id values, aligned by id: retrieval queries, summarization
      documents) or ``"labels"`` (per-experiment predicted label indices);
    * ``own_scale``: item values are model scores on each model's own scale, so a paired
      test puts them on a shared one first (``reporting.shared_scale``);
    * ``plot_binary``: plots split positives from negatives by a 0/1 gold label (else by a
      normalised gold score threshold);
    * ``higher_is_similar``: the direction of each score column.
    """

    name: str
    task_types: frozenset[str]
    build_entry: Callable[[AbsTask, str, str, Any, int], dict[str, Any]]
    parse_main: Callable[[str], MainMetric | None]
    statistic: str
    layout: ItemLayout
    own_scale: bool = False
    plot_binary: bool = False
    higher_is_similar: Mapping[str, bool] = field(default_factory=dict)


ITEM_KINDS: dict[str, ItemKind] = {
    k.name: k
    for k in (
        ItemKind(
            "sts",
            frozenset({"STS"}),
            _sts_entry,
            _pair_main(_STS_COLUMNS, frozenset({"spearman", "pearson"}), with_max=False),
            statistic="pair",
            layout="pairs",
            own_scale=True,
            higher_is_similar=_STS_COLUMNS,
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
            statistic="pair",
            layout="pairs",
            own_scale=True,
            plot_binary=True,
            higher_is_similar=_PAIR_COLUMNS,
        ),
        ItemKind(
            "retrieval",
            frozenset({"Retrieval", "Reranking", "InstructionRetrieval", "InstructionReranking"}),
            _retrieval_entry,
            _retrieval_main,
            statistic="mean",
            layout="ids",
        ),
        ItemKind(
            "classification",
            frozenset({"Classification"}),
            _classification_entry,
            _named_main(_CLASSIFICATION_METRICS),
            statistic="classification",
            layout="labels",
        ),
        ItemKind(
            "summarization",
            frozenset({"Summarization"}),
            _summarization_entry,
            _named_main(_SUMMARIZATION_METRICS),
            statistic="mean",
            layout="ids",
        ),
    )
}


def item_kind(name: str) -> ItemKind:
    """The registered kind called ``name`` (a ResultsError for a kind this version lacks)."""
    kind = ITEM_KINDS.get(name)
    if kind is None:
        raise ResultsError(f"unknown item kind {name!r} (known: {', '.join(ITEM_KINDS)})")
    return kind


def items_have_ids(kind: str) -> bool:
    """Whether items of ``kind`` are identified by id (``query_ids``: retrieval queries,
    summarization documents) rather than by position and gold."""
    k = ITEM_KINDS.get(kind)
    return k is not None and k.layout == "ids"


def kind_directions(kind: str) -> Mapping[str, bool]:
    """The direction of each score column of ``kind`` ({} for an unknown kind)."""
    k = ITEM_KINDS.get(kind)
    return {} if k is None else k.higher_is_similar


def item_kind_for(task_type: str | None) -> ItemKind | None:
    """The registered item kind serving ``task_type`` (None: the type keeps no items)."""
    return next((k for k in ITEM_KINDS.values() if task_type in k.task_types), None)
