"""The reporting layer: reading results, benchmark aggregates, reports, reproduction, CI gate.

Everything here works on result files only; nothing re-runs a model. Names are imported lazily
(like the top-level package), so the CLI stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mtebkit._lazy import lazy_exports

_LAZY: dict[str, str] = {
    # metric names
    "CARD_METRIC_BY_TYPE": "mtebkit.reporting._metrics",
    "METRIC_ALIASES": "mtebkit.reporting._metrics",
    "canonical_metric": "mtebkit.reporting._metrics",
    "metric_value": "mtebkit.reporting._metrics",
    # reading results
    "DEFAULT_EXPERIMENT": "mtebkit.reporting._results",
    "ResultSet": "mtebkit.reporting._results",
    "ResultsWarning": "mtebkit.reporting._results",
    "RunKey": "mtebkit.reporting._results",
    "ScoreRow": "mtebkit.reporting._results",
    "TaskInfo": "mtebkit.reporting._results",
    "load_results": "mtebkit.reporting._results",
    "preferred_split": "mtebkit.reporting._results",
    "result_set_from": "mtebkit.reporting._results",
    "rows_from_task_result": "mtebkit.reporting._results",
    "task_info": "mtebkit.reporting._results",
    "load_model_card": "mtebkit.reporting._modelcard",
    "parse_model_card": "mtebkit.reporting._modelcard",
    # report objects
    "Image": "mtebkit.reporting._table",
    "Paragraph": "mtebkit.reporting._table",
    "Report": "mtebkit.reporting._table",
    "Table": "mtebkit.reporting._table",
    "build_report": "mtebkit.reporting._report",
    "leaderboard": "mtebkit.reporting._report",
    "per_task_table": "mtebkit.reporting._report",
    # reproduce / gate / compare
    "ReproduceReport": "mtebkit.reporting._reproduce",
    "load_published": "mtebkit.reporting._reproduce",
    "reproduce": "mtebkit.reporting._reproduce",
    "Baseline": "mtebkit.reporting._baseline",
    "CheckReport": "mtebkit.reporting._baseline",
    "check_against_baseline": "mtebkit.reporting._baseline",
    "load_baseline": "mtebkit.reporting._baseline",
    "make_baseline": "mtebkit.reporting._baseline",
    "save_baseline": "mtebkit.reporting._baseline",
    "Comparison": "mtebkit.reporting._compare",
    "compare_runs": "mtebkit.reporting._compare",
    "comparison_report": "mtebkit.reporting._compare",
    "PairedTest": "mtebkit.reporting._stats",
    "paired_bootstrap": "mtebkit.reporting._stats",
    "randomisation_test": "mtebkit.reporting._stats",
    # item scores and plots
    "ItemScores": "mtebkit.reporting.item_scores",
    "item_scores_path": "mtebkit.reporting.item_scores",
    "load_item_scores": "mtebkit.reporting.item_scores",
    "save_item_scores": "mtebkit.reporting.item_scores",
    "Thresholds": "mtebkit.reporting._plots",
    "best_thresholds": "mtebkit.reporting._plots",
    "collect_distributions": "mtebkit.reporting._plots",
    "similarity_figure": "mtebkit.reporting._plots",
}

__all__ = [
    "CARD_METRIC_BY_TYPE",
    "DEFAULT_EXPERIMENT",
    "METRIC_ALIASES",
    "Baseline",
    "CheckReport",
    "Comparison",
    "Image",
    "ItemScores",
    "PairedTest",
    "Paragraph",
    "Report",
    "ReproduceReport",
    "ResultSet",
    "ResultsWarning",
    "RunKey",
    "ScoreRow",
    "Table",
    "TaskInfo",
    "Thresholds",
    "best_thresholds",
    "build_report",
    "canonical_metric",
    "check_against_baseline",
    "collect_distributions",
    "compare_runs",
    "comparison_report",
    "item_scores_path",
    "leaderboard",
    "load_baseline",
    "load_item_scores",
    "load_model_card",
    "load_published",
    "load_results",
    "make_baseline",
    "metric_value",
    "paired_bootstrap",
    "parse_model_card",
    "per_task_table",
    "preferred_split",
    "randomisation_test",
    "reproduce",
    "result_set_from",
    "rows_from_task_result",
    "save_baseline",
    "save_item_scores",
    "similarity_figure",
    "task_info",
]


__getattr__, __dir__ = lazy_exports("mtebkit.reporting", _LAZY, globals(), __all__)

if TYPE_CHECKING:  # pragma: no cover
    from mtebkit.reporting._baseline import (
        Baseline,
        CheckReport,
        check_against_baseline,
        load_baseline,
        make_baseline,
        save_baseline,
    )
    from mtebkit.reporting._compare import Comparison, compare_runs, comparison_report
    from mtebkit.reporting._metrics import (
        CARD_METRIC_BY_TYPE,
        METRIC_ALIASES,
        canonical_metric,
        metric_value,
    )
    from mtebkit.reporting._modelcard import load_model_card, parse_model_card
    from mtebkit.reporting._plots import (
        Thresholds,
        best_thresholds,
        collect_distributions,
        similarity_figure,
    )
    from mtebkit.reporting._report import build_report, leaderboard, per_task_table
    from mtebkit.reporting._reproduce import ReproduceReport, load_published, reproduce
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
    from mtebkit.reporting._stats import PairedTest, paired_bootstrap, randomisation_test
    from mtebkit.reporting._table import Image, Paragraph, Report, Table
    from mtebkit.reporting.item_scores import (
        ItemScores,
        item_scores_path,
        load_item_scores,
        save_item_scores,
    )
