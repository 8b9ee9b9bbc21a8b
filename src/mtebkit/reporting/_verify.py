"""A result file's main score must be the one its per-item scores give.

A ``<Task>.items.json.gz`` file holds what the main score is computed from (STS: Spearman over
the pairs; retrieval: the mean of the per-query main metric; ...). When it is present, the
commands that read results recompute the main score from it and refuse a file whose stored
score disagrees: a hand-edited number would otherwise pass the CI gate, a comparison and a
leaderboard unnoticed.

Skipped (nothing to recompute from): no items file; items of an older schema; a main metric
without a per-item form (e.g. nAUC, see ``parse_main_metric``); a row without a finite main
score; a split or subset the items do not hold; a recomputed value that is not finite.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

from mtebkit.errors import ResultsError, ScoreMismatchError
from mtebkit.reporting._stats import has_statistic, statistic_for
from mtebkit.results import (
    OutdatedItemScoresError,
    ResultSet,
    ScoreRow,
    item_matrix,
    item_scores_for,
    items_have_ids,
    load_item_scores,
)

__all__ = ["SCORE_TOLERANCE", "verify_main_scores"]

# Absolute, on the 0-1 scale. mteb writes retrieval / reranking metrics rounded to 5 decimals
# (error <= 5e-6; measured up to 4.4e-6 on the demo) and the other scores to 6, so a faithful
# file is off by up to 5e-6; a relative bound would refuse faithful files of low scores. 1e-5
# (0.001 points) is still ten times below the smallest change a table shows (0.01 points).
SCORE_TOLERANCE = 1e-5


def _recomputed(items_path: Path, rows: list[ScoreRow]) -> None:
    import numpy as np

    try:
        items = load_item_scores(items_path)
    except OutdatedItemScoresError:  # their per-item metrics may differ from mteb's: no check
        return
    if items.main is None or not has_statistic(items.kind):
        return
    stat = statistic_for(items.kind, items.main_metric)
    entries = {(e.split, e.subset): e for e in items.entries}
    for row in rows:
        e = entries.get((row.split, row.subset))
        stored = row.main_score
        if e is None or stored is None or not math.isfinite(stored):
            continue
        try:
            values = item_matrix(items, e)
        except ResultsError:  # a column or metric missing: nothing to recompute from
            continue
        ids = items_have_ids(items.kind)
        gold = np.zeros(len(values)) if ids else np.asarray(e.gold, dtype=np.float64)
        value = float(stat(values, gold))
        if math.isfinite(value) and abs(value - stored) > SCORE_TOLERANCE:
            raise ScoreMismatchError(
                f"{row.path}: {row.task} {row.split}/{row.subset} stores main score "
                f"{stored:.6f} but its item scores {items_path} give {value:.6f}; the result "
                "file was edited or the items belong to another run (re-run the task)"
            )


def verify_main_scores(rs: ResultSet) -> None:
    """Raise :class:`ScoreMismatchError` for the first row whose main score differs from the one
    its item-scores file recomputes by more than :data:`SCORE_TOLERANCE`."""
    by_file: dict[Path, list[ScoreRow]] = defaultdict(list)
    for r in rs.rows:
        if r.path is not None:
            by_file[r.path].append(r)
    for path, rows in sorted(by_file.items()):
        items_path = item_scores_for(path)
        if items_path is not None:
            _recomputed(items_path, rows)
