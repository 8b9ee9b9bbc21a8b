"""Readers for custom task data files. Every error names the file and the 1-based line."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mtebkit._util.untrusted import no_duplicate_keys
from mtebkit.errors import DataError
from mtebkit.tasks._spec import blank, read_utf8, unencodable

__all__ = [
    "BeirData",
    "LabelledRow",
    "PairRow",
    "RerankingRow",
    "StsRow",
    "check_classification",
    "read_beir",
    "read_classification_rows",
    "read_clustering_rows",
    "read_pair_rows",
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
        where = f"{path}:{lineno}"

        def pairs_hook(pairs: list[tuple[str, Any]], w: str = where) -> dict[str, Any]:
            return no_duplicate_keys(pairs, w, "row")

        def constant_hook(name: str, w: str = where) -> Any:
            return _no_constant(name, w)

        try:
            record = json.loads(line, object_pairs_hook=pairs_hook, parse_constant=constant_hook)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{lineno}: invalid JSON: {exc.msg}") from None
        except (RecursionError, ValueError) as exc:
            if isinstance(exc, DataError):
                raise
            raise DataError(f"{path}:{lineno}: invalid JSON: {type(exc).__name__}") from None
        if not isinstance(record, dict):
            raise DataError(f"{path}:{lineno}: expected a JSON object per line")
        yield lineno, record


def _no_constant(name: str, where: str) -> Any:
    raise DataError(f"{where}: {name} is not a finite number (NaN and Infinity are refused)")


def _valid_str(value: str, key: str, where: str) -> None:
    if unencodable(value) is not None:
        raise DataError(f"{where}: field {key!r} holds a lone surrogate (not valid text)")


def _text(record: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = record.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        kind = "missing" if value is None else f"not a string ({type(value).__name__})"
        raise DataError(f"{where}: field {key!r} is {kind}")
    _valid_str(value, key, where)
    if required and blank(value):
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
        if not isinstance(item, str) or blank(item):
            raise DataError(f"{where}: {key}[{i}] is not a non-empty string")
        _valid_str(item, f"{key}[{i}]", where)
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


# ---------------------------------------------------------------------------- labelled rows


@dataclass(frozen=True)
class LabelledRow:
    """A classification or clustering row; ``line`` is its 1-based line in the file."""

    text: str
    label: int | str
    line: int


@dataclass(frozen=True)
class PairRow:
    sentence1: str
    sentence2: str
    label: int
    line: int


def _label(rec: dict[str, Any], where: str, *, strings: bool) -> int | str:
    """An integer label (or, with ``strings``, a non-empty string); a float, list or bool is not."""
    value = rec.get("label")
    wanted = "an integer or a string" if strings else "an integer"
    if "label" not in rec:
        raise DataError(f"{where}: field 'label' is missing")
    ok = isinstance(value, int) or (strings and isinstance(value, str) and not blank(value))
    if isinstance(value, bool) or not ok:
        raise DataError(
            f"{where}: field 'label' must be {wanted}, not {type(value).__name__} {value!r}"
        )
    assert isinstance(value, int | str)
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        raise DataError(f"{where}: label {value} does not fit in a 64-bit integer")
    if isinstance(value, str):
        _valid_str(value, "label", where)
    return value


def _labelled(path: Path, *, strings: bool) -> list[LabelledRow]:
    rows = []
    for lineno, rec in _jsonl(path):
        where = f"{path}:{lineno}"
        rows.append(
            LabelledRow(_text(rec, "text", where), _label(rec, where, strings=strings), lineno)
        )
    if not rows:
        raise DataError(f"{path}: no records")
    kinds = {type(r.label) for r in rows}
    if len(kinds) > 1:  # 1 and "1" would silently be two labels
        odd = next(r for r in rows if type(r.label) is not type(rows[0].label))
        raise DataError(
            f"{path}:{odd.line}: label {odd.label!r} is a {type(odd.label).__name__}, but the "
            f"label at line {rows[0].line} is a {type(rows[0].label).__name__}; use one type"
        )
    return rows


def _first_lines(rows: Sequence[LabelledRow]) -> dict[int | str, tuple[int, int]]:
    """label -> (line of its first row, number of rows), in order of first appearance."""
    out: dict[int | str, tuple[int, int]] = {}
    for r in rows:
        first, count = out.get(r.label, (r.line, 0))
        out[r.label] = (first, count + 1)
    return out


def _need_two_labels(path: Path, rows: Sequence[LabelledRow], what: str) -> None:
    labels = _first_lines(rows)
    if len(labels) < 2:
        raise DataError(
            f"{path}:{rows[0].line}: all {len(rows)} rows have label {rows[0].label!r}; "
            f"{what} needs at least two labels"
        )


def read_classification_rows(path: Path) -> list[LabelledRow]:
    """Classification rows ``{"text": ..., "label": <int>}`` (mteb's label is an integer)."""
    return _labelled(path, strings=False)


def check_classification(
    train: tuple[Path, Sequence[LabelledRow]],
    evals: dict[str, tuple[Path, Sequence[LabelledRow]]],
    *,
    samples_per_label: int,
    main_score: str,
) -> None:
    """What mteb's classification needs of the splits, refused with the file and line.

    mteb trains a logistic regression on ``samples_per_label`` train rows per label (a seeded
    undersample), so the train split needs two labels and that many rows of each; a test label
    the classifier never saw cannot be predicted; ``ap`` is defined for two labels only.
    """
    train_path, train_rows = train
    _need_two_labels(train_path, train_rows, "a classification train split")
    seen = _first_lines(train_rows)
    for label, (line, count) in seen.items():
        if count < samples_per_label:
            raise DataError(
                f"{train_path}:{line}: label {label!r} has {count} train row(s), fewer than the "
                f"{samples_per_label} each experiment draws (samples_per_label); add rows or "
                "set a lower samples_per_label"
            )
    for path, rows in evals.values():
        for r in rows:
            if r.label not in seen:
                raise DataError(
                    f"{path}:{r.line}: label {r.label!r} is not in the train split ({train_path}); "
                    "the classifier cannot predict it"
                )
        if main_score.startswith("ap") and len(_first_lines(rows)) != 2:
            raise DataError(
                f"{path}: main_score {main_score} needs exactly two labels, found "
                f"{len(_first_lines(rows))}"
            )


def read_clustering_rows(path: Path, documents_per_experiment: int | None) -> list[LabelledRow]:
    """Clustering rows ``{"text": ..., "label": <int or string>}``, with two labels or more.

    mteb runs k-means with one cluster per label on each experiment's draw, so a draw smaller
    than the number of labels cannot be clustered.
    """
    rows = _labelled(path, strings=True)
    stripped: dict[str, tuple[str, int]] = {}
    for r in rows:
        if isinstance(r.label, str):
            key = r.label.strip()
            other = stripped.setdefault(key, (r.label, r.line))
            if other[0] != r.label:
                raise DataError(
                    f"{path}:{r.line}: label {r.label!r} differs from label {other[0]!r} "
                    f"(line {other[1]}) only by surrounding whitespace; use one spelling"
                )
    _need_two_labels(path, rows, "clustering")
    n_labels = len(_first_lines(rows))
    if documents_per_experiment is not None and documents_per_experiment < n_labels:
        raise DataError(
            f"{path}: {n_labels} labels, but documents_per_experiment is "
            f"{documents_per_experiment}: k-means needs at least one document per cluster"
        )
    return rows


def read_pair_rows(path: Path) -> list[PairRow]:
    """Pair-classification rows ``{"sentence1", "sentence2", "label": 0 | 1}``, both labels present."""
    rows = []
    for lineno, rec in _jsonl(path):
        where = f"{path}:{lineno}"
        label = _label(rec, where, strings=False)
        if label not in (0, 1):
            raise DataError(f"{where}: label {label!r} is not 0 or 1 (pair classification)")
        assert isinstance(label, int)
        rows.append(
            PairRow(_text(rec, "sentence1", where), _text(rec, "sentence2", where), label, lineno)
        )
    if not rows:
        raise DataError(f"{path}: no records")
    if len({r.label for r in rows}) < 2:
        raise DataError(
            f"{path}:{rows[0].line}: all {len(rows)} pairs have label {rows[0].label}; average "
            "precision needs pairs of both labels (0 and 1)"
        )
    return rows
