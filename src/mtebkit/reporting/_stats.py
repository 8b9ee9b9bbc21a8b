"""Paired significance tests over per-item scores (pure functions, seeded), and the per-item
statistics that recompute a task's main score exactly as mteb does.

Two systems A and B are scored on the same n items. ``statistic(items, gold) -> float`` turns a
set of items into the task's main score: the mean of per-query values for retrieval; for pair
tasks Spearman / Pearson (scipy, as mteb's STS) or average precision (sklearn, as mteb),
accuracy and F1 at the best threshold (:func:`best_accuracy_threshold`,
:func:`best_f1_threshold`, mteb's rule), maximised over score columns for mteb's ``max_*``.
Items are a 1-d array (one value per item) or an ``(n, columns)`` matrix; ``delta = stat(B) -
stat(A)``. :func:`statistic_for` picks the statistic that the item kind names (results'
``ITEM_KINDS``; the :data:`STATISTICS` table holds the functions) for the main metric.
Classification items are ``(n, experiments)`` predicted label indices, and the statistic is
mteb's: the mean over experiments of the metric (sklearn's accuracy, macro / weighted F1,
precision, recall, AP on the hard predictions) of each experiment; summarization items are per-document correlations and the statistic their mean.

A statistic may have a weighted form (:class:`WeightedStatistic`): a bootstrap resample is a
multiset of item indices, i.e. integer weights ``w_i`` = how often item ``i`` was drawn, so a
statistic prepared once on the full items (sorted once) scores every resample in O(n). For AP:
with items sorted by score descending and ``T`` the last row of each run of tied scores (rows of
weight 0 dropped), ``TP_t = sum_{i<=t} w_i y_i``, ``FP_t = sum_{i<=t} w_i (1 - y_i)``,
``P_t = TP_t / (TP_t + FP_t)``, ``R_t = TP_t / TP_last`` and ``AP = sum_{t in T} (R_t -
R_{t-1}) P_t`` (``R`` before the first = 0): sklearn's ``average_precision_score`` step by
step, so with integer weights it equals sklearn on the materialised resample to the bit.

* :func:`paired_bootstrap`: draw ``n`` item indices with replacement, ``B_k`` times; on each draw
  ``d_k = stat(B[idx]) - stat(A[idx])`` (the SAME indices for both systems: paired).
  95% CI = the 2.5th and 97.5th percentiles of ``d_k``. Two-sided p-value (the shifted
  bootstrap null of Berg-Kirkpatrick et al. 2012): ``p = (1 + #{|d_k - delta| >= |delta|}) / (B + 1)``.
  Draws whose statistic is undefined (a constant resample for a correlation) are left out.
* :func:`randomisation_test` (approximate randomisation, Noreen 1989): under H0 the two systems
  are exchangeable per item, so each item's A and B values are swapped with probability 1/2;
  ``p = (1 + #{|d_r| >= |delta|}) / (R + 1)``; with ``n <= exact_max_items`` all ``2^n`` swaps
  are enumerated and ``p = #{|d_s| >= |delta|} / 2^n`` exactly.

For pair tasks an item is (model scores, gold). Swapping raw model scores between two models is
meaningless when their similarity scales differ, so :func:`pair_items` replaces each column of
each model's scores by its normalised average ranks first; every pair statistic here depends on
the order of the scores only (ties kept), so ``delta`` is unchanged.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mtebkit.errors import ResultsError
from mtebkit.results import ITEM_KINDS, MainMetric, parse_main_metric

__all__ = [
    "STATISTICS",
    "PairedTest",
    "WeightedStatistic",
    "average_precision_weighted",
    "best_accuracy_threshold",
    "best_f1_threshold",
    "bootstrap_draws",
    "has_statistic",
    "mean_statistic",
    "pair_items",
    "paired_bootstrap",
    "randomisation_test",
    "shared_scale",
    "statistic_for",
]

FloatArray = npt.NDArray[np.float64]
Statistic = Callable[[FloatArray, FloatArray], float]  # (items, gold) -> metric
Weighted = Callable[[FloatArray], float]  # item weights -> metric


@dataclass(frozen=True)
class WeightedStatistic:
    """A statistic with a fast form for resamples: ``prepare(items, gold)`` (once per system)
    gives ``weights -> statistic`` of the multiset where item ``i`` occurs ``weights[i]`` times;
    called as ``(items, gold)`` it is ``full``, the plain statistic (the one mteb's score is)."""

    full: Statistic
    prepare: Callable[[FloatArray, FloatArray], Weighted]

    def __call__(self, items: FloatArray, gold: FloatArray) -> float:
        return self.full(items, gold)


@dataclass(frozen=True)
class PairedTest:
    """Result of a paired test; ``delta`` = B - A on the metric's own scale."""

    method: str
    delta: float
    p_value: float
    ci_low: float | None
    ci_high: float | None
    n_items: int
    n_resamples: int

    def significant(self, alpha: float = 0.05) -> bool:
        return self.p_value < alpha


def _mean(values: FloatArray, gold: FloatArray) -> float:
    """Mean of per-item metric values (retrieval: per-query nDCG@10 etc.; summarization: the
    per-document correlations, with their p-values where mteb averages those in); ``gold``
    unused."""
    return float(np.mean(values))


def _prepare_mean(values: FloatArray, gold: FloatArray) -> Weighted:
    v = np.asarray(values, dtype=np.float64)
    per_item = v.reshape(len(v), -1)
    sums, count = per_item.sum(axis=1), per_item.shape[1]
    return lambda w: float(w @ sums) / (float(w.sum()) * count)


mean_statistic = WeightedStatistic(_mean, _prepare_mean)


def _sorted_desc(
    scores: FloatArray, labels: FloatArray
) -> tuple[FloatArray, npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Scores sorted descending, labels along, and where a threshold may cut (between i and
    i + 1, never inside a run of tied scores; the last row is never a cut)."""
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    s = np.asarray(scores, dtype=np.float64)[order]
    y = np.asarray(labels).astype(np.int64)[order]
    cut = np.zeros(len(s), dtype=bool)
    cut[:-1] = s[:-1] != s[1:]
    return s, y, cut


def best_accuracy_threshold(scores: FloatArray, labels: FloatArray) -> tuple[float, float]:
    """(max accuracy, threshold) of the rule "positive iff score > threshold" (higher = more
    similar), by mteb's rule (``AbsTaskPairClassification._find_best_acc_and_threshold``).

    Sort by score descending; for each cut after row ``i`` (0-based, ``i < n - 1``, and only
    where ``s_i != s_{i+1}``, so tied scores are never split), predict rows ``0..i`` positive:
    ``accuracy_i = (TP_i + TN_i) / n``. The first cut with the strictly largest accuracy wins;
    threshold = the midpoint ``(s_i + s_{i+1}) / 2``. No cut (or no accuracy above 0) gives
    ``(0.0, -1.0)``, mteb's initial values.
    """
    s, y, cut = _sorted_desc(scores, labels)
    n = len(s)
    tp = np.cumsum(y == 1)
    tn = int(np.sum(y == 0)) - np.cumsum(y == 0)
    acc = (tp + tn) / n
    idx = np.flatnonzero(cut)
    if len(idx) == 0 or acc[idx].max() <= 0:
        return 0.0, -1.0
    i = int(idx[np.argmax(acc[idx])])
    return float(acc[i]), float((s[i] + s[i + 1]) / 2)


def best_f1_threshold(scores: FloatArray, labels: FloatArray) -> tuple[float, float, float, float]:
    """(max F1, its precision, its recall, threshold) by mteb's rule
    (``AbsTaskPairClassification._find_best_f1_and_threshold``); higher = more similar.

    Sort by score descending; for each cut after row ``i`` as in
    :func:`best_accuracy_threshold` with ``TP_i > 0``: ``P = TP_i / (i + 1)``,
    ``R = TP_i / #positives``, ``F1 = 2PR / (P + R)``. The first cut with the strictly largest
    F1 wins; threshold = the midpoint of ``s_i`` and ``s_{i+1}``; none gives ``(0, 0, 0, 0.0)``.
    """
    s, y, cut = _sorted_desc(scores, labels)
    tp = np.cumsum(y == 1).astype(np.float64)
    idx = np.flatnonzero(cut & (tp > 0))
    if len(idx) == 0:
        return 0.0, 0.0, 0.0, 0.0
    prec = tp[idx] / (idx + 1)
    rec = tp[idx] / float(np.sum(y))
    f1 = 2 * prec * rec / (prec + rec)
    j = int(np.argmax(f1))
    i = int(idx[j])
    return float(f1[j]), float(prec[j]), float(rec[j]), float((s[i] + s[i + 1]) / 2)


def average_ranks(x: FloatArray) -> FloatArray:
    """1-based ranks, ties sharing their average: ``scipy.stats.rankdata(x)`` (the same
    algorithm; ranks are exact in float64, so the values are equal to the bit)."""
    v = np.asarray(x, dtype=np.float64)
    n = len(v)
    order = np.argsort(v, kind="stable")
    y = v[order]
    first = np.concatenate(([True], y[:-1] != y[1:]))
    counts = np.diff(np.flatnonzero(first), append=n)
    ranks = np.arange(1, n + 1, dtype=np.float64)[first] + (counts.astype(np.float64) - 1) / 2
    out = np.empty(n, dtype=np.float64)
    out[order] = np.repeat(ranks, counts)
    return out


def spearman(gold: FloatArray, x: FloatArray) -> float:
    """``scipy.stats.spearmanr(gold, x).statistic`` (mteb's STS score) without importing
    scipy.stats (about a second; ``mtebkit check`` is meant to be instant): scipy's own steps
    (nan for fewer than 2 items, a constant input or a NaN; else ``np.corrcoef`` of the
    average ranks), so the value is the same to the bit (tests/reporting/test_spearman.py)."""
    a = np.column_stack((np.asarray(gold), np.asarray(x)))
    if len(a) <= 1 or (a[0, 0] == a[:, 0]).all() or (a[0, 1] == a[:, 1]).all():
        return float("nan")
    if np.isnan(a).any():
        return float("nan")
    ranked = np.column_stack((average_ranks(a[:, 0]), average_ranks(a[:, 1])))
    rs = np.asarray(np.corrcoef(ranked, rowvar=False))  # 2 x 2 for two columns
    return float(rs[1, 0])


def _correlation(kind: str) -> Callable[[FloatArray, FloatArray], float]:
    if kind == "spearman":
        return lambda x, gold: spearman(gold, x)

    def corr(x: FloatArray, gold: FloatArray) -> float:
        from scipy.stats import pearsonr  # imported on first use: seconds on a busy machine

        with warnings.catch_warnings():  # constant input: nan, as mteb would write
            warnings.simplefilter("ignore")
            return float(pearsonr(gold, x)[0])

    return corr


def _average_precision(x: FloatArray, gold: FloatArray) -> float:
    from sklearn.metrics import average_precision_score

    with warnings.catch_warnings():  # a resample without positives: nan
        warnings.simplefilter("ignore")
        return float(average_precision_score(np.asarray(gold).astype(np.int64), x))


def _ap_of_counts(pos: FloatArray, neg: FloatArray) -> float:
    """AP from the weight of positives and negatives at each distinct score, descending (each
    threshold of weight > 0); sklearn's ``precision_recall_curve`` integral, step by step."""
    if len(pos) == 0:
        return float("nan")
    tps = np.cumsum(pos)
    fps = np.cumsum(neg)
    precision = tps / (tps + fps)  # every kept threshold has weight > 0
    recall = np.ones_like(tps) if tps[-1] == 0 else tps / tps[-1]  # sklearn: no positive
    p = np.concatenate([precision[::-1], [1.0]])
    r = np.concatenate([recall[::-1], [0.0]])
    return float(max(0.0, -np.sum(np.diff(r) * p[:-1])))


def average_precision_weighted(scores: FloatArray, labels: FloatArray) -> Weighted:
    """``weights -> AP`` of (``scores``, 0/1 ``labels``) weighted per item; sorts once.

    Equals ``sklearn.metrics.average_precision_score(labels, scores, sample_weight=weights)``
    (formula in the module docstring), in O(n) per call: each item gets, once, the rank of its
    score among the distinct scores (descending); a call sums the weights per rank and drops
    ranks of weight 0 (as sklearn drops rows of weight 0: they make no threshold).
    """
    x = np.asarray(scores, dtype=np.float64)
    distinct, inverse = np.unique(-x, return_inverse=True)  # ascending -x = descending score
    rank = inverse.reshape(-1)
    groups = len(distinct)
    y = (np.asarray(labels) == 1).astype(np.float64)

    def ap(weights: FloatArray) -> float:
        w = np.asarray(weights, dtype=np.float64)
        total = np.bincount(rank, weights=w, minlength=groups)
        pos = np.bincount(rank, weights=w * y, minlength=groups)
        keep = total != 0
        return _ap_of_counts(pos[keep], (total - pos)[keep])

    return ap


_PAIR_METRICS: dict[str, Callable[[FloatArray, FloatArray], float]] = {
    "spearman": _correlation("spearman"),
    "pearson": _correlation("pearson"),
    "ap": _average_precision,
    "accuracy": lambda x, g: best_accuracy_threshold(x, g)[0],
    "f1": lambda x, g: best_f1_threshold(x, g)[0],
    "precision": lambda x, g: best_f1_threshold(x, g)[1],
    "recall": lambda x, g: best_f1_threshold(x, g)[2],
}


def _pair_statistic(main: MainMetric) -> Statistic:
    fn = _PAIR_METRICS[main.metric]

    def reduce(vals: list[float]) -> float:
        return max(vals) if main.reduce == "max" else vals[0]

    def stat(items: FloatArray, gold: FloatArray) -> float:
        m = items.reshape(len(items), -1)
        return reduce([fn(m[:, j], gold) for j in range(m.shape[1])])

    if main.metric != "ap":
        return stat

    def prepare(items: FloatArray, gold: FloatArray) -> Weighted:
        m = items.reshape(len(items), -1)
        per_column = [average_precision_weighted(m[:, j], gold) for j in range(m.shape[1])]
        return lambda w: reduce([ap(w) for ap in per_column])

    return WeightedStatistic(stat, prepare)


def _classification_metric(
    metric: str,
) -> Callable[[npt.NDArray[np.int64], npt.NDArray[np.int64]], float | None]:
    """One experiment's metric as mteb's ``AbsTaskClassification._calculate_scores`` computes
    it (sklearn; ``ap`` only for two classes in the gold labels, else None)."""
    from sklearn import metrics as skm

    name, _, avg = metric.partition("_")
    if name == "accuracy":  # = sklearn's accuracy_score to the bit: an exact count over n
        return lambda gold, pred: float(np.mean(gold == pred))
    if name == "ap":
        return lambda gold, pred: (
            float(skm.average_precision_score(gold, pred, average=avg or "macro"))
            if len(np.unique(gold)) == 2
            else None
        )
    fn = {"f1": skm.f1_score, "precision": skm.precision_score, "recall": skm.recall_score}[name]
    return lambda gold, pred: float(fn(gold, pred, average=avg or "macro"))


def _classification_statistic(main: MainMetric) -> Statistic:
    """Mean over experiments (the columns) of the metric, as mteb's ``_calculate_avg_scores``:
    ``mean_e metric(gold, pred_e)`` over the experiments where it is defined (nan if none)."""
    fn = _classification_metric(main.metric)

    def stat(items: FloatArray, gold: FloatArray) -> float:
        m = items.reshape(len(items), -1)
        g = np.asarray(gold).astype(np.int64)
        with warnings.catch_warnings():  # a class never predicted: sklearn's 0, as in mteb
            warnings.simplefilter("ignore")
            vals = [fn(g, m[:, e].astype(np.int64)) for e in range(m.shape[1])]
        kept = [v for v in vals if v is not None]
        return float(np.mean(kept)) if kept else float("nan")

    if main.metric != "accuracy":
        return stat

    def prepare(items: FloatArray, gold: FloatArray) -> Weighted:
        m = items.reshape(len(items), -1)
        correct = (m == np.asarray(gold).reshape(-1, 1)).astype(np.float64)
        # accuracy of a multiset = (weighted count of correct items) / (its size)
        return lambda w: float(np.mean((w @ correct) / w.sum()))

    return WeightedStatistic(stat, prepare)


# statistic name (an item kind's ``statistic``, declared in results' ITEM_KINDS) -> how the
# main score is recomputed from the items; tests check that every kind names one here
STATISTICS: dict[str, Callable[[MainMetric], Statistic]] = {
    "pair": _pair_statistic,
    "mean": lambda main: mean_statistic,
    "classification": _classification_statistic,
}


def has_statistic(kind: str) -> bool:
    """Whether items of ``kind`` (a registered kind naming a known statistic) can be scored."""
    return kind in ITEM_KINDS and ITEM_KINDS[kind].statistic in STATISTICS


def statistic_for(kind: str, main_metric: str | None) -> Statistic:
    """The statistic that recomputes ``main_metric`` from items of ``kind``; ResultsError when
    it has no per-item form (then no paired test is possible on the task's own score)."""
    main = None if main_metric is None else parse_main_metric(kind, main_metric)
    if main is None or not has_statistic(kind):
        raise ResultsError(
            f"main metric {main_metric!r} of item kind {kind!r} has no per-item form"
        )
    return STATISTICS[ITEM_KINDS[kind].statistic](main)


def pair_items(scores: FloatArray, metric: str = "spearman") -> FloatArray:
    """One model's pair scores on a scale shared by all models, per column, keeping ``metric``:
    normalised average ranks ``rank / n`` (order-based metrics), z-scores for Pearson (which
    depends on more than the order, but not on a positive affine map)."""
    from scipy.stats import rankdata, zscore

    x = np.asarray(scores, dtype=np.float64)
    if metric == "pearson":
        return np.asarray(zscore(x, axis=0), dtype=np.float64)
    return np.asarray(rankdata(x, axis=0), dtype=np.float64) / max(len(x), 1)


def shared_scale(kind: str, items: FloatArray, metric: str) -> FloatArray:
    """``items`` of a kind ready for swapping between two models: pair kinds through
    :func:`pair_items`; the others (per-query metrics, per-document correlations, predicted
    labels) are on one scale already and come back unchanged."""
    k = ITEM_KINDS.get(kind)
    return pair_items(items, metric) if k is not None and k.own_scale else items


_BLOCK = 64  # resamples drawn and scored at once: a block of n-item rows that stays in cache


def _index_blocks(
    rng: np.random.Generator, n: int, n_resamples: int
) -> Iterator[npt.NDArray[np.int64]]:
    for start in range(0, n_resamples, _BLOCK):
        yield rng.integers(0, n, size=(min(_BLOCK, n_resamples - start), n))


def _counts(idx: npt.NDArray[np.int64], n: int) -> FloatArray:
    """Each row of draws as weights: how often each of the n items was drawn."""
    k = len(idx)
    flat = (idx + np.arange(k)[:, None] * n).ravel()
    return np.bincount(flat, minlength=k * n).reshape(k, n).astype(np.float64)


def _item_sums(a: FloatArray, b: FloatArray) -> tuple[FloatArray, FloatArray, int]:
    """Per-item sums of A's and B's values, and the values per item (the mean's weighted form)."""
    pa, pb = a.reshape(len(a), -1), b.reshape(len(b), -1)
    return pa.sum(axis=1), pb.sum(axis=1), pa.shape[1]


def _check(
    a: FloatArray, b: FloatArray, gold: FloatArray | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim not in (1, 2):
        raise ValueError(
            f"paired test needs two item arrays (1-d, or items x columns) of the same shape,"
            f" got {a.shape} and {b.shape}"
        )
    if len(a) < 2:
        raise ValueError("paired test needs at least 2 items")
    g = np.zeros(len(a)) if gold is None else np.asarray(gold, dtype=np.float64)
    if g.shape != (len(a),):
        raise ValueError(f"gold has shape {g.shape}, expected {(len(a),)}")
    return a, b, g


def bootstrap_draws(
    x: FloatArray,
    gold: FloatArray | None = None,
    *,
    statistic: Statistic = mean_statistic,
    n_resamples: int = 1000,
    seed: int = 0,
) -> FloatArray:
    """``statistic`` of one run's items on each of ``n_resamples`` bootstrap draws (an interval
    is their percentiles); drawn in the same blocks, with the same shortcuts, as
    :func:`paired_bootstrap`. A draw whose statistic is undefined (a constant resample) is NaN."""
    x, _, g = _check(x, x, gold)
    rng = np.random.default_rng(seed)
    n = len(x)
    out = np.empty(n_resamples, dtype=np.float64)
    prepare = getattr(statistic, "prepare", None)
    prepared = prepare(x, g) if prepare is not None else None
    sums = _item_sums(x, x) if statistic is mean_statistic else None
    done = 0
    with warnings.catch_warnings():  # a constant resample: an undefined correlation
        warnings.simplefilter("ignore")
        for idx in _index_blocks(rng, n, n_resamples):
            rows = slice(done, done + len(idx))
            if sums is not None:
                out[rows] = sums[0][idx].sum(axis=1) / (n * sums[2])
            elif prepared is not None:
                for k, w in enumerate(_counts(idx, n), start=done):
                    out[k] = prepared(w)
            else:
                for k, i in enumerate(idx, start=done):
                    out[k] = statistic(x[i], g[i])
            done += len(idx)
    return out


def paired_bootstrap(
    a: FloatArray,
    b: FloatArray,
    gold: FloatArray | None = None,
    *,
    statistic: Statistic = mean_statistic,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> PairedTest:
    """Paired bootstrap of ``statistic(b) - statistic(a)``; see the module docstring for formulas."""
    a, b, g = _check(a, b, gold)
    delta = statistic(b, g) - statistic(a, g)
    rng = np.random.default_rng(seed)
    n = len(a)
    deltas = np.empty(n_resamples, dtype=np.float64)
    prepare = getattr(statistic, "prepare", None)  # a WeightedStatistic: no re-sort per draw
    fa, fb = (prepare(a, g), prepare(b, g)) if prepare is not None else (None, None)
    sums = _item_sums(a, b) if statistic is mean_statistic else None
    done = 0
    # draws in blocks of rows: the same stream of indices as one draw of n at a time
    for idx in _index_blocks(rng, n, n_resamples):
        rows = slice(done, done + len(idx))
        if sums is not None:  # the mean of a draw: the mean of its items' differences
            deltas[rows] = (sums[1] - sums[0])[idx].sum(axis=1) / (n * sums[2])
        elif fa is not None and fb is not None:
            for k, w in enumerate(_counts(idx, n), start=done):
                deltas[k] = fb(w) - fa(w)
        else:
            for k, i in enumerate(idx, start=done):
                deltas[k] = statistic(b[i], g[i]) - statistic(a[i], g[i])
        done += len(idx)
    deltas = deltas[np.isfinite(deltas)]
    if not np.isfinite(delta) or len(deltas) == 0:
        raise ResultsError("the statistic is undefined on these items (constant scores or gold?)")
    n_resamples = len(deltas)
    tail = (1.0 - confidence) / 2.0
    q = np.quantile(deltas, [tail, 1.0 - tail])
    lo, hi = float(q[0]), float(q[1])
    extreme = int(np.sum(np.abs(deltas - delta) >= abs(delta) - 1e-12))
    p = (1 + extreme) / (n_resamples + 1)
    return PairedTest("paired bootstrap", float(delta), min(1.0, p), lo, hi, n, n_resamples)


def randomisation_test(
    a: FloatArray,
    b: FloatArray,
    gold: FloatArray | None = None,
    *,
    statistic: Statistic = mean_statistic,
    n_resamples: int = 1000,
    seed: int = 0,
    exact_max_items: int = 12,
) -> PairedTest:
    """Paired approximate randomisation (exact when ``n <= exact_max_items``); see the module docstring."""
    a, b, g = _check(a, b, gold)
    delta = statistic(b, g) - statistic(a, g)
    n = len(a)
    if not np.isfinite(delta):
        raise ResultsError("the statistic is undefined on these items (constant scores or gold?)")
    thr = abs(delta) - 1e-12

    def swapped(mask: npt.NDArray[np.bool_]) -> float:
        m = mask.reshape((n,) + (1,) * (a.ndim - 1))  # swap whole items (all columns)
        a2 = np.where(m, b, a)
        b2 = np.where(m, a, b)
        return statistic(b2, g) - statistic(a2, g)

    if n <= exact_max_items:
        count = 0
        total = 0
        for bits in itertools.product((False, True), repeat=n):
            total += 1
            if abs(swapped(np.array(bits))) >= thr:
                count += 1
        return PairedTest(
            "randomisation (exact)", float(delta), count / total, None, None, n, total
        )
    rng = np.random.default_rng(seed)
    count = 0
    per_item = _item_sums(a, b) if statistic is mean_statistic else None
    for start in range(0, n_resamples, _BLOCK):
        # a block of swap masks: the same stream as one mask of n at a time
        masks = rng.random((min(_BLOCK, n_resamples - start), n)) < 0.5
        if per_item is not None:  # the mean: swapping item i flips the sign of its difference
            diff = per_item[1] - per_item[0]
            d = np.where(masks, -diff, diff).sum(axis=1) / (n * per_item[2])
            count += int(np.sum(np.abs(d) >= thr))
        else:
            count += sum(1 for m in masks if abs(swapped(m)) >= thr)
    p = (1 + count) / (n_resamples + 1)
    return PairedTest("randomisation", float(delta), min(1.0, p), None, None, n, n_resamples)
