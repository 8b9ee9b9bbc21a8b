"""p-values keep 4 decimals in rendered tables (2 decimals printed p = 0.001 as "0.00")."""

from __future__ import annotations

import numpy as np

from mtebkit.reporting import Table, paired_bootstrap
from mtebkit.reporting._compare import Comparison, TaskComparison


def test_column_digits_override_only_the_named_column() -> None:
    t = Table(["a", "p"], [[0.123456, 0.000999]], column_digits={"p": 4})
    assert t.cells() == [["0.12", "0.0010"]]
    assert "0.0010" in t.to_markdown() and "0.0010" in t.to_html()
    assert "0.000999" in t.to_csv()  # CSV keeps full precision


def test_comparison_table_shows_small_p_values() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(0.5, 0.1, 200)
    b = a + 0.05  # B better on every item: the bootstrap p hits its floor 1/(B+1)
    test = paired_bootstrap(a, b, n_resamples=999, seed=0)
    assert test.p_value == 1 / 1000
    cmp = Comparison(
        "A",
        ("B",),
        ("T",),
        {("B", "T"): TaskComparison("T", "test", 0.5, 0.55, (test,))},
        0.0,
        0.05,
    )
    row = cmp.table().cells()[0]
    assert row[cmp.table().columns.index("p B")] == "0.0010"
    assert row[cmp.table().columns.index("Δ B")] == "5.00"


def test_both_tests_are_shown_and_significance_needs_both() -> None:
    from mtebkit.reporting import PairedTest

    boot = PairedTest("paired bootstrap", 0.01, 0.03, 0.001, 0.02, 100, 1000)
    rand = PairedTest("randomisation", 0.01, 0.08, None, None, 100, 1000)
    cmp = Comparison(
        "A",
        ("B",),
        ("T",),
        {("B", "T"): TaskComparison("T", "test", 0.50, 0.51, (boot, rand))},
        0.0,
        0.05,
    )
    t = cmp.table()
    row = dict(zip(t.columns, t.cells()[0], strict=True))
    assert row["p bootstrap B"] == "0.0300" and row["p randomisation B"] == "0.0800"
    assert row["95% CI B"] == "[+0.10, +2.00]*"  # CI excludes 0, randomisation p does not
    assert "disagree" in t.note
    # one test below alpha, the other not: a win, but not a significant one
    assert cmp.record("B") == (1, 0, 0, 0, 0)
    both = Comparison(
        "A",
        ("B",),
        ("T",),
        {("B", "T"): TaskComparison("T", "test", 0.50, 0.51, (boot, boot))},
        0.0,
        0.05,
    )
    assert both.record("B") == (1, 0, 0, 1, 0)
