"""The results layer: mteb's result files on disk, written and read back.

Layout and atomic writing (``<org__model>/<revision>/[experiments/<name>/]<Task>.json``),
reading any mix of mtebkit's, mteb's, pre-1.11 and model-card results into one
:class:`ResultSet`, metric names across mteb versions, and per-item scores. Nothing here runs a
model. Names are imported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mtebkit._util.lazy import lazy_exports

__all__ = [
    "CANDIDATES_DIR",
    "CARD_METRIC_BY_TYPE",
    "CONFIRM_DIR",
    "DEFAULT_EXPERIMENT",
    "ITEM_KINDS",
    "ITEM_SCORES_SCHEMA_VERSION",
    "PROVENANCE_SETTINGS",
    "RESULTS_SCHEMA_VERSION",
    "SWEEP_FILE",
    "SWEEP_SCHEMA_VERSION",
    "TRUNCATION_NOTE_SHARE",
    "ItemScores",
    "MainMetric",
    "OutdatedItemScoresError",
    "ResultSet",
    "ResultsWarning",
    "RunKey",
    "ScoreRow",
    "SweepCandidate",
    "SweepFile",
    "SweepTest",
    "canonical_metric",
    "comparable_settings",
    "differences",
    "encoding_of",
    "item_kind",
    "item_kind_for",
    "item_matrix",
    "item_scores_digest",
    "item_scores_for",
    "item_scores_from_predictions",
    "item_scores_path",
    "items_have_ids",
    "load_item_scores",
    "load_model_card",
    "load_results",
    "mean_score",
    "metric_value",
    "model_index",
    "paired_arrays",
    "parse_main_metric",
    "parse_model_card",
    "per_query_metrics",
    "preferred_split",
    "read_mtebkit_block",
    "read_settings",
    "read_sweep_file",
    "read_task_result",
    "reciprocal_rank",
    "rerank_settings",
    "result_path",
    "result_set_from",
    "safe_name",
    "save_item_scores",
    "settings_record",
    "task_result_json",
    "tokens_per_s_cell",
    "truncated_share",
    "truncation_cell",
    "truncation_note",
    "write_item_scores",
    "write_model_card",
    "write_model_meta",
    "write_sweep_file",
    "write_task_result",
]

__getattr__, __dir__ = lazy_exports(globals())

if TYPE_CHECKING:  # pragma: no cover
    from mtebkit.results._item_kinds import (
        ITEM_KINDS,
        MainMetric,
        item_kind,
        item_kind_for,
        items_have_ids,
        parse_main_metric,
        per_query_metrics,
        reciprocal_rank,
    )
    from mtebkit.results._item_scores import (
        ITEM_SCORES_SCHEMA_VERSION,
        ItemScores,
        OutdatedItemScoresError,
        item_matrix,
        item_scores_digest,
        item_scores_from_predictions,
        load_item_scores,
        paired_arrays,
        save_item_scores,
        write_item_scores,
    )
    from mtebkit.results._layout import (
        DEFAULT_EXPERIMENT,
        item_scores_for,
        item_scores_path,
        result_path,
        safe_name,
    )
    from mtebkit.results._loading import (
        ResultSet,
        ResultsWarning,
        RunKey,
        ScoreRow,
        load_results,
        mean_score,
        preferred_split,
        result_set_from,
    )
    from mtebkit.results._metrics import CARD_METRIC_BY_TYPE, canonical_metric, metric_value
    from mtebkit.results._modelcard import (
        load_model_card,
        model_index,
        parse_model_card,
        write_model_card,
    )
    from mtebkit.results._reader import read_task_result
    from mtebkit.results._settings import (
        PROVENANCE_SETTINGS,
        comparable_settings,
        differences,
        read_mtebkit_block,
        read_settings,
        rerank_settings,
        settings_record,
    )
    from mtebkit.results._sweep_file import (
        CANDIDATES_DIR,
        CONFIRM_DIR,
        SWEEP_FILE,
        SWEEP_SCHEMA_VERSION,
        SweepCandidate,
        SweepFile,
        SweepTest,
        read_sweep_file,
        write_sweep_file,
    )
    from mtebkit.results._throughput import (
        TRUNCATION_NOTE_SHARE,
        encoding_of,
        tokens_per_s_cell,
        truncated_share,
        truncation_cell,
        truncation_note,
    )
    from mtebkit.results._writer import (
        RESULTS_SCHEMA_VERSION,
        task_result_json,
        write_model_meta,
        write_task_result,
    )
