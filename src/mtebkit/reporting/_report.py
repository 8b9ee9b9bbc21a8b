"""Leaderboards and per-task tables in the bge model cards' format, as one :class:`Report`."""

from __future__ import annotations

from collections.abc import Sequence

from mtebkit.reporting._aggregate import BenchmarkAggregate, aggregate_benchmark, get_benchmark_spec
from mtebkit.reporting._table import Paragraph, Report, Table
from mtebkit.reporting._variants import variant_tables
from mtebkit.results import DEFAULT_EXPERIMENT, ResultSet, RunKey, mean_score, preferred_split

__all__ = ["build_report", "coverage_table", "leaderboard", "per_task_table", "run_views"]


def run_views(
    rs: ResultSet, runs: Sequence[RunKey] | None = None
) -> list[tuple[RunKey, ResultSet]]:
    """One checked ResultSet per (model, experiment) run; conflicting files raise (naming both)."""
    out = []
    for key in runs or rs.runs():
        view = rs.run(key.model, experiment=key.experiment or DEFAULT_EXPERIMENT)
        out.append((key, view))
    return out


def _bold_best(table: Table, first_numeric: int) -> None:
    for ci in range(first_numeric, len(table.columns)):
        vals = [(r[ci], ri) for ri, r in enumerate(table.rows) if isinstance(r[ci], float)]
        if len(vals) > 1:
            best = max(v for v, _ in vals)
            table.bold |= {(ri, ci) for v, ri in vals if v == best}


def leaderboard(
    rs: ResultSet, benchmark: str, *, metrics: str = "card"
) -> tuple[Table, list[BenchmarkAggregate]]:
    """The card table: one row per run, incomplete categories shown as ``-``."""
    spec = get_benchmark_spec(benchmark)
    aggs = []
    rows = []
    for key, view in run_views(rs):
        agg = aggregate_benchmark(view, spec.name, metrics=metrics)  # type: ignore[arg-type]
        aggs.append(agg)
        lead: list[object] = [key.label, rs.model_dimension(key.model)]
        if len(spec.first_columns) == 3:
            lead.append(rs.model_max_tokens(key.model))
        rows.append([*lead, *agg.as_points().values()])
    columns = [*spec.first_columns, spec.header(None), *(spec.header(c) for c in spec.categories)]
    notes = [
        f"{RunKey(a.model, a.experiment).label}: {len(a.missing_tasks)} of "
        f"{len(a.tasks)} tasks missing"
        for a in aggs
        if a.missing_tasks
    ]
    note = (
        "A '-' marks a category with missing tasks (never averaged as if complete). "
        + "; ".join(notes)
        if notes
        else ""
    )
    table = Table(columns, rows, title=f"{spec.name} leaderboard", note=note, align_left=1)
    _bold_best(table, len(spec.first_columns))
    return table, aggs


def per_task_table(
    rs: ResultSet, *, tasks: Sequence[str] | None = None, title: str = "Per-task scores"
) -> Table:
    """Tasks × runs, main score (points) on the task's preferred split (mean over subsets)."""
    views = run_views(rs)
    names = list(tasks) if tasks is not None else sorted({r.task for r in rs.rows})
    rows = []
    for t in names:
        task_rows = [r for r in rs.rows if r.task == t]
        split = preferred_split({r.split for r in task_rows}, t) if task_rows else "test"
        ttype = next((r.task_type for r in task_rows if r.task_type), None)
        metric = next((r.main_metric for r in task_rows if r.main_metric), None)
        line: list[object] = [t, ttype or "-", split, metric or "main_score"]
        for _, view in views:
            score = mean_score([r for r in view.rows if r.task == t], split)
            line.append(None if score is None else 100 * score)
        rows.append(line)
    table = Table(
        ["Task", "Type", "Split", "Metric", *(k.label for k, _ in views)],
        rows,
        title=title,
        align_left=4,
    )
    _bold_best_rows(table, 4)
    return table


def _bold_best_rows(table: Table, first_numeric: int) -> None:
    for ri, r in enumerate(table.rows):
        vals = [(r[ci], ci) for ci in range(first_numeric, len(r)) if isinstance(r[ci], float)]
        if len(vals) > 1:
            best = max(v for v, _ in vals)
            table.bold |= {(ri, ci) for v, ci in vals if v == best}


def coverage_table(benchmark: str, aggs: Sequence[BenchmarkAggregate]) -> Table:
    """Tasks present / tasks in each category, per run (why a leaderboard cell is ``-``)."""
    spec = get_benchmark_spec(benchmark)
    rows = []
    for a in aggs:
        label = a.model if a.experiment is None else f"{a.model} [{a.experiment}]"
        done = len(a.tasks) - len(a.missing_tasks)
        cells = [f"{c.n_tasks - len(c.missing_tasks)}/{c.n_tasks}" for c in a.categories]
        rows.append([label, f"{done}/{len(a.tasks)}", *cells])
    return Table(
        ["Run", spec.header(None), *(spec.header(c) for c in spec.categories)],
        rows,
        title=f"{spec.name} coverage (tasks with results / tasks)",
        align_left=99,
    )


_PARTIAL_NOTE = (
    "PARTIAL: averages over the tasks present only (k/n = tasks present / tasks); not "
    "comparable with published averages, nor between runs with different tasks."
)


def partial_table(benchmark: str, aggs: Sequence[BenchmarkAggregate]) -> Table:
    """Category averages over the tasks each run has, each cell marked with its coverage."""
    spec = get_benchmark_spec(benchmark)
    rows = []
    for a in aggs:
        cells = [
            "-" if v is None else f"{v:.2f} ({k}/{n})" for v, k, n in a.partial_points().values()
        ]
        rows.append([RunKey(a.model, a.experiment).label, *cells])
    return Table(
        ["Run", spec.header(None), *(spec.header(c) for c in spec.categories)],
        rows,
        title=f"{spec.name}: partial averages (tasks present only)",
        note=_PARTIAL_NOTE,
        align_left=99,
    )


def type_averages_table(rs: ResultSet) -> Table:
    """Per task type and run: the mean main score over the tasks present (always partial)."""
    views = run_views(rs)
    types = sorted({r.task_type or "-" for r in rs.rows})
    rows: list[list[object]] = []
    for ttype in types:
        line: list[object] = [ttype]
        for _, view in views:
            scores = []
            for task in sorted({r.task for r in view.rows if (r.task_type or "-") == ttype}):
                task_rows = [r for r in view.rows if r.task == task]
                s = mean_score(task_rows, preferred_split({r.split for r in task_rows}, task))
                if s is not None:
                    scores.append(100 * s)
            line.append(f"{sum(scores) / len(scores):.2f} ({len(scores)})" if scores else "-")
        rows.append(line)
    return Table(
        ["Type", *(k.label for k, _ in views)],
        rows,
        title="Averages by task type (partial: the tasks present; task count in brackets)",
        note=_PARTIAL_NOTE.replace(" (k/n = tasks present / tasks)", ""),
        align_left=99,
    )


def _names(tasks: Sequence[str], shown: int = 10) -> str:
    """``A, B, C and 52 more`` (the coverage table counts them per category)."""
    if len(tasks) <= shown:
        return ", ".join(tasks)
    return f"{', '.join(tasks[:shown])} and {len(tasks) - shown} more"


def _add_ranks_and_encoding(
    rep: Report,
    rs: ResultSet,
    benchmark: str | None = None,
    aggs: Sequence[BenchmarkAggregate] = (),
    *,
    resamples: int = 200,
) -> None:
    """The rank groups of the runs (by the benchmark average, partial where a run is
    incomplete; without a benchmark, the mean over the tasks every run has), then the
    truncation and throughput table."""
    from mtebkit.reporting._encoding import encoding_table
    from mtebkit.reporting._ranks import rank_table

    views = run_views(rs)
    if benchmark is None:
        ranks = rank_table(
            [(k.label, v) for k, v in views],
            score_name="Mean (shared tasks)",
            n_resamples=resamples,
        )
    else:
        partial = any(not a.complete for a in aggs)
        pts = [next(iter((a.as_points() if a.complete else _partial(a)).values())) for a in aggs]
        tasks = sorted({t.task for a in aggs for t in a.tasks})
        ranks = rank_table(
            [(k.label, v) for k, v in views],
            scores=pts,
            tasks=tasks,
            score_name="Average (partial)" if partial else "Average",
            n_resamples=resamples,
        )
    if ranks is not None:
        rep.add(ranks)
    enc = encoding_table(rs)
    if enc is not None:
        rep.add(enc)


def _partial(a: BenchmarkAggregate) -> dict[str, float | None]:
    return {k: v for k, (v, _, _) in a.partial_points().items()}


def build_report(
    rs: ResultSet,
    *,
    benchmark: str | None = None,
    metrics: str = "card",
    title: str | None = None,
    rank_resamples: int = 200,
) -> Report:
    """Leaderboard + per-category task tables (with a benchmark) or a per-task table (without);
    rank groups of the runs from ``rank_resamples`` resamples per test (see ``_ranks``)."""
    rep = Report(
        title or (f"{get_benchmark_spec(benchmark).name} results" if benchmark else "Results")
    )
    if benchmark is None:
        rep.add(per_task_table(rs))
        _add_ranks_and_encoding(rep, rs, resamples=rank_resamples)
        rep.add(type_averages_table(rs))
        for table in variant_tables(rs):  # --dim / --precision runs
            rep.add(table)
        return rep
    spec = get_benchmark_spec(benchmark)
    board, aggs = leaderboard(rs, spec.name, metrics=metrics)
    rep.add(board)
    _add_ranks_and_encoding(rep, rs, spec.name, aggs, resamples=rank_resamples)
    if any(not a.complete for a in aggs):
        rep.add(coverage_table(spec.name, aggs))
        rep.add(partial_table(spec.name, aggs))
    labels = [key.label for key, _ in run_views(rs)]
    for c in spec.categories:
        rows = []
        absent = 0
        for t in spec.tasks_of(c):
            ts = [a.task(t.name) for a in aggs]
            if all(x.score is None for x in ts):  # no run has it: counted, not listed
                absent += 1
                continue
            metric = ts[0].metric if ts else t.main_score
            rows.append(
                [
                    t.name,
                    "/".join(t.splits),
                    "/".join(t.subsets),
                    metric,
                    *(None if x.score is None else 100 * x.score for x in ts),
                ]
            )
        if not rows:
            continue
        table = Table(
            ["Task", "Split", "Subset", "Metric", *labels],
            rows,
            title=f"{spec.header(c)}: per-task scores",
            note=f"{absent} more task(s) of this category have no result in any run"
            if absent
            else "",
            align_left=4,
        )
        _bold_best_rows(table, 4)
        rep.add(table)
    missing = [
        f"{RunKey(a.model, a.experiment).label}: {_names(a.missing_tasks)}"
        for a in aggs
        if a.missing_tasks
    ]
    if missing:
        rep.add(Paragraph("Missing tasks — " + " | ".join(missing)))
    if any(n for a in aggs for n in a.notes):
        rep.add(Paragraph("Notes: " + "; ".join(sorted({n for a in aggs for n in a.notes}))))
    other = sorted(
        {r.task for r in rs.rows}
        - {t.name for t in spec.tasks}
        - {c for t in spec.tasks for c in t.components}
    )
    if other:
        rep.add(per_task_table(rs, tasks=other, title=f"Other tasks (not in {spec.name})"))
    for table in variant_tables(rs):  # --dim / --precision runs
        rep.add(table)
    return rep
