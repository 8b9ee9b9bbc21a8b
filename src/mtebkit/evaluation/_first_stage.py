"""Fixed first-stage candidates for reranking: a TREC run file or an mteb predictions file.

``--first-stage RUN`` gives every reranker the same candidate lists, so rerankers are compared
on equal terms. Two formats are read:

* a TREC run file, one line per candidate: ``qid Q0 docid rank score tag`` (whitespace
  separated). As ``trec_eval`` does, candidates are ordered by ``score`` (descending); ``rank``
  must be a whole number but does not decide the order.
* an mteb predictions file, as ``mteb.evaluate(..., prediction_folder=...)`` and
  ``mtebkit run --save-predictions`` write it (``<Task>_predictions.json``:
  ``{"mteb_model_meta": {...}, subset: {split: {qid: {docid: score}}}}``), or the folder
  holding it.

A TREC file has no subsets or splits: its lines apply to every evaluated (subset, split), each
taking the queries it has. The candidates' sha256 (of the file's bytes) is recorded in the
result's settings: other candidates make another result.

Everything is checked against the task's data before anything is encoded: malformed lines
(``file:line``), unknown query or document ids (``file:line``), and a depth larger than some
query's candidate list (naming those queries).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtebkit._util.hashing import sha256_file
from mtebkit._util.untrusted import no_duplicate_keys
from mtebkit.errors import DataError, MtebkitError

if TYPE_CHECKING:
    from mteb.abstasks.retrieval import AbsTaskRetrieval

__all__ = [
    "FirstStageRun",
    "candidate_counts",
    "check_depth",
    "load_candidates",
    "match_first_stage",
    "predictions_json",
    "validate_candidates",
]

# (subset, split) -> qid -> docid -> score; None as subset/split: every one (a TREC file)
Candidates = dict[tuple[str | None, str | None], dict[str, dict[str, float]]]
# where each candidate came from, for messages: (subset, split, qid, docid) -> "file:line"
Origins = dict[tuple[str | None, str | None, str, str], str]

_SUFFIXES = (".trec", ".run", ".txt", ".tsv")


@dataclass(frozen=True)
class FirstStageRun:
    """A candidates file for one task: where it is, what it is, and its content hash."""

    path: Path
    format: str  # "trec" | "mteb-predictions"
    sha256: str

    @classmethod
    def of(cls, path: Path, task_name: str) -> FirstStageRun:
        """The run for ``task_name`` at ``path`` (a file, or a folder with one file per task)."""
        path = Path(path)
        if path.is_dir():
            path = _in_folder(path, task_name)
        if not path.is_file():
            raise DataError(f"--first-stage {path}: no such file")
        fmt = "mteb-predictions" if path.suffix == ".json" else "trec"
        return cls(path, fmt, sha256_file(path))

    def settings_record(self) -> dict[str, Any]:
        """What the result records: the content hash decides; the name is for people."""
        return {"sha256": self.sha256, "format": self.format, "file": self.path.name}

    @property
    def label(self) -> str:
        return f"first-stage:{self.path.name}"


def _in_folder(folder: Path, task_name: str) -> Path:
    from mtebkit._util.paths import safe_name

    task_name = safe_name(task_name, kind="task")  # a name is looked up inside folder only
    names = [f"{task_name}_predictions.json", *(task_name + s for s in _SUFFIXES)]
    for name in names:
        if (folder / name).is_file():
            return folder / name
    raise DataError(
        f"--first-stage {folder}: no candidates for {task_name} (looked for {', '.join(names)})"
    )


def match_first_stage(
    items: Sequence[str] | Mapping[str, str | Path], task_names: Sequence[str]
) -> dict[str, FirstStageRun]:
    """The run of each task: ``TASK=PATH`` items, a folder (one file per task), or one plain
    ``PATH`` when the run has a single retrieval / reranking task."""
    pairs: list[tuple[str | None, Path]] = []
    if isinstance(items, Mapping):
        pairs = [(k, Path(v)) for k, v in items.items()]
    else:
        for item in items:
            name, sep, rest = str(item).partition("=")
            pairs.append((name, Path(rest)) if sep and name else (None, Path(item)))
    out: dict[str, FirstStageRun] = {}
    for task, path in pairs:
        if task is not None:
            if task not in task_names:
                raise MtebkitError(
                    f"--first-stage {task}={path}: {task} is not a retrieval or reranking task "
                    f"of this run (those: {', '.join(task_names) or 'none'})"
                )
            out[task] = FirstStageRun.of(path, task)
        elif path.is_dir():
            for name in task_names:
                out.setdefault(name, FirstStageRun.of(path, name))
        elif len(task_names) == 1:
            out[task_names[0]] = FirstStageRun.of(path, task_names[0])
        else:
            raise MtebkitError(
                f"--first-stage {path}: the run has {len(task_names)} retrieval / reranking "
                f"tasks ({', '.join(task_names)}); give TASK=PATH per task, or a folder with "
                "one file per task (<Task>.trec or <Task>_predictions.json)"
            )
    return out


# ---------------------------------------------------------------------------------- reading
_INT64_MAX = 2**63 - 1  # trec_eval reads ranks as C ints; anything wider is not a rank


def _finite(value: object) -> float | None:
    """``value`` as a finite float; None for bools, non-numbers, NaN/inf and ints too large
    for a float (``math.isfinite`` would raise OverflowError on those)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        out = float(value)
    except OverflowError:
        return None
    return out if math.isfinite(out) else None


def _text(value: str, where: str) -> str:
    """``value`` when it can be written as UTF-8 (a JSON ``\\ud800`` escape gives a lone
    surrogate, which no message or output file could hold)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise DataError(f"{where}: {value!r} is not valid text (a lone surrogate)") from None
    return value


def _parse_trec(path: Path) -> tuple[Candidates, Origins]:
    cands: dict[str, dict[str, float]] = {}
    origins: Origins = {}
    try:
        # split on "\n" only: splitlines() also breaks at \x0b, \x1c, \u2028..., which would
        # make the line numbers in messages disagree with the file's
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the run file {path}: {exc}") from None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        fields = line.split()
        if len(fields) != 6:
            raise DataError(
                f"{where}: expected 6 fields 'qid Q0 docid rank score tag', got {len(fields)}"
            )
        qid, _, docid, rank, score, _ = fields
        try:
            whole = int(rank)
        except ValueError:  # also a number of more than 4300 digits
            raise DataError(f"{where}: rank {rank!r} is not a whole number") from None
        if not 0 <= whole <= _INT64_MAX:
            raise DataError(f"{where}: rank {rank!r} is not between 0 and 2**63-1")
        try:
            value = float(score)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise DataError(f"{where}: score {score!r} is not a finite number")
        docs = cands.setdefault(qid, {})
        if docid in docs:
            first = origins[(None, None, qid, docid)]
            raise DataError(f"{where}: query {qid} lists document {docid} again (first {first})")
        docs[docid] = value
        origins[(None, None, qid, docid)] = where
    if not cands:
        raise DataError(f"{path}: the run file has no candidates")
    return {(None, None): cands}, origins


def _parse_predictions(path: Path) -> tuple[Candidates, Origins]:
    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # a run that scores a document twice is refused, not resolved as last-wins
        return no_duplicate_keys(pairs, str(path))

    try:
        data = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=unique)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"cannot read the predictions file {path}: {exc}") from None
    except RecursionError:
        raise DataError(f"{path}: nested too deeply to be an mteb predictions file") from None
    if not isinstance(data, dict):
        raise DataError(f"{path}: not an mteb predictions file (expected a JSON object)")
    out: Candidates = {}
    origins: Origins = {}
    for subset, splits in data.items():
        if subset == "mteb_model_meta":
            continue
        _text(subset, str(path))
        if not isinstance(splits, dict):
            raise DataError(f"{path}: [{subset!r}] is not {{split: {{qid: {{docid: score}}}}}}")
        for split, queries in splits.items():
            where = f"{path} [{subset}][{_text(split, f'{path} [{subset}]')}]"
            if not isinstance(queries, dict):
                raise DataError(f"{where}: not {{qid: {{docid: score}}}}")
            cands: dict[str, dict[str, float]] = {}
            for qid, docs in queries.items():
                _text(qid, where)
                scores = (
                    {_text(d, f"{where}[{qid!r}]"): _finite(s) for d, s in docs.items()}
                    if isinstance(docs, dict)
                    else None
                )
                if scores is None or any(s is None for s in scores.values()):
                    raise DataError(f"{where}[{qid!r}]: not {{docid: finite score}}")
                cands[qid] = {d: s for d, s in scores.items() if s is not None}
                for d in docs:
                    origins[(subset, split, qid, d)] = f"{where}[{qid!r}]"
            out[(subset, split)] = cands
    if not out:
        raise DataError(f"{path}: the predictions file has no subsets")
    return out, origins


def load_candidates(run: FirstStageRun) -> tuple[Candidates, Origins]:
    """The file's candidates (checked: malformed lines are a :class:`DataError` at file:line)."""
    if sha256_file(run.path) != run.sha256:
        raise DataError(f"{run.path} changed since the run was planned (sha256 differs)")
    return (
        _parse_predictions(run.path) if run.format == "mteb-predictions" else _parse_trec(run.path)
    )


# ---------------------------------------------------------------------------------- checking
def _splits(task: AbsTaskRetrieval) -> Iterable[tuple[str, str, Mapping[str, Any]]]:
    for subset, splits in task.dataset.items():
        for split in task.eval_splits:
            if split in splits:
                yield str(subset), str(split), splits[split]


def _for_split(cands: Candidates, subset: str, split: str) -> dict[str, dict[str, float]] | None:
    return cands.get((subset, split), cands.get((None, None)))


def validate_candidates(
    run: FirstStageRun, cands: Candidates, origins: Origins, task: AbsTaskRetrieval
) -> None:
    """Every query and document id of the run must be the task's (data loaded)."""
    name = task.metadata.name
    known_q: set[str] = set()
    for subset, split, data in _splits(task):
        qids = {str(q) for q in data["queries"]["id"]}
        docs = {str(d) for d in data["corpus"]["id"]}
        known_q |= qids
        mine = _for_split(cands, subset, split)
        if mine is None:
            raise DataError(f"{run.path}: no candidates for {name} [{subset}][{split}]")
        generic = (subset, split) not in cands
        for qid, ranked in mine.items():
            if not generic and qid not in qids:
                where = origins[(subset, split, qid, next(iter(ranked)))] if ranked else run.path
                raise DataError(f"{where}: query id {qid!r} is not a query of {name} [{split}]")
            if generic and qid not in qids:
                continue  # a TREC file's other queries may belong to another split
            for docid in ranked:
                if docid not in docs:
                    key = (None, None) if generic else (subset, split)
                    raise DataError(
                        f"{origins[(*key, qid, docid)]}: document id {docid!r} is not in the "
                        f"corpus of {name}"
                    )
    generic_run = cands.get((None, None), {})
    for qid, ranked in generic_run.items():
        if qid not in known_q:
            where = origins[(None, None, qid, next(iter(ranked)))]
            raise DataError(f"{where}: query id {qid!r} is not a query of {name}")


def candidate_counts(
    task: AbsTaskRetrieval, cands: Candidates | None = None
) -> dict[tuple[str, str], dict[str, int]]:
    """Candidates per query of each evaluated (subset, split) (data loaded).

    From ``cands`` if given; else what a computed first stage yields: the task's own
    ``top_ranked`` lists (reranking tasks), or ``min(max(k_values), corpus size)``.
    """
    out: dict[tuple[str, str], dict[str, int]] = {}
    for subset, split, data in _splits(task):
        qids = [str(q) for q in data["queries"]["id"]]
        if cands is not None:
            mine = _for_split(cands, subset, split) or {}
            out[(subset, split)] = {q: len(mine.get(q, ())) for q in qids}
        elif data.get("top_ranked") is not None:
            top = data["top_ranked"]
            out[(subset, split)] = {q: len(top.get(q, ())) for q in qids}
        else:
            n = min(max(task.k_values), len(data["corpus"]))
            out[(subset, split)] = dict.fromkeys(qids, n)
    return out


def check_depth(counts: Mapping[tuple[str, str], Mapping[str, int]], depth: int, what: str) -> None:
    """``depth`` must not exceed any query's candidate list: else name those queries."""
    for (subset, split), per_query in counts.items():
        short = sorted((n, q) for q, n in per_query.items() if n < depth)
        if short:
            shown = ", ".join(f"{q} ({n})" for n, q in short[:10])
            more = f" and {len(short) - 10} more" if len(short) > 10 else ""
            raise MtebkitError(
                f"{what} [{subset}][{split}]: --rerank-top-k {depth} is deeper than the "
                f"candidate lists of {len(short)} of {len(per_query)} queries: {shown}{more}"
            )


def predictions_json(run: FirstStageRun, cands: Candidates, task: AbsTaskRetrieval) -> str:
    """The candidates as mteb's predictions file for ``task`` (``convert_to_reranking`` input)."""
    out: dict[str, Any] = {"mteb_model_meta": {"model_name": run.label, "revision": run.sha256}}
    for subset, split, data in _splits(task):
        mine = _for_split(cands, subset, split) or {}
        qids = {str(q) for q in data["queries"]["id"]}
        out.setdefault(subset, {})[split] = {q: d for q, d in mine.items() if q in qids}
    return json.dumps(out)
