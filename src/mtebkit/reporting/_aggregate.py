"""Benchmark aggregation: per-category and overall averages as the bge model cards' tables compute them.

For a benchmark (``MTEB(eng, v1)``: 56 tasks, ``MTEB(cmn, v1)``: 31 tasks) the task list, each
task's type, evaluation splits and subsets come from mteb itself (``mteb.get_benchmark``): MS MARCO
on ``dev``, the English subset of multilingual tasks, and so on. Per task, the score is the mean
of its metric over those splits and subsets; an aggregate task (CQADupstack) is the mean of its
12 forum tasks unless a precomputed ``CQADupstackRetrieval`` result is present.

Averages, as in the cards: a category average is the unweighted mean of its task scores; the
overall average is the unweighted mean over ALL tasks (not over categories). A category with a
missing task has no average (it is marked incomplete and lists what is missing); the overall
average exists only when every category is complete.

Metric convention (``metrics="card"``, the default): mteb's main score per task, except pair
classification, where the 2023 cards averaged the cosine AP (``cos_sim_ap``) instead of mteb 2's
``max_ap`` / ``max_accuracy``. ``metrics="mteb"`` uses mteb's main score everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from mtebkit.errors import ResultsError
from mtebkit.results import CARD_METRIC_BY_TYPE, ResultSet, ScoreRow, result_set_from
from mtebkit.tasks import BenchmarkTask, benchmark_tasks, canonical_benchmark

if TYPE_CHECKING:
    from mteb.results import TaskResult

__all__ = [
    "BENCHMARKS",
    "BenchmarkAggregate",
    "BenchmarkSpec",
    "Category",
    "CategoryScore",
    "TaskScore",
    "aggregate_benchmark",
    "get_benchmark_spec",
]

MetricConvention = Literal["card", "mteb"]


@dataclass(frozen=True)
class Category:
    """A column of the card table: display label, mteb task type."""

    label: str
    type: str


@dataclass(frozen=True)
class _Layout:
    categories: tuple[Category, ...]
    average_label: str
    counts_in_header: bool  # "Retrieval (15)" (English card) or "Retrieval" (Chinese card)
    first_columns: tuple[str, ...]


# The bge cards' table layouts; the task lists themselves come from mteb.
_LAYOUTS: dict[str, _Layout] = {
    "MTEB(eng, v1)": _Layout(
        (
            Category("Retrieval", "Retrieval"),
            Category("Clustering", "Clustering"),
            Category("Pair Classification", "PairClassification"),
            Category("Reranking", "Reranking"),
            Category("STS", "STS"),
            Category("Summarization", "Summarization"),
            Category("Classification", "Classification"),
        ),
        "Average",
        True,
        ("Model Name", "Dimension", "Sequence Length"),
    ),
    "MTEB(cmn, v1)": _Layout(
        (
            Category("Retrieval", "Retrieval"),
            Category("STS", "STS"),
            Category("PairClassification", "PairClassification"),
            Category("Classification", "Classification"),
            Category("Reranking", "Reranking"),
            Category("Clustering", "Clustering"),
        ),
        "Avg",
        False,
        ("Model", "Embedding dimension"),
    ),
}
BENCHMARKS: tuple[str, ...] = tuple(_LAYOUTS)


@dataclass(frozen=True)
class BenchmarkSpec:
    """A benchmark's tasks grouped in the card's categories, plus its table layout."""

    name: str
    categories: tuple[Category, ...]
    tasks: tuple[BenchmarkTask, ...]
    average_label: str
    counts_in_header: bool
    first_columns: tuple[str, ...]

    def tasks_of(self, category: Category) -> list[BenchmarkTask]:
        return [t for t in self.tasks if t.type == category.type]

    def header(self, category: Category | None = None) -> str:
        """Column header as in the card: ``Retrieval (15)`` / ``Average (56)`` or ``Retrieval`` / ``Avg``."""
        if category is None:
            return (
                f"{self.average_label} ({len(self.tasks)})"
                if self.counts_in_header
                else self.average_label
            )
        n = len(self.tasks_of(category))
        return f"{category.label} ({n})" if self.counts_in_header else category.label


@cache
def get_benchmark_spec(name: str) -> BenchmarkSpec:
    """The spec of ``name`` (``MTEB(eng, v1)``, ``MTEB(cmn, v1)`` or an alias like ``C-MTEB``)."""
    canon = canonical_benchmark(name)
    layout = _LAYOUTS.get(canon)
    if layout is None:
        raise ResultsError(
            f"benchmark {canon} has no model-card table layout; supported: {', '.join(_LAYOUTS)}"
        )
    tasks = benchmark_tasks(canon)
    known = {c.type for c in layout.categories}
    stray = sorted({t.type for t in tasks} - known)
    if stray:  # a new mteb version changed the benchmark: refuse rather than drop tasks
        raise ResultsError(
            f"benchmark {canon} has task types {stray} that the card layout does not know"
        )
    return BenchmarkSpec(
        canon,
        layout.categories,
        tasks,
        layout.average_label,
        layout.counts_in_header,
        layout.first_columns,
    )


@dataclass(frozen=True)
class TaskScore:
    """One task's score (0-1) in a benchmark, or why it is missing."""

    task: str
    category: str
    metric: str
    score: float | None
    missing: tuple[str, ...] = ()  # what is missing: "split test / subset en", forum tasks, ...

    @property
    def complete(self) -> bool:
        return self.score is not None


@dataclass(frozen=True)
class CategoryScore:
    """A category's average (0-1), None when any of its tasks is missing."""

    label: str
    type: str
    header: str
    n_tasks: int
    score: float | None
    missing_tasks: tuple[str, ...]
    # mean over the tasks present only (None: none present); never a card number
    partial_score: float | None = None

    @property
    def complete(self) -> bool:
        return not self.missing_tasks

    @property
    def n_present(self) -> int:
        return self.n_tasks - len(self.missing_tasks)


@dataclass(frozen=True)
class BenchmarkAggregate:
    """Per-task scores, category averages and the overall average of one run on one benchmark."""

    benchmark: str
    model: str
    experiment: str | None
    metrics: str
    average: float | None
    average_header: str
    categories: tuple[CategoryScore, ...]
    tasks: tuple[TaskScore, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        return all(c.complete for c in self.categories)

    @property
    def missing_tasks(self) -> list[str]:
        return [t.task for t in self.tasks if not t.complete]

    def category(self, label: str) -> CategoryScore:
        for c in self.categories:
            if label in (c.label, c.type, c.header):
                return c
        raise KeyError(label)

    def task(self, name: str) -> TaskScore:
        for t in self.tasks:
            if t.task == name:
                return t
        raise KeyError(name)

    def as_points(self) -> dict[str, float | None]:
        """``{header: score × 100}`` in card column order (None = incomplete)."""
        out: dict[str, float | None] = {self.average_header: _pts(self.average)}
        for c in self.categories:
            out[c.header] = _pts(c.score)
        return out

    def partial_points(self) -> dict[str, tuple[float | None, int, int]]:
        """``{header: (points over the tasks present, tasks present, tasks)}``, the overall
        average first: for a partial run, marked as such wherever it is shown."""
        present = [t.score for t in self.tasks if t.score is not None]
        out = {
            self.average_header: (
                _pts(_mean(present)) if present else None,
                len(present),
                len(self.tasks),
            )
        }
        for c in self.categories:
            out[c.header] = (_pts(c.partial_score), c.n_present, c.n_tasks)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "model": self.model,
            "experiment": self.experiment,
            "metrics": self.metrics,
            "average": self.average,
            "complete": self.complete,
            "categories": [
                {
                    "label": c.label,
                    "type": c.type,
                    "score": c.score,
                    "n_tasks": c.n_tasks,
                    "missing_tasks": list(c.missing_tasks),
                    "partial_score": c.partial_score,
                }
                for c in self.categories
            ],
            "tasks": [
                {
                    "task": t.task,
                    "category": t.category,
                    "metric": t.metric,
                    "score": t.score,
                    "missing": list(t.missing),
                }
                for t in self.tasks
            ],
        }


def _pts(v: float | None) -> float | None:
    return None if v is None else 100.0 * v


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _task_score(
    task: BenchmarkTask,
    metric: str,
    index: Mapping[tuple[str, str, str], list[ScoreRow]],
) -> tuple[float | None, tuple[str, ...]]:
    """Mean of ``metric`` over the task's splits × subsets; (None, what is missing) if incomplete."""
    values: list[float] = []
    missing: list[str] = []
    for split in task.splits:
        for subset in task.subsets:
            rows = index.get((task.name, split, subset), [])
            v = rows[0].value(metric) if rows else None
            if v is None:
                what = "no result" if not rows else f"no {metric}"
                missing.append(f"{task.name} split {split} subset {subset}: {what}")
            else:
                values.append(v)
    if missing:
        return None, tuple(missing)
    return _mean(values), ()


def aggregate_benchmark(
    results: ResultSet | Iterable[TaskResult] | Iterable[ScoreRow],
    benchmark: str = "MTEB(eng, v1)",
    *,
    model: str | None = None,
    experiment: str | None = None,
    metrics: MetricConvention = "card",
) -> BenchmarkAggregate:
    """Aggregate one run's results on ``benchmark`` as the bge model cards do.

    ``results``: a :class:`~mtebkit.results.ResultSet` (loaded with
    :func:`~mtebkit.results.load_results` or a model card), or mteb ``TaskResult`` objects.
    With several models or experiments in ``results``, pass ``model`` / ``experiment``.
    Scores stay on the 0-1 scale (:meth:`BenchmarkAggregate.as_points` gives card points).
    """
    if metrics not in ("card", "mteb"):
        raise ResultsError(f"metrics must be 'card' or 'mteb', not {metrics!r}")
    spec = get_benchmark_spec(benchmark)
    rs = result_set_from(results).run(model, experiment=experiment)
    index: dict[tuple[str, str, str], list[ScoreRow]] = {}
    for r in rs.rows:
        index.setdefault((r.task, r.split, r.subset), []).append(r)
    present = {r.task for r in rs.rows}
    model_name = rs.models()[0] if rs.rows else (model or "?")
    exp = rs.rows[0].experiment if rs.rows else experiment

    task_scores: list[TaskScore] = []
    notes: list[str] = []
    for t in spec.tasks:
        metric = (
            CARD_METRIC_BY_TYPE.get(t.type, t.main_score) if metrics == "card" else t.main_score
        )
        cat = next(c.label for c in spec.categories if c.type == t.type)
        if t.components and t.name not in present:
            # the aggregate task's score: mean over its component tasks (e.g. 12 CQADupstack forums)
            parts = [
                BenchmarkTask(c, t.type, t.main_score, t.splits, ("default",)) for c in t.components
            ]
            scores = [_task_score(p, metric, index) for p in parts]
            missing = tuple(m for _, ms in scores for m in ms)
            if missing:
                task_scores.append(TaskScore(t.name, cat, metric, None, missing))
            else:
                vals = [s for s, _ in scores if s is not None]
                task_scores.append(TaskScore(t.name, cat, metric, _mean(vals)))
                notes.append(f"{t.name} = mean of its {len(vals)} component tasks")
            continue
        score, missing = _task_score(t, metric, index)
        task_scores.append(TaskScore(t.name, cat, metric, score, missing))

    cats = []
    for c in spec.categories:
        mine = [s for s in task_scores if s.category == c.label]
        miss = tuple(s.task for s in mine if s.score is None)
        have = [s.score for s in mine if s.score is not None]
        score = None if miss else _mean(have)
        partial = _mean(have) if have else None
        cats.append(CategoryScore(c.label, c.type, spec.header(c), len(mine), score, miss, partial))
    complete = all(c.complete for c in cats)
    average = _mean([s.score for s in task_scores if s.score is not None]) if complete else None
    return BenchmarkAggregate(
        benchmark=spec.name,
        model=model_name,
        experiment=exp,
        metrics=metrics,
        average=average,
        average_header=spec.header(None),
        categories=tuple(cats),
        tasks=tuple(task_scores),
        notes=tuple(notes),
    )
