"""The results layer: mteb's result files on disk, written and read back.

Layout and atomic writing (``<org__model>/<revision>/[experiments/<name>/]<Task>.json``),
reading any mix of mtebkit's, mteb's, pre-1.11 and model-card results into one
:class:`ResultSet`, metric names across mteb versions, the settings record beside each result
(built, read and compared in one place) and per-item scores. Nothing here runs a model. Names
are imported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mtebkit._util.lazy import lazy_exports

_LAZY: dict[str, str] = {
    "DEFAULT_EXPERIMENT": "mtebkit.results._layout",
    "result_path": "mtebkit.results._layout",
    "item_scores_for": "mtebkit.results._layout",
    "RESULTS_SCHEMA_VERSION": "mtebkit.results._writer",
    "PROVENANCE_SETTINGS": "mtebkit.results._settings",
    "comparable_settings": "mtebkit.results._settings",
    "differences": "mtebkit.results._settings",
    "read_mtebkit_block": "mtebkit.results._settings",
    "read_settings": "mtebkit.results._settings",
    "rerank_settings": "mtebkit.results._settings",
    "settings_record": "mtebkit.results._settings",
    "write_task_result": "mtebkit.results._writer",
    "ResultSet": "mtebkit.results._loading",
    "ResultsWarning": "mtebkit.results._loading",
    "RunKey": "mtebkit.results._loading",
    "ScoreRow": "mtebkit.results._loading",
    "load_results": "mtebkit.results._loading",
    "mean_score": "mtebkit.results._loading",
    "preferred_split": "mtebkit.results._loading",
    "canonical_metric": "mtebkit.results._metrics",
    "metric_value": "mtebkit.results._metrics",
    "load_model_card": "mtebkit.results._modelcard",
    "parse_model_card": "mtebkit.results._modelcard",
    "model_index": "mtebkit.results._modelcard",
    "write_model_card": "mtebkit.results._modelcard",
    "ItemScores": "mtebkit.results._item_scores",
    "load_item_scores": "mtebkit.results._item_scores",
    "TRUNCATION_NOTE_SHARE": "mtebkit.results._throughput",
    "encoding_of": "mtebkit.results._throughput",
    "tokens_per_s_cell": "mtebkit.results._throughput",
    "truncated_share": "mtebkit.results._throughput",
    "truncation_cell": "mtebkit.results._throughput",
    "truncation_note": "mtebkit.results._throughput",
}

__all__ = [
    "DEFAULT_EXPERIMENT",
    "PROVENANCE_SETTINGS",
    "RESULTS_SCHEMA_VERSION",
    "TRUNCATION_NOTE_SHARE",
    "ItemScores",
    "ResultSet",
    "ResultsWarning",
    "RunKey",
    "ScoreRow",
    "canonical_metric",
    "comparable_settings",
    "differences",
    "encoding_of",
    "item_scores_for",
    "load_item_scores",
    "load_model_card",
    "load_results",
    "mean_score",
    "metric_value",
    "model_index",
    "parse_model_card",
    "preferred_split",
    "read_mtebkit_block",
    "read_settings",
    "rerank_settings",
    "result_path",
    "settings_record",
    "tokens_per_s_cell",
    "truncated_share",
    "truncation_cell",
    "truncation_note",
    "write_model_card",
    "write_task_result",
]

__getattr__, __dir__ = lazy_exports("mtebkit.results", _LAZY, globals(), __all__)

if TYPE_CHECKING:  # pragma: no cover
    from mtebkit.results._item_scores import ItemScores, load_item_scores
    from mtebkit.results._layout import DEFAULT_EXPERIMENT, item_scores_for, result_path
    from mtebkit.results._loading import (
        ResultSet,
        ResultsWarning,
        RunKey,
        ScoreRow,
        load_results,
        mean_score,
        preferred_split,
    )
    from mtebkit.results._metrics import canonical_metric, metric_value
    from mtebkit.results._modelcard import (
        load_model_card,
        model_index,
        parse_model_card,
        write_model_card,
    )
    from mtebkit.results._settings import (
        PROVENANCE_SETTINGS,
        comparable_settings,
        differences,
        read_mtebkit_block,
        read_settings,
        rerank_settings,
        settings_record,
    )
    from mtebkit.results._throughput import (
        TRUNCATION_NOTE_SHARE,
        encoding_of,
        tokens_per_s_cell,
        truncated_share,
        truncation_cell,
        truncation_note,
    )
    from mtebkit.results._writer import RESULTS_SCHEMA_VERSION, write_task_result
