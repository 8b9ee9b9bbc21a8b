"""The reporting layer: reading results, benchmark aggregates, reports, reproduction, CI gate.

Everything here works on result files only; nothing re-runs a model.
"""

from __future__ import annotations

from mtebkit.reporting._metrics import CARD_METRIC_BY_TYPE, METRIC_ALIASES, canonical_metric, metric_value
from mtebkit.reporting._modelcard import load_model_card, parse_model_card
from mtebkit.reporting._results import (
    DEFAULT_EXPERIMENT,
    ResultSet,
    ResultsWarning,
    RunKey,
    ScoreRow,
    TaskInfo,
    load_results,
    preferred_split,
    result_set_from,
    rows_from_task_result,
    task_info,
)

__all__ = [
    "CARD_METRIC_BY_TYPE",
    "DEFAULT_EXPERIMENT",
    "METRIC_ALIASES",
    "ResultSet",
    "ResultsWarning",
    "RunKey",
    "ScoreRow",
    "TaskInfo",
    "canonical_metric",
    "load_model_card",
    "load_results",
    "metric_value",
    "parse_model_card",
    "preferred_split",
    "result_set_from",
    "rows_from_task_result",
    "task_info",
]
