"""Metric names: the ONE place that maps old (pre-mteb-1.11 / 2023 model-card) names to mteb 2 names.

mteb renamed its metrics over time (``cos_sim_spearman`` -> ``cosine_spearman``, the reranking
``map`` -> ``map_at_1000``, nested ``{"cos_sim": {"ap": ...}}`` -> ``cosine_ap``). Published
numbers come in every vintage, so every lookup of a metric by name goes through
:func:`metric_value`, which tries the mteb 2 name first and then its historical aliases.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CARD_METRIC_BY_TYPE",
    "METRIC_ALIASES",
    "canonical_metric",
    "metric_value",
]

_SIM_PREFIXES = {"cos_sim": "cosine"}
_SIM_SUFFIXES = (
    "accuracy",
    "ap",
    "f1",
    "precision",
    "recall",
    "pearson",
    "spearman",
    "accuracy_threshold",
    "f1_threshold",
)

# mteb 2 name -> older names that hold the same quantity (tried in order).
METRIC_ALIASES: dict[str, tuple[str, ...]] = {
    **{f"cosine_{s}": (f"cos_sim_{s}",) for s in _SIM_SUFFIXES},
    # reranking: mteb < 2 reported MAP over the whole candidate list as "map" (= map_at_1000
    # for candidate lists shorter than 1000, which all MTEB reranking tasks are)
    "map_at_1000": ("map",),
    "mrr_at_1000": ("mrr",),
    "max_over_subqueries_map_at_1000": ("map", "map_at_1000"),
    "max_over_subqueries_mrr_at_1000": ("mrr", "mrr_at_1000"),
}

# The metric the 2023 bge model cards (and the original C-MTEB scripts) averaged per task type,
# where it differs from mteb 2's main score. Only pair classification differs: the cards used
# the cosine AP (``cos_sim_ap``); mteb 2 uses ``max_ap`` (MTEB eng) / ``max_accuracy`` (C-MTEB).
# Averaging cos_sim_ap reproduces the card's 86.55 for bge-base-en-v1.5; max_ap gives 86.56.
CARD_METRIC_BY_TYPE: dict[str, str] = {"PairClassification": "cosine_ap"}


def canonical_metric(name: str) -> str:
    """The mteb 2 name of a metric given under any historical name (``cos_sim_ap`` -> ``cosine_ap``)."""
    for new, olds in METRIC_ALIASES.items():
        if name in olds and not new.startswith("max_over_subqueries"):
            return new
    return name


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def metric_value(scores: Mapping[str, Any], metric: str) -> float | None:
    """``scores[metric]`` under its mteb 2 name or any historical alias; None when absent or NaN."""
    for name in (metric, *METRIC_ALIASES.get(metric, ())):
        v = _finite(scores.get(name))
        if v is not None:
            return v
    # an old name asked for directly: try its new name too
    new = canonical_metric(metric)
    if new != metric:
        return _finite(scores.get(new))
    return None
