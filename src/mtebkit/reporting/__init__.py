"""The reporting layer: benchmark aggregates, reports, plots, reproduction, comparison, CI gate.

Everything here works on result files (see :mod:`mtebkit.results`); nothing re-runs a model.
One :class:`Report` object is rendered many ways (terminal, Markdown, HTML, CSV, LaTeX,
pandas). Names are imported lazily, so the CLI stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mtebkit._util.lazy import lazy_exports

_LAZY: dict[str, str] = {
    # aggregation as the model cards do it
    "BenchmarkAggregate": "mtebkit.reporting._aggregate",
    "aggregate_benchmark": "mtebkit.reporting._aggregate",
    # report objects
    "Image": "mtebkit.reporting._table",
    "Paragraph": "mtebkit.reporting._table",
    "Report": "mtebkit.reporting._table",
    "Table": "mtebkit.reporting._table",
    "build_report": "mtebkit.reporting._report",
    # reranker depth curves
    "DepthCurve": "mtebkit.reporting._depth",
    "add_depth_curves": "mtebkit.reporting._depth",
    "depth_curves": "mtebkit.reporting._depth",
    # similarity plots
    "Thresholds": "mtebkit.reporting._plots",
    "add_similarity_plots": "mtebkit.reporting._plots",
    "thresholds_table": "mtebkit.reporting._plots",
    "best_thresholds": "mtebkit.reporting._plots",
    "collect_distributions": "mtebkit.reporting._plots",
    "similarity_figure": "mtebkit.reporting._plots",
    # reproduction, comparison, the CI gate
    "ReproduceReport": "mtebkit.reporting._reproduce",
    "load_published": "mtebkit.reporting._reproduce",
    "reproduce": "mtebkit.reporting._reproduce",
    "select_published": "mtebkit.reporting._reproduce",
    "Comparison": "mtebkit.reporting._compare",
    "compare_runs": "mtebkit.reporting._compare",
    "comparison_report": "mtebkit.reporting._compare",
    "PairedTest": "mtebkit.reporting._stats",
    "paired_bootstrap": "mtebkit.reporting._stats",
    "randomisation_test": "mtebkit.reporting._stats",
    "Baseline": "mtebkit.reporting._baseline",
    "CheckReport": "mtebkit.reporting._baseline",
    "check_against_baseline": "mtebkit.reporting._baseline",
    "load_baseline": "mtebkit.reporting._baseline",
    "make_baseline": "mtebkit.reporting._baseline",
    "save_baseline": "mtebkit.reporting._baseline",
    # --dim / --precision runs
    "VARIANT_TITLE": "mtebkit.reporting._variants",
    "variant_tables": "mtebkit.reporting._variants",
    "SCORE_TOLERANCE": "mtebkit.reporting._verify",
    "verify_main_scores": "mtebkit.reporting._verify",
}

__all__ = [
    "SCORE_TOLERANCE",
    "VARIANT_TITLE",
    "Baseline",
    "BenchmarkAggregate",
    "CheckReport",
    "Comparison",
    "DepthCurve",
    "Image",
    "PairedTest",
    "Paragraph",
    "Report",
    "ReproduceReport",
    "Table",
    "Thresholds",
    "add_depth_curves",
    "add_similarity_plots",
    "aggregate_benchmark",
    "best_thresholds",
    "build_report",
    "check_against_baseline",
    "collect_distributions",
    "compare_runs",
    "comparison_report",
    "depth_curves",
    "load_baseline",
    "load_published",
    "make_baseline",
    "paired_bootstrap",
    "randomisation_test",
    "reproduce",
    "save_baseline",
    "select_published",
    "similarity_figure",
    "thresholds_table",
    "variant_tables",
    "verify_main_scores",
]

__getattr__, __dir__ = lazy_exports("mtebkit.reporting", _LAZY, globals(), __all__)

if TYPE_CHECKING:  # pragma: no cover
    from mtebkit.reporting._aggregate import BenchmarkAggregate, aggregate_benchmark
    from mtebkit.reporting._baseline import (
        Baseline,
        CheckReport,
        check_against_baseline,
        load_baseline,
        make_baseline,
        save_baseline,
    )
    from mtebkit.reporting._compare import Comparison, compare_runs, comparison_report
    from mtebkit.reporting._depth import DepthCurve, add_depth_curves, depth_curves
    from mtebkit.reporting._plots import (
        Thresholds,
        add_similarity_plots,
        best_thresholds,
        collect_distributions,
        similarity_figure,
        thresholds_table,
    )
    from mtebkit.reporting._report import build_report
    from mtebkit.reporting._reproduce import (
        ReproduceReport,
        load_published,
        reproduce,
        select_published,
    )
    from mtebkit.reporting._stats import PairedTest, paired_bootstrap, randomisation_test
    from mtebkit.reporting._table import Image, Paragraph, Report, Table
    from mtebkit.reporting._variants import VARIANT_TITLE, variant_tables
    from mtebkit.reporting._verify import SCORE_TOLERANCE, verify_main_scores
