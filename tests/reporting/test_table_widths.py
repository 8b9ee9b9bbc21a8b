"""Output that fits a person: 100-column tables by default, --wide for the rest, footnotes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mtebkit.cli import main
from mtebkit.reporting import PairedTest, Table
from mtebkit.reporting._compare import Comparison, TaskComparison
from mtebkit.reporting._table import fit_widths
from tests.helpers.reporting.factory import sts, write_pair_items, write_result


def test_text_columns_are_cut_to_fit_and_numbers_never() -> None:
    t = Table(["name", "score"], [["x" * 150, 12.345]], align_left=1)
    lines = t.to_terminal(max_width=40).splitlines()
    assert max(len(line) for line in lines) <= 40
    assert lines[2].endswith("12.35") and "…" in lines[2]
    assert t.to_terminal().splitlines()[2].startswith("x" * 150)  # no limit: nothing cut
    assert fit_widths([5, 50], 20, shrinkable=[]) == [5, 50]


def _runs(tmp_path: Path) -> list[Path]:
    rng = np.random.default_rng(0)
    gold = rng.uniform(0, 1, 200)
    roots = []
    for k, noise in enumerate((0.2, 0.25, 0.3)):
        root = tmp_path / f"run-{k}"
        scores = gold + rng.normal(0, noise, 200)
        from scipy.stats import spearmanr

        model = f"some-organisation/a-rather-long-checkpoint-name-step-{k}0000"
        for task in ("STS12", "STSBenchmarkWithAVeryLongTaskNameIndeed"):
            p = write_result(
                root,
                model,
                task,
                sts(float(spearmanr(scores, gold).statistic)),
                main_metric="cosine_spearman",
            )
            write_pair_items(p, [float(x) for x in scores], [float(g) for g in gold])
        roots.append(root)
    return roots


def test_compare_fits_100_columns_and_wide_keeps_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = [str(r) for r in _runs(tmp_path)]
    assert main(["compare", *runs, "--resamples", "200"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 100, out
    assert "B = some-organisation/a-rather-long-checkpoint-name-step-10000" in out
    assert "p boot B" in out and "p rand C" in out
    assert main(["compare", *runs, "--resamples", "200", "--wide"]) == 0
    wide = capsys.readouterr().out
    assert "Δ some-organisation/a-rather-long-checkpoint-name-step-20000" in wide
    assert max(len(line) for line in wide.splitlines()) > 100
    assert main(["compare", *runs, "--resamples", "200", "--out", str(tmp_path / "o")]) == 0
    md = (tmp_path / "o" / "comparison.md").read_text()
    assert "Δ some-organisation/a-rather-long-checkpoint-name-step-10000" in md  # files: full


def _cmp(*tests: PairedTest) -> Comparison:
    cell = TaskComparison("T", "test", 0.50, 0.51, tests)
    return Comparison("A", ("B",), ("T",), {("B", "T"): cell}, 0.0, 0.05)


@pytest.mark.parametrize(
    ("ci", "p_boot", "p_rand", "disagree"),
    [
        ((0.001, 0.02), 0.03, 0.06, True),  # CI excludes 0, randomisation p does not reach 0.05
        ((-0.001, 0.02), 0.04, 0.01, True),  # CI holds 0, every p below 0.05
        ((0.001, 0.02), 0.03, 0.01, False),
        ((-0.001, 0.02), 0.20, 0.30, False),
    ],
)
def test_footnote_when_ci_and_p_values_disagree(
    ci: tuple[float, float], p_boot: float, p_rand: float, disagree: bool
) -> None:
    boot = PairedTest("paired bootstrap", 0.01, p_boot, *ci, 100, 1000)
    rand = PairedTest("randomisation", 0.01, p_rand, None, None, 100, 1000)
    cmp = _cmp(boot, rand)
    t = cmp.table()
    assert cmp.disagrees(cmp.cells[("B", "T")]) is disagree
    assert t.cells()[0][-1].endswith("*") is disagree
    assert ("disagree" in t.note) is disagree


def test_an_uncut_column_is_printed_whole_and_pushes_only_its_own_row() -> None:
    long = "AVeryLongTaskNameThatNoTerminalColumnShouldCut"
    rows: list[list[object]] = [[f"task{i}", "x" * 30, float(i)] for i in range(24)]
    rows[3][0] = long
    t = Table(["name", "notes", "score"], rows, align_left=2, uncut=(0,))
    header, dashes, *lines = t.to_terminal(max_width=40).splitlines()
    assert lines[3].startswith(long + "  ") and lines[3].endswith("3.00")
    others = [line for i, line in enumerate(lines) if i != 3]
    assert max(len(line) for line in [header, dashes, *others]) <= 40
    assert all(line.startswith(f"task{i} ") for i, line in enumerate(lines) if i != 3)
    assert len({len(line) for line in others}) == 1  # the other rows stay aligned
    assert "…" in lines[0] and "…" not in lines[3].split()[0]


def test_models_lists_its_presets_in_aligned_columns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    header, dashes, *lines = capsys.readouterr().out.splitlines()
    col = header.index("instruction on")
    assert dashes[col - 2 : col] == "  " and dashes[col] == "-"
    assert all(line[col - 1] == " " and line[col] != " " for line in lines), lines
