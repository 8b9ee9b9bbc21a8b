"""Published scores in a Hugging Face model card's ``model-index`` (YAML front matter): read
(:func:`load_model_card`) and written from results (:func:`model_index`, :func:`write_model_card`).

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

__all__ = [
    "card_hub_id",
    "load_model_card",
    "model_index",
    "parse_model_card",
    "write_model_card",
]

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


_HUB_ID_RE = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
# front-matter keys some cards use for their own repo id (not base_model: that is the parent)
_ID_KEYS = ("model_id", "repo_id", "model_name")


def _hub_id_from_path(path: Path) -> str | None:
    """The repo id a card's location gives: a Hugging Face cache snapshot
    (``models--org--name/snapshots/<sha>/README.md``) or an ``org__name`` folder."""
    for part in reversed(path.parent.parts):
        if part.startswith("models--") and part.count("--") >= 2:
            org, _, name = part.removeprefix("models--").partition("--")
            return f"{org}/{name}"
    folder = path.parent.name
    if "__" in folder:
        org, _, name = folder.partition("__")
        if org and name:
            return f"{org}/{name}"
    return None


def card_hub_id(front: dict[str, Any], entry_name: str | None, path: Path) -> str | None:
    """The hub id the card itself states, or None: an ``org/name`` model-index name, a front-matter
    ``model_id`` / ``repo_id`` / ``model_name``, or the card's location (see :func:`_hub_id_from_path`)."""
    for value in (entry_name, *(front.get(k) for k in _ID_KEYS)):
        if isinstance(value, str) and _HUB_ID_RE.match(value.strip()):
            return value.strip()
    return _hub_id_from_path(path)


def parse_model_card(
    text: str, *, path: Path | str = "<model card>", model: str | None = None
) -> ResultSet:
    """Parse a model card's ``model-index`` into a :class:`ResultSet` (0-1 scale, revision "model-card").

    ``meta[name]["hub_id"]`` is the repo id the card states (:func:`card_hub_id`), when it does.
    """
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
        hub_id = card_hub_id(data, entry.name, path)
        if hub_id is not None:
            rs.meta.setdefault(name, {})["hub_id"] = hub_id
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


# ---------------------------------------------------------------------------- writing


def _card_result(row: ScoreRow) -> dict[str, Any]:
    # the card names the task's dataset (path@revision): only the full catalogue knows it
    # (mteb's registry for native tasks), so writing a card pays mteb's import, reading does not
    from mtebkit.tasks import describe_task

    info = describe_task(row.task)
    source = info.source if info is not None else ""
    hf_path, _, revision = source.partition("@")
    dataset: dict[str, Any] = {
        "type": hf_path or row.task,
        "name": f"MTEB {row.task}" + ("" if row.subset == "default" else f" ({row.subset})"),
        "config": row.subset,
        "split": row.split,
    }
    if revision:
        dataset["revision"] = revision
    # the card's 0-100 scale; every numeric metric mteb reported, under its own name
    metrics = [
        {"type": k, "value": round(100.0 * float(v), 10)}
        for k, v in sorted(row.scores.items())
        if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "main_score"
    ]
    return {
        "task": {"type": row.task_type or (info.type if info else "Unknown")},
        "dataset": dataset,
        "metrics": metrics,
    }


def model_index(rs: ResultSet, *, name: str | None = None) -> list[dict[str, Any]]:
    """The ``model-index`` of ONE run's results (one entry; tasks, splits and subsets sorted),
    in the format :func:`parse_model_card` reads."""
    models = rs.models()
    if len(models) != 1:
        raise ResultsError(
            f"a model card holds one model; the results have {len(models)} "
            f"({', '.join(models)}): choose one with --model"
        )
    rows = sorted(rs.rows, key=lambda r: (r.task, r.split, r.subset))
    if not rows:
        raise ResultsError("no results to write into a model card")
    label = name or models[0].split("/")[-1]
    return [{"name": label, "results": [_card_result(r) for r in rows]}]


def write_model_card(rs: ResultSet, path: str | Path, *, name: str | None = None) -> Path:
    """Write ``model-index`` into the card at ``path`` (a README.md, or a folder holding one).

    An existing card keeps its other front-matter keys and its body; a new one gets
    ``tags: [mteb]`` and a one-line body. Returns the file written.
    """
    import yaml

    from mtebkit._util.atomic import atomic_write_text

    p = Path(path)
    if p.is_dir():
        p = p / "README.md"
    front: dict[str, Any] = {"tags": ["mteb"]}
    body = "\nScores computed with mtebkit (mteb's evaluators).\n"
    if p.exists():
        text = p.read_text(encoding="utf-8")
        if text.startswith("---"):
            front = _front_matter(text, p)
            end = text.find("\n---", 3)
            body = text[end + 4 :]
        else:
            front, body = {}, "\n" + text
    front["model-index"] = model_index(rs, name=name)
    head = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)
    atomic_write_text(p, f"---\n{head}---{body if body.startswith(chr(10)) else chr(10) + body}")
    return p
