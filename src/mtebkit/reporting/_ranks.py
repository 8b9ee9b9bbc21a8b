"""Rank groups for a leaderboard: which adjacent runs the item scores cannot tell apart.

How the groups are formed:

1. The runs are ordered by the leaderboard's score, highest first (ties by label): the
   benchmark average (the average over the tasks present, marked partial, when a run is
   incomplete), or without a benchmark the mean main score over the tasks every run has.
2. Each pair of *adjacent* runs (rank i and i + 1) is tested on the **average** of the main
   score over the tasks where both kept per-item scores (``T`` tasks): the items of those tasks
   are pooled (:func:`pooled_items`) and the statistic is ``mean_t stat_t(items of task t)``
   with each task's own statistic (the one ``compare`` uses). Both of ``compare``'s tests run,
   paired bootstrap and randomisation (:func:`~mtebkit.reporting._compare.paired_tests`); the
   difference is significant only when BOTH give ``p < alpha``, ``compare``'s rule.
3. A significant step separates two groups; a non-significant one merges the two runs into
   one group. Groups are maximal runs of consecutive merged steps, shown by rank range
   ("1–3"). Merging is chained: if 1~2 and 2~3 are not significant, 1–3 is one group even if 1
   and 3 would differ; a group means "no adjacent step inside it is significant".
4. A step without any shared item scores is *untested*: it separates the groups (nothing says
   they tie) but the rank across it is unqualified, and the table says so.

Why the average, not per task: the leaderboard ranks by an average, so its ties are ties of
that average. Per-task tests would ask a different question (does any task differ), and with
many tasks some task differs by chance (multiple comparisons), while a real average gap made
of small consistent per-task gains would go unseen.

The pooled bootstrap resamples items from the pool (not within each task), so the number of
items per task varies between draws; a draw that leaves a task with an undefined statistic is
dropped (``paired_bootstrap``'s rule). The randomisation test swaps each item's two values,
exactly as per task. The tested average covers the tasks with item scores only (e.g. not
classification, which keeps none); the table names how many.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mtebkit.reporting._compare import PairedItems, paired_items_for, paired_tests
from mtebkit.reporting._stats import FloatArray, PairedTest
from mtebkit.reporting._table import Table
from mtebkit.results import ResultSet, mean_score, preferred_split

__all__ = ["RankStep", "pooled_items", "rank_labels", "rank_steps", "rank_table"]


@dataclass(frozen=True)
class RankStep:
    """The test between a run and the next one down the ranking."""

    upper: str
    lower: str
    tasks: tuple[str, ...]  # the tasks whose items were pooled (empty: untested)
    tests: tuple[PairedTest, ...]

    @property
    def tested(self) -> bool:
        return bool(self.tests)

    def separated(self, alpha: float = 0.05) -> bool | None:
        """True: significant by every test; False: not; None: untested."""
        if not self.tests:
            return None
        return all(t.p_value < alpha for t in self.tests)


def _pool(parts: Sequence[tuple[FloatArray, FloatArray]]) -> tuple[FloatArray, FloatArray]:
    """Stack per-task (a, b) item arrays into ``(N, 1 + C)``: column 0 the task index, then
    the task's columns, NaN-padded (column 0 is equal in a and b, so swaps leave it intact)."""
    width = max(a.reshape(len(a), -1).shape[1] for a, _ in parts)
    out = []
    for side in (0, 1):
        blocks = []
        for t, pair in enumerate(parts):
            x = pair[side].reshape(len(pair[side]), -1)
            block = np.full((len(x), 1 + width), np.nan)
            block[:, 0] = t
            block[:, 1 : 1 + x.shape[1]] = x
            blocks.append(block)
        out.append(np.concatenate(blocks))
    return out[0], out[1]


def pooled_items(items: Sequence[PairedItems]) -> PairedItems:
    """The items of several tasks as one set whose statistic is the mean of the tasks' own
    statistics: ``stat(X) = (1/T) * sum_t stat_t(X restricted to task t)``."""
    if not items:
        raise ValueError("pooled_items needs at least one task")
    widths = [it.a.reshape(len(it.a), -1).shape[1] for it in items]
    stats = [it.statistic for it in items]
    flat = [it.a.ndim == 1 for it in items]

    def statistic(x: FloatArray, gold: FloatArray) -> float:
        values = []
        for t, (stat, w, is_flat) in enumerate(zip(stats, widths, flat, strict=True)):
            rows = x[:, 0] == t
            part = x[rows, 1 : 1 + w]
            values.append(stat(part[:, 0] if is_flat else part, gold[rows]))
        return float(np.mean(values))

    a, b = _pool([(it.a, it.b) for it in items])
    shared = _pool([it.for_randomisation() for it in items])
    gold = np.concatenate([it.gold for it in items])
    return PairedItems(
        "+".join(it.task for it in items), "pooled", "mean", a, b, gold, statistic, shared
    )


def rank_steps(
    ranking: Sequence[tuple[str, ResultSet]],
    tasks: Sequence[str],
    *,
    n_resamples: int = 1000,
    seed: int = 0,
) -> list[RankStep]:
    """The test between each run of ``ranking`` (best first) and the next, on the average over
    ``tasks`` where both kept item scores."""
    steps = []
    by_task = [view.by_task() for _, view in ranking]
    for i in range(len(ranking) - 1):
        upper, lower = by_task[i], by_task[i + 1]
        found = []
        for task in tasks:
            a_rows, b_rows = lower.get(task, []), upper.get(task, [])
            if not a_rows or not b_rows:
                continue
            split = preferred_split({r.split for r in a_rows}, task)
            items = paired_items_for(a_rows, b_rows, split)  # delta = upper - lower
            if items is not None:
                found.append(items)
        tests = (
            paired_tests(pooled_items(found), method="both", n_resamples=n_resamples, seed=seed)
            if found
            else ()
        )
        steps.append(
            RankStep(
                ranking[i][0],
                ranking[i + 1][0],
                tuple(it.task for it in found) if tests else (),
                tests,
            )
        )
    return steps


def rank_labels(separated: Sequence[bool | None]) -> list[str]:
    """Rank of each of ``len(separated) + 1`` runs in order: a group of consecutive runs whose
    steps are all non-significant (False) shares the range ``"first–last"``; a True or None
    (untested) step starts a new group."""
    groups: list[list[int]] = [[1]]
    for i, sep in enumerate(separated, start=2):
        if sep is False:
            groups[-1].append(i)
        else:
            groups.append([i])
    out = []
    for g in groups:
        label = str(g[0]) if len(g) == 1 else f"{g[0]}–{g[-1]}"
        out += [label] * len(g)
    return out


def _overall(rs: ResultSet, tasks: Sequence[str]) -> float | None:
    scores = []
    for task, rows in rs.by_task().items():
        if task in tasks:
            s = mean_score(rows, preferred_split({r.split for r in rows}, task))
            if s is not None:
                scores.append(100 * s)
    return sum(scores) / len(scores) if len(scores) == len(tasks) and scores else None


def rank_table(
    runs: Sequence[tuple[str, ResultSet]],
    *,
    scores: Sequence[float | None] | None = None,
    tasks: Sequence[str] | None = None,
    score_name: str = "Average",
    alpha: float = 0.05,
    n_resamples: int = 1000,
    seed: int = 0,
) -> Table | None:
    """The ranking with its rank groups (see the module docstring); None for fewer than 2 runs.

    ``scores`` (points) rank the runs; by default the mean over ``tasks`` (default: the tasks
    every run has). Runs without a score are left out of the ranking.
    """
    if len(runs) < 2:
        return None
    names = (
        list(tasks)
        if tasks is not None
        else sorted(set.intersection(*(set(v.by_task()) for _, v in runs)))
    )
    pts = list(scores) if scores is not None else [_overall(v, names) for _, v in runs]
    scored = [(p, label, view) for p, (label, view) in zip(pts, runs, strict=True) if p is not None]
    if len(scored) < 2:
        return None
    scored.sort(key=lambda x: (-x[0], x[1]))
    ranking = [(label, view) for _, label, view in scored]
    steps = rank_steps(ranking, names, n_resamples=n_resamples, seed=seed)
    flags = [s.separated(alpha) for s in steps]
    labels = rank_labels(flags)
    rows: list[list[object]] = []
    for i, (p, label, _) in enumerate(scored):
        line: list[object] = [labels[i], label, p]
        if i < len(steps):
            st = steps[i]
            by = {t.method.split(" ")[0]: t.p_value for t in st.tests}
            verdict = {True: "significant", False: "not significant", None: "untested"}
            line += [
                p - scored[i + 1][0],
                len(st.tasks),
                by.get("paired"),
                by.get("randomisation"),
                verdict[flags[i]],
            ]
        else:
            line += [None, None, None, None, "-"]
        rows.append(line)
    left = len(runs) - len(scored)
    if not any(s.tested for s in steps):
        note = (
            "Ranks are unqualified: no two adjacent runs share per-item scores, so no "
            "difference was tested (runs keep them unless --no-item-scores)."
        )
    else:
        note = (
            f"Rank groups: adjacent runs whose difference on the average over the tasks "
            f"with item scores is not significant (paired bootstrap AND randomisation p < "
            f"{alpha:g}, as compare) share a rank range; 'untested' steps (no shared item "
            "scores) leave the rank across them unqualified."
        )
    if left:
        note += f" {left} run(s) without a {score_name.lower()} are not ranked."
    return Table(
        ["Rank", "Run", score_name, "Δ next", "Tasks tested", "p boot", "p rand", "vs next"],
        rows,
        title="Ranking with rank groups",
        note=note,
        align_left=2,
        column_digits={"p boot": 4, "p rand": 4},
    )
