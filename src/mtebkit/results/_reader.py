"""A small validated reader of mteb's result JSON (``TaskResult.to_disk``'s format).

Reading results must not import mteb: ``mteb.results`` pulls in mteb's whole task registry
(seconds) while a file of mteb >= 1.11 is plain JSON::

    {"dataset_revision": str, "task_name": str, "mteb_version": str | null,
     "scores": {split: [{"main_score": ..., "hf_subset": str, "languages": [str], ...}]},
     "evaluation_time": float | null, "kg_co2_emissions"?, "date"?, "evaluation_phases"?}

:func:`read_task_result` checks the fields and types ``TaskResult`` requires (loosely for
``date`` and ``evaluation_phases``, which no score depends on) and gives the same scores as
``TaskResult.from_disk`` (each subset's ``mteb_version`` filled from the file's;
tests/tasks/test_task_facts.py compares the two on the shared reference results). Files that
``from_disk`` rewrites with the help of its task registry (pre-1.11 files; pre-1.12.48 files
with nested pair-classification scores) are handed to mteb itself, lazily.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

__all__ = ["StoredResult", "read_task_result"]

_NUMBER = (int, float)


@dataclass(frozen=True)
class StoredResult:
    """A result file's task name and scores ``{split: [subset scores]}`` (mteb's shape)."""

    task_name: str
    scores: Mapping[str, Sequence[Mapping[str, Any]]]


def _version_min(text: Any) -> Version | None:
    """A stored ``mteb_version`` (of a range "a-b": a), as ``TaskResult._parse_mteb_version_min``;
    None when absent or unparsable."""
    if not isinstance(text, str):
        return None
    for candidate in (text, text.split("-", 1)[0] if "-" in text else None):
        if candidate is None:
            continue
        try:
            return Version(candidate)
        except InvalidVersion:
            continue
    return None


def _is_number(v: Any) -> bool:
    # pydantic (lax) takes a number or a numeric string for a float field
    if isinstance(v, str):
        return re.fullmatch(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*", v) is not None
    return isinstance(v, _NUMBER)


def _problem(data: Mapping[str, Any]) -> str | None:
    """Why ``TaskResult`` would refuse ``data`` (None: it is valid)."""
    for key in ("dataset_revision", "task_name"):
        if not isinstance(data.get(key), str):
            return f"{key}: missing or not a string"
    if "mteb_version" not in data or not (
        data["mteb_version"] is None or isinstance(data["mteb_version"], str)
    ):
        return "mteb_version: missing or not a string"
    for key, required in (("evaluation_time", True), ("kg_co2_emissions", False)):
        if key not in data:
            if required:
                return f"{key}: missing"
            continue
        if data[key] is not None and not _is_number(data[key]):
            return f"{key}: not a number"
    if data.get("date") is not None and not isinstance(data["date"], (str, int, float)):
        return "date: not a date"
    phases = data.get("evaluation_phases")
    if phases is not None and not (
        isinstance(phases, list) and all(isinstance(p, dict) for p in phases)
    ):
        return "evaluation_phases: not a list of phases"
    scores = data.get("scores")
    if not isinstance(scores, dict):
        return "scores: not a mapping of split to subsets"
    for split, subsets in scores.items():
        if not isinstance(subsets, list):
            return f"scores.{split}: not a list of subset scores"
        for entry in subsets:
            if not isinstance(entry, dict):
                return f"scores.{split}: Scores should be a dictionary"
            if "main_score" not in entry:
                return f"scores.{split}: 'main_score' should be in scores"
            if not isinstance(entry.get("hf_subset"), str):
                return f"scores.{split}: hf_subset should be in scores and should be a string"
            if not isinstance(entry.get("languages"), list):
                return f"scores.{split}: languages should be in scores and should be a list"
    return None


def _from_mteb(path: Path) -> StoredResult:
    """mteb's own reading, for the old formats it converts with its task registry."""
    from mteb.results import TaskResult

    mteb_logger = logging.getLogger("mteb")
    level = mteb_logger.level
    # pre-1.11 files make mteb log "Main score ... not found"; the loader fills it from the old name
    mteb_logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = TaskResult.from_disk(path)
    finally:
        mteb_logger.setLevel(level)
    return StoredResult(str(result.task_name), result.scores)


def read_task_result(path: Path, data: Mapping[str, Any]) -> StoredResult:
    """The task name and scores of the result file ``path`` (already parsed into ``data``).

    Raises ValueError (or TypeError / KeyError from mteb's conversion of old files) when the
    file is not a valid mteb result, as ``TaskResult.from_disk`` does.
    """
    version = _version_min(data.get("mteb_version"))
    pre_1_11 = (version is not None and version < Version("1.11.0")) or "mteb_version" not in data
    problem = _problem(data)
    if problem is not None:
        if pre_1_11:  # the old layout: mteb converts it (task languages, renamed tasks)
            return _from_mteb(path)
        raise ValueError(f"invalid mteb result: {problem}")
    scores: dict[str, list[dict[str, Any]]] = {
        str(split): [dict(e) for e in subsets] for split, subsets in data["scores"].items()
    }
    if (
        version is not None
        and version < Version("1.12.48")
        and any(isinstance(v, dict) for subs in scores.values() for e in subs for v in e.values())
    ):  # nested pair-classification scores: mteb flattens them only for that task type
        return _from_mteb(path)
    top = data["mteb_version"]
    if top is not None:  # as TaskResult: each subset names the mteb version that scored it
        for subs in scores.values():
            for e in subs:
                e.setdefault("mteb_version", top)
    return StoredResult(data["task_name"], scores)
