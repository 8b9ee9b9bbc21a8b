"""Reading results folders (mtebkit's, mteb's, pre-1.11 mteb files, model-card exports) into one object.

Layout understood (mteb's ``ResultCache`` layout)::

    <root>/.../<org__model>/<revision>/<Task>.json
    <root>/.../<org__model>/<revision>/experiments/<experiment>/<Task>.json
    <root>/.../<org__model>/<revision>/model_meta.json          (optional: name, embed_dim, max_tokens)

Every score is kept on mteb's 0-1 scale. A file whose main scores exceed 1 (a model-card export
on the 0-100 scale) is rescaled on load and says so in :attr:`ResultSet.notes`.
"""

from __future__ import annotations

import json
import logging
import math
import warnings
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mtebkit._util.registry import did_you_mean
from mtebkit.errors import ResultsError
from mtebkit.results._layout import DEFAULT_EXPERIMENT, EXPERIMENTS_DIR, safe_name
from mtebkit.results._metrics import metric_value
from mtebkit.results._reader import read_task_result
from mtebkit.tasks import TaskFacts, task_facts

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ResultSet",
    "ResultsWarning",
    "RunKey",
    "ScoreRow",
    "load_results",
    "mean_score",
    "preferred_split",
    "result_set_from",
    "rows_from_task_result",
    "task_info",
]

logger = logging.getLogger(__name__)

_SPLIT_PREFERENCE = ("test", "dev", "validation")
_NOT_RESULTS = {"model_meta.json"}


class ResultsWarning(UserWarning):
    """A result file was skipped or adjusted while loading (the message names it)."""


class TaskScores(Protocol):
    """What rows are made of: mteb's ``TaskResult`` or a file read by :func:`read_task_result`."""

    @property
    def task_name(self) -> str: ...

    @property
    def scores(self) -> Mapping[str, Sequence[Mapping[str, Any]]]: ...


def task_info(name: str) -> TaskFacts | None:
    """What the task catalogue knows of ``name`` (type, main score, splits); None if unknown.
    No mteb import when the shipped snapshot fits the installed mteb (see ``task_facts``)."""
    return task_facts(name)


@dataclass(frozen=True)
class ScoreRow:
    """One (model, revision, experiment, task, split, subset) score, 0-1 scale."""

    model: str
    revision: str
    experiment: str | None
    task: str
    split: str
    subset: str
    main_score: float | None
    scores: Mapping[str, Any]
    task_type: str | None = None
    main_metric: str | None = None
    settings: Mapping[str, Any] | None = None
    path: Path | None = None
    languages: tuple[str, ...] = ()

    def value(self, metric: str | None = None) -> float | None:
        """This row's ``metric`` (old names accepted); the main score when ``metric`` is None."""
        if metric is None or metric == self.main_metric:
            return self.main_score
        return metric_value(self.scores, metric)


@dataclass(frozen=True, order=True)
class RunKey:
    """A model run: model name plus experiment (None = mteb's default folder)."""

    model: str
    experiment: str | None = None

    @property
    def label(self) -> str:
        return self.model if self.experiment is None else f"{self.model} [{self.experiment}]"


def preferred_split(splits: Iterable[str], task: str | None = None) -> str:
    """The split a per-task table shows: among the task's mteb eval splits when known (e.g. AFQMC:
    validation), test, else dev, else validation, else the first."""
    s = list(splits)
    info = task_info(task) if task is not None else None
    if info is not None:
        evals = [x for x in s if x in info.splits]
        s = evals or s
    for name in _SPLIT_PREFERENCE:
        if name in s:
            return name
    return sorted(s)[0]


def mean_score(
    rows: Iterable[ScoreRow],
    split: str,
    *,
    subsets: Iterable[str] | None = None,
    metric: str | None = None,
) -> float | None:
    """The mean of ``metric`` (default: the main score) over ``split``'s subsets.

    None when the split has no row, when a value is missing, or when ``subsets`` is given
    and the rows do not hold exactly those subsets: a task score is never averaged over part
    of what it should cover.
    """
    chosen = [r for r in rows if r.split == split]
    if subsets is not None:
        wanted = set(subsets)
        chosen = [r for r in chosen if r.subset in wanted]
        if {r.subset for r in chosen} != wanted:
            return None
    if not chosen:
        return None
    vals = [r.value(metric) for r in chosen]
    if any(v is None for v in vals):
        return None
    return sum(v for v in vals if v is not None) / len(vals)


def _finite(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def rows_from_task_result(
    result: TaskScores,
    *,
    model: str,
    revision: str = "unknown",
    experiment: str | None = None,
    settings: Mapping[str, Any] | None = None,
    path: Path | None = None,
    scale: float = 1.0,
) -> list[ScoreRow]:
    """Flatten a mteb ``TaskResult`` into rows, filling a missing main score from its old name."""
    info = task_info(result.task_name)
    main_metric = info.main_score if info else None
    rows = []
    for split, subsets in result.scores.items():
        for entry in subsets:
            scores = {k: v for k, v in entry.items() if k not in ("hf_subset", "languages")}
            if scale != 1.0:
                scores = {
                    k: (v * scale if _finite(v) is not None else v) for k, v in scores.items()
                }
            main = _finite(scores.get("main_score"))
            if main is None and main_metric:
                main = metric_value(scores, main_metric)
            rows.append(
                ScoreRow(
                    model=model,
                    revision=revision,
                    experiment=experiment,
                    task=result.task_name,
                    split=str(split),
                    subset=str(entry.get("hf_subset", "default")),
                    main_score=main,
                    scores=scores,
                    task_type=info.type if info else None,
                    main_metric=main_metric,
                    settings=dict(settings) if settings is not None else None,
                    path=path,
                    languages=tuple(entry.get("languages") or ()),
                )
            )
    return rows


@dataclass
class ResultSet:
    """Scores of any number of models / runs, loaded from one or more folders.

    ``rows`` hold one entry per (model, revision, experiment, task, split, subset); ``meta`` maps
    a model name to its ``model_meta.json`` content; ``warnings`` list files that were skipped.
    """

    rows: list[ScoreRow] = field(default_factory=list)
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    source: str = ""

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[ScoreRow]:
        return iter(self.rows)

    # ---- what is inside -------------------------------------------------------------------
    def models(self) -> list[str]:
        return sorted({r.model for r in self.rows})

    def tasks(self) -> list[str]:
        return sorted({r.task for r in self.rows})

    def runs(self) -> list[RunKey]:
        return sorted(
            {RunKey(r.model, r.experiment) for r in self.rows},
            key=lambda k: (k.model, k.experiment or ""),
        )

    def experiments(self, model: str | None = None) -> list[str | None]:
        exps = {r.experiment for r in self.rows if model is None or r.model == model}
        return sorted(exps, key=lambda e: "" if e is None else e)

    def model_dimension(self, model: str) -> int | None:
        v = self.meta.get(model, {}).get("embed_dim")
        return int(v) if isinstance(v, (int, float)) else None

    def model_max_tokens(self, model: str) -> int | None:
        v = self.meta.get(model, {}).get("max_tokens")
        return int(v) if isinstance(v, (int, float)) and math.isfinite(v) else None

    # ---- selection ------------------------------------------------------------------------
    def resolve_model(self, name: str) -> str:
        """The stored model name matching ``name`` (exact, case-insensitive, or without org)."""
        models = self.models()
        if name in models:
            return name
        low = name.lower().replace("__", "/")
        short = low.split("/")[-1]
        matches = [m for m in models if m.lower() == low or m.lower().split("/")[-1] == short]
        if len(matches) == 1:
            return matches[0]
        where = f" in {self.source}" if self.source else ""
        if len(matches) > 1:
            raise ResultsError(f"model {name!r} is ambiguous{where}: {', '.join(matches)}")
        raise ResultsError(
            f"no results for model {name!r}{where}.{did_you_mean(name, models)}"
            f" Models present: {', '.join(models) or 'none'}"
        )

    def filter(
        self,
        *,
        model: str | None = None,
        revision: str | None = None,
        experiment: str | None = None,
        tasks: Iterable[str] | None = None,
    ) -> ResultSet:
        """Rows matching every given field (``experiment="default"`` selects mteb's plain folder)."""
        rows = self.rows
        if model is not None:
            m = self.resolve_model(model)
            rows = [r for r in rows if r.model == m]
        if revision is not None:
            revs = sorted({r.revision for r in rows})
            rows = [r for r in rows if r.revision == revision]
            if not rows:
                raise ResultsError(
                    f"no results for revision {revision!r}; revisions present: {', '.join(revs)}"
                )
        if experiment is not None:
            exps = sorted({r.experiment or DEFAULT_EXPERIMENT for r in rows})
            want = None if experiment == DEFAULT_EXPERIMENT else experiment
            rows = [r for r in rows if r.experiment == want]
            if not rows:
                raise ResultsError(
                    f"no results for experiment {experiment!r}; experiments present: {', '.join(exps)}"
                )
        if tasks is not None:
            wanted = set(tasks)
            rows = [r for r in rows if r.task in wanted]
        return ResultSet(
            rows=list(rows),
            meta=self.meta,
            warnings=self.warnings,
            notes=self.notes,
            source=self.source,
        )

    def models_only(self, models: Iterable[str]) -> ResultSet:
        """The rows of these models (each resolved as :meth:`resolve_model` does)."""
        wanted = {self.resolve_model(m) for m in models}
        return ResultSet(
            rows=[r for r in self.rows if r.model in wanted],
            meta=self.meta,
            warnings=self.warnings,
            notes=self.notes,
            source=self.source,
        )

    def run(
        self,
        model: str | None = None,
        *,
        revision: str | None = None,
        experiment: str | None = None,
    ) -> ResultSet:
        """The results of ONE run (one model, one experiment), checked for conflicting files.

        With several models and no ``model``, or several experiments and no ``experiment``, this
        refuses rather than mixing settings. Revisions of one experiment are merged only when
        they hold different tasks; the same task in two files raises, naming both.
        """
        if model is None:
            models = self.models()
            if len(models) != 1:
                raise ResultsError(
                    f"{len(models)} models in {self.source or 'the results'} ({', '.join(models)}); choose one with --model"
                )
            model = models[0]
        sel = self.filter(model=model, revision=revision, experiment=experiment)
        if experiment is None:
            exps = sel.experiments()
            if len(exps) > 1:
                names = ", ".join(DEFAULT_EXPERIMENT if e is None else e for e in exps)
                raise ResultsError(
                    f"model {sel.models()[0]!r} has results under several experiments ({names}), "
                    "computed with different settings; choose one with --experiment "
                    f"({DEFAULT_EXPERIMENT!r} = the plain revision folder)"
                )
        sel.check_conflicts()
        return sel

    def check_conflicts(self) -> None:
        """Raise when one (model, experiment, task, split, subset) comes from two different files."""
        seen: dict[tuple[str, str | None, str, str, str], ScoreRow] = {}
        for r in self.rows:
            key = (r.model, r.experiment, r.task, r.split, r.subset)
            prev = seen.get(key)
            if prev is None:
                seen[key] = r
                continue
            if prev.path == r.path:
                continue
            what = "different settings" if prev.settings != r.settings else "different revisions"
            raise ResultsError(
                f"{r.task} of {r.model} has two results with {what}: {prev.path} "
                f"(revision {prev.revision}) and {r.path} (revision {r.revision}); they are never "
                "averaged together: choose one with --revision or --experiment"
            )

    # ---- per-task view --------------------------------------------------------------------
    def by_task(self) -> dict[str, list[ScoreRow]]:
        """Rows grouped by task name, tasks sorted."""
        out: dict[str, list[ScoreRow]] = defaultdict(list)
        for r in self.rows:
            out[r.task].append(r)
        return dict(sorted(out.items()))

    def task_scores(self, metric: str | None = None) -> dict[str, tuple[str, float | None]]:
        """Per task: (split shown, mean main score over its subsets) on the preferred split."""
        out: dict[str, tuple[str, float | None]] = {}
        for task, rows in self.by_task().items():
            split = preferred_split({r.split for r in rows}, task)
            out[task] = (split, mean_score(rows, split, metric=metric))
        return out

    def to_dataframe(self) -> pd.DataFrame:
        """One line per row: model, revision, experiment, task, type, split, subset, main_score, path."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "model": r.model,
                    "revision": r.revision,
                    "experiment": r.experiment,
                    "task": r.task,
                    "task_type": r.task_type,
                    "split": r.split,
                    "subset": r.subset,
                    "main_metric": r.main_metric,
                    "main_score": r.main_score,
                    "path": str(r.path) if r.path else None,
                }
                for r in self.rows
            ]
        )


def _warn(rs: ResultSet, msg: str) -> None:
    rs.warnings.append(msg)
    warnings.warn(msg, ResultsWarning, stacklevel=3)


def _model_from_dir(model_dir: Path) -> str:
    return model_dir.name.replace("__", "/", 1)


def _read_meta(rev_dir: Path) -> dict[str, Any]:
    p = rev_dir / "model_meta.json"
    if not p.is_file():
        return {}
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _locate(path: Path) -> tuple[Path, str | None]:
    """(revision folder, experiment) of a result file."""
    parent = path.parent
    if parent.parent.name == EXPERIMENTS_DIR:
        return parent.parent.parent, parent.name
    return parent, None


def _load_file(path: Path, rs: ResultSet) -> list[ScoreRow]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        _warn(rs, f"skipped corrupt result file {path}: {exc}")
        return []
    if not isinstance(data, dict) or not (
        {"scores", "task_name"} <= set(data) or "mteb_dataset_name" in data
    ):
        _warn(rs, f"skipped {path}: not an mteb result file (no task_name/scores)")
        return []
    try:
        result = read_task_result(path, data)
    except (ValueError, TypeError, KeyError) as exc:  # pydantic's ValidationError is a ValueError
        _warn(rs, f"skipped unreadable result file {path}: {type(exc).__name__}: {str(exc)[:300]}")
        return []
    block = data.get("mtebkit")
    settings = block.get("settings") if isinstance(block, dict) else None
    rev_dir, experiment = _locate(path)
    meta = _read_meta(rev_dir)
    if (
        not meta
    ):  # mteb keeps model_meta.json per revision; a sibling revision's still names the model
        for sibling in sorted(rev_dir.parent.glob("*/model_meta.json")):
            meta = _read_meta(sibling.parent)
            if meta:
                break
    model = str(meta.get("name") or _model_from_dir(rev_dir.parent))
    if meta:
        rs.meta.setdefault(model, meta)
    safe_name(str(result.task_name), kind="task", source=path)
    safe_name(model, kind="model", source=path)
    safe_name(rev_dir.name, kind="revision", source=path)
    if experiment is not None:
        safe_name(experiment, kind="experiment", source=path)
    mains = [_finite(e.get("main_score")) for subs in result.scores.values() for e in subs]
    scale = 1.0
    if any(v is not None and v > 1.0 + 1e-9 for v in mains):
        scale = 0.01  # a model-card export on the 0-100 scale
        rs.notes.append(f"{path}: scores on the 0-100 scale, divided by 100")
    return rows_from_task_result(
        result,
        model=model,
        revision=rev_dir.name,
        experiment=experiment,
        settings=settings if isinstance(settings, dict) else None,
        path=path,
        scale=scale,
    )


def load_results(*paths: str | Path) -> ResultSet:
    """Load every result file under ``paths`` (folders or single JSON files) into a :class:`ResultSet`.

    Corrupt or foreign JSON files are skipped with a :class:`ResultsWarning` naming them; a path
    that does not exist, or that holds no result at all, raises :class:`ResultsError`.
    """
    if not paths:
        raise ResultsError("no results folder given")
    rs = ResultSet(source=", ".join(str(p) for p in paths))
    for p in map(Path, paths):
        if not p.exists():
            raise ResultsError(f"results path {p} does not exist")
        if p.is_file():
            files = [p]
        else:
            files = sorted(
                f
                for f in p.rglob("*.json")
                if f.name not in _NOT_RESULTS
                and not f.name.endswith("_predictions.json")
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        for f in files:
            rs.rows.extend(_load_file(f, rs))
        if not any(r.path is not None and (r.path == p or p in r.path.parents) for r in rs.rows):
            skipped = f" ({len(rs.warnings)} file(s) skipped: see warnings)" if rs.warnings else ""
            raise ResultsError(f"no mteb result files found under {p}{skipped}")
    return rs


def result_set_from(
    results: ResultSet | Iterable[TaskScores] | Iterable[ScoreRow], *, model: str = "model"
) -> ResultSet:
    """Accept a :class:`ResultSet`, mteb ``TaskResult`` objects or rows; return a ResultSet."""
    if isinstance(results, ResultSet):
        return results
    rows: list[ScoreRow] = []
    for item in results:
        if isinstance(item, ScoreRow):
            rows.append(item)
        else:
            rows.extend(rows_from_task_result(item, model=model))
    return ResultSet(rows=rows)
