"""Readers for custom task data files. Every error names the file and the 1-based line."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mtebkit.errors import DataError
from mtebkit.tasks._spec import read_utf8

__all__ = [
    "BeirData",
    "RerankingRow",
    "StsRow",
    "read_beir",
    "read_reranking_rows",
    "read_sts_rows",
    "rows_to_retrieval",
]

logger = logging.getLogger(__name__)


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if not path.is_file():
        raise DataError(f"{path}: data file not found")
    # invalid UTF-8 names the file, line and byte offset
    for lineno, line in enumerate(read_utf8(path, DataError).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{lineno}: invalid JSON: {exc.msg}") from None
        if not isinstance(record, dict):
            raise DataError(f"{path}:{lineno}: expected a JSON object per line")
        yield lineno, record


def _text(record: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = record.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        kind = "missing" if value is None else f"not a string ({type(value).__name__})"
        raise DataError(f"{where}: field {key!r} is {kind}")
    if required and not value.strip():
        raise DataError(f"{where}: field {key!r} is empty")
    return value


def _id(record: dict[str, Any], key: str, where: str) -> str:
    value = record.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value) == "":
        raise DataError(f"{where}: field {key!r} must be a non-empty string or integer id")
    return str(value)


# ---------------------------------------------------------------------------- BEIR


@dataclass
class BeirData:
    """A BEIR-layout retrieval dataset, parsed."""

    corpus: list[dict[str, str]]  # id, title, text
    queries: list[dict[str, str]]  # id, text
    qrels: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)  # split -> q -> d


def _read_ids(path: Path, *, with_title: bool) -> list[dict[str, str]]:
    seen: dict[str, int] = {}
    rows = []
    for lineno, rec in _jsonl(path):
        where = f"{path}:{lineno}"
        id_ = _id(rec, "_id", where)
        if id_ in seen:
            raise DataError(f"{where}: duplicate _id {id_!r} (first at line {seen[id_]})")
        seen[id_] = lineno
        row = {"id": id_, "text": _text(rec, "text", where)}
        if with_title:
            row["title"] = _text(rec, "title", where, required=False)
        rows.append(row)
    if not rows:
        raise DataError(f"{path}: no records")
    return rows


def _read_qrels(path: Path, query_ids: set[str], doc_ids: set[str]) -> dict[str, dict[str, int]]:
    if not path.is_file():
        raise DataError(f"{path}: qrels file not found")
    qrels: dict[str, dict[str, int]] = {}
    lines = read_utf8(path, DataError).split("\n")
    header = lines[0].rstrip("\r\n").split("\t")
    if header != ["query-id", "corpus-id", "score"]:
        raise DataError(
            f"{path}:1: expected the header 'query-id<TAB>corpus-id<TAB>score', got {header!r}"
        )
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.rstrip("\r\n").split("\t")
        where = f"{path}:{lineno}"
        if len(parts) != 3:
            raise DataError(f"{where}: expected 3 tab-separated fields, got {len(parts)}")
        qid, did, score_s = parts
        try:
            score = int(score_s)
        except ValueError:
            raise DataError(f"{where}: score {score_s!r} is not an integer") from None
        if qid not in query_ids:
            raise DataError(f"{where}: query-id {qid!r} is not in queries.jsonl")
        if did not in doc_ids:
            raise DataError(f"{where}: corpus-id {did!r} is not in corpus.jsonl")
        if did in qrels.get(qid, {}):
            raise DataError(f"{where}: duplicate judgement for ({qid!r}, {did!r})")
        qrels.setdefault(qid, {})[did] = score
    if not any(score > 0 for docs in qrels.values() for score in docs.values()):
        raise DataError(f"{path}: no relevant (score > 0) judgement")
    return qrels


def read_beir(root: Path, splits: Sequence[str]) -> BeirData:
    """Read ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/<split>.tsv`` under ``root``."""
    corpus = _read_ids(root / "corpus.jsonl", with_title=True)
    queries = _read_ids(root / "queries.jsonl", with_title=False)
    doc_ids = {d["id"] for d in corpus}
    query_ids = {q["id"] for q in queries}
    data = BeirData(corpus=corpus, queries=queries)
    for split in splits:
        data.qrels[split] = _read_qrels(root / "qrels" / f"{split}.tsv", query_ids, doc_ids)
    return data


# ---------------------------------------------------------------------------- STS rows


@dataclass(frozen=True)
class StsRow:
    sentence1: str
    sentence2: str
    score: float


def read_sts_rows(path: Path, min_score: float, max_score: float) -> list[StsRow]:
    """STS pairs; a score outside ``[min_score, max_score]`` is an error."""
    rows = []
    for lineno, rec in _jsonl(path):
        where = f"{path}:{lineno}"
        score = rec.get("score")
        if (
            isinstance(score, bool)
            or not isinstance(score, int | float)
            or not math.isfinite(score)
        ):
            raise DataError(f"{where}: field 'score' must be a finite number, not {score!r}")
        if not min_score <= score <= max_score:
            raise DataError(f"{where}: score {score} is outside [{min_score}, {max_score}]")
        rows.append(
            StsRow(_text(rec, "sentence1", where), _text(rec, "sentence2", where), float(score))
        )
    if len(rows) < 2:
        raise DataError(f"{path}: an STS split needs at least 2 pairs (correlations)")
    if len({r.score for r in rows}) == 1:
        raise DataError(
            f"{path}: all {len(rows)} gold scores are {rows[0].score}: a correlation with "
            "constant gold scores is undefined"
        )
    return rows


# ---------------------------------------------------------------------------- reranking rows


@dataclass(frozen=True)
class RerankingRow:
    query: str
    positive: tuple[str, ...]
    negative: tuple[str, ...]


def _str_list(rec: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = rec.get(key, [])
    if isinstance(value, str) or not isinstance(value, list):
        raise DataError(f"{where}: field {key!r} must be a list of strings")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise DataError(f"{where}: {key}[{i}] is not a non-empty string")
    return tuple(value)


def read_reranking_rows(path: Path) -> list[RerankingRow]:
    """C-MTEB reranking rows. An empty candidate list or a row without a positive is an error."""
    rows = []
    for lineno, rec in _jsonl(path):
        where = f"{path}:{lineno}"
        row = RerankingRow(
            _text(rec, "query", where),
            _str_list(rec, "positive", where),
            _str_list(rec, "negative", where),
        )
        if not row.positive and not row.negative:
            raise DataError(f"{where}: empty candidate list (no positive and no negative)")
        if not row.positive:
            raise DataError(f"{where}: no positive candidate; the query cannot be scored")
        rows.append(row)
    if not rows:
        raise DataError(f"{path}: no records")
    return rows


def rows_to_retrieval(
    rows: Sequence[RerankingRow], split: str
) -> tuple[
    list[dict[str, str]], list[dict[str, str]], dict[str, dict[str, int]], dict[str, list[str]]
]:
    """Reranking rows -> (corpus, queries, relevant_docs, top_ranked), as mteb 2 does.

    Ids follow mteb's ``AbsTaskReranking._process_example`` (``{split}_query{i}``,
    ``apositive_...`` before ``negative_...``) so ties break the same way.
    """
    corpus: list[dict[str, str]] = []
    queries: list[dict[str, str]] = []
    relevant: dict[str, dict[str, int]] = {}
    top_ranked: dict[str, list[str]] = {}
    for idx, row in enumerate(rows):
        qid = f"{split}_query{idx}"
        queries.append({"id": qid, "text": row.query})
        relevant[qid] = {}
        top_ranked[qid] = []
        for label, docs, rel in (("apositive", row.positive, 1), ("negative", row.negative, 0)):
            for i, text in enumerate(docs):
                did = f"{label}_{qid}_{i:05d}"
                corpus.append({"id": did, "title": "", "text": text})
                relevant[qid][did] = rel
                top_ranked[qid].append(did)
    return corpus, queries, relevant, top_ranked
