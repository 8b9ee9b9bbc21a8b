"""The reporting layer: benchmark aggregates, reports, plots, reproduction, comparison, CI gate.

Everything here works on result files (see :mod:`mtebkit.results`); nothing re-runs a model.
One :class:`Report` object is rendered many ways (terminal, Markdown, HTML, CSV, LaTeX,
pandas). Names are imported lazily, so the CLI stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mtebkit._util.lazy import lazy_exports

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
    "ReproduceRow",
    "SweepPoint",
    "Table",
    "Thresholds",
    "add_depth_curves",
    "add_similarity_plots",
    "add_sweep_curves",
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
    "relative_loss",
    "reproduce",
    "save_baseline",
    "select_published",
    "similarity_figure",
    "sweep_curve_figure",
    "sweep_points",
    "thresholds_table",
    "variant_tables",
    "verify_main_scores",
]

__getattr__, __dir__ = lazy_exports(globals())

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
        ReproduceRow,
        load_published,
        reproduce,
        select_published,
    )
    from mtebkit.reporting._stats import PairedTest, paired_bootstrap, randomisation_test
    from mtebkit.reporting._sweep_curves import (
        SweepPoint,
        add_sweep_curves,
        sweep_curve_figure,
        sweep_points,
    )
    from mtebkit.reporting._table import Image, Paragraph, Report, Table
    from mtebkit.reporting._variants import VARIANT_TITLE, relative_loss, variant_tables
    from mtebkit.reporting._verify import SCORE_TOLERANCE, verify_main_scores
