"""Reading published scores from a Hugging Face model card's ``model-index`` (YAML front matter).

Card numbers are on the 0-100 scale with 2023 metric names (``cos_sim_spearman``, ``map``); they
are divided by 100 and kept under their card names (every lookup goes through
:func:`mtebkit.results.metric_value`, which knows the old names).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from mtebkit.errors import ResultsError
from mtebkit.results._loading import ResultSet, ScoreRow, task_info
from mtebkit.results._metrics import metric_value

__all__ = ["load_model_card", "parse_model_card"]

_NAME_RE = re.compile(r"^(?:MTEB\s+)?(?P<task>[^\s(]+)(?:\s*\((?P<config>[^)]*)\))?\s*$")


class _Metric(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    value: float | None = None


class _Dataset(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    type: str | None = None
    config: str | None = None
    split: str | None = None
    revision: str | None = None


class _Task(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str | None = None


class _Result(BaseModel):
    model_config = ConfigDict(extra="allow")
    task: _Task
    dataset: _Dataset
    metrics: list[_Metric]


class _ModelIndexEntry(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str | None = None
    results: list[_Result]


def _front_matter(text: str, path: Path) -> dict[str, Any]:
    import yaml

    if not text.startswith("---"):
        raise ResultsError(
            f"{path} has no YAML front matter (expected a model card starting with ---)"
        )
    end = text.find("\n---", 3)
    if end < 0:
        raise ResultsError(f"{path}: the YAML front matter is not closed by a --- line")
    try:
        data = yaml.safe_load(text[3:end])
    except yaml.YAMLError as exc:
        raise ResultsError(f"{path}: invalid YAML front matter: {exc}") from exc
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: the front matter is not a mapping")
    return data


def parse_model_card(
    text: str, *, path: Path | str = "<model card>", model: str | None = None
) -> ResultSet:
    """Parse a model card's ``model-index`` into a :class:`ResultSet` (0-1 scale, revision "model-card")."""
    path = Path(path)
    data = _front_matter(text, path)
    index = data.get("model-index")
    if not isinstance(index, list) or not index:
        raise ResultsError(f"{path} has no model-index in its front matter")
    rs = ResultSet(source=str(path))
    for i, raw in enumerate(index):
        try:
            entry = _ModelIndexEntry.model_validate(raw)
        except ValidationError as exc:
            raise ResultsError(f"{path}: model-index entry {i} is malformed: {exc}") from exc
        name = model or entry.name or path.parent.name
        for j, res in enumerate(entry.results):
            m = _NAME_RE.match(res.dataset.name)
            if m is None:
                raise ResultsError(
                    f"{path}: result {j} has an unparseable dataset name {res.dataset.name!r}"
                )
            task = m.group("task")
            subset = res.dataset.config or m.group("config") or "default"
            scores = {x.type: x.value / 100.0 for x in res.metrics if x.value is not None}
            info = task_info(task)
            main_metric = info.main_score if info else None
            main = metric_value(scores, main_metric) if main_metric else None
            rs.rows.append(
                ScoreRow(
                    model=name,
                    revision="model-card",
                    experiment=None,
                    task=task,
                    split=res.dataset.split or "test",
                    subset=subset,
                    main_score=main,
                    scores=scores,
                    task_type=info.type if info else res.task.type,
                    main_metric=main_metric,
                    path=path,
                )
            )
    if not rs.rows:
        raise ResultsError(f"{path}: the model-index lists no results")
    return rs


def load_model_card(path: str | Path, *, model: str | None = None) -> ResultSet:
    """Read a model card README (``model-index`` front matter) from ``path``."""
    p = Path(path)
    if p.is_dir():
        p = p / "README.md"
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ResultsError(f"cannot read model card {p}: {exc}") from exc
    return parse_model_card(text, path=p, model=model)
