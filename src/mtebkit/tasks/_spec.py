"""Custom task specs: YAML files parsed into pydantic models (``extra="forbid"``).

A spec names a task (and declares itself with ``format: mtebkit-task``), its type
(``retrieval`` | ``reranking`` | ``sts`` | ``classification`` | ``pair-classification`` |
``clustering``), languages, splits, main score, an optional bge-style query instruction, and
where its data is:

* ``format: beir``  - ``<dir>/corpus.jsonl``, ``<dir>/queries.jsonl``, ``<dir>/qrels/<split>.tsv``
* ``format: rows``  - one jsonl per split: STS rows (sentence1, sentence2, score), C-MTEB
  reranking rows (query, positive[], negative[]), classification or clustering rows (text,
  label), pair-classification rows (sentence1, sentence2, label)
* ``format: hf``    - a Hugging Face dataset repo + revision, resolved through ``--data-dir``

Local data files are pinned by sha256 in the spec's ``sha256:`` mapping (path relative to the
spec -> hex digest); :func:`rehash_spec` writes that mapping.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mtebkit._util.hashing import sha256_file
from mtebkit._util.untrusted import compose_bounded, construct_bounded, read_regular
from mtebkit.errors import DataError, HashMismatchError, TaskSpecError

__all__ = [
    "RETRIEVAL_K_VALUES",
    "SPEC_FORMAT",
    "SPEC_TYPE_NAMES",
    "BeirData",
    "HubData",
    "RowsData",
    "TaskSpec",
    "allowed_main_scores",
    "compute_hashes",
    "declares_spec_format",
    "load_spec",
    "rehash_spec",
    "verify_hashes",
]

SPEC_FORMAT = "mtebkit-task"  # the top-level ``format:`` that marks a YAML file as a spec
RETRIEVAL_K_VALUES = (1, 3, 5, 10, 20, 100, 1000)  # mteb AbsTaskRetrieval.k_values
_STS_SCORES = tuple(
    f"{prefix}{kind}"
    for prefix in ("", "cosine_", "manhattan_", "euclidean_")
    for kind in ("pearson", "spearman")
)
_RETRIEVAL_SCORES = (
    *(
        f"{m}_at_{k}"
        for m in ("ndcg", "map", "recall", "precision", "mrr", "hit_rate")
        for k in RETRIEVAL_K_VALUES
    ),
    "accuracy",
)


_CLASSIFICATION_SCORES = tuple(
    f"{m}{w}"
    for m in ("accuracy", "f1", "precision", "recall", "ap")
    for w in ("", "_weighted")
    if (m, w) != ("accuracy", "_weighted")
)  # mteb AbsTaskClassification._calculate_scores; ap only for two labels
_PAIR_SCORES = tuple(
    f"{prefix}_{m}"
    for prefix in ("max", "similarity", "cosine", "manhattan", "euclidean", "dot")
    for m in ("ap", "accuracy", "f1", "precision", "recall")
)  # mteb AbsTaskPairClassification._compute_metrics
_CLUSTERING_SCORES = ("v_measure", "ami")  # mteb AbsTaskClustering (the bootstrapped v2 class)
_SCORES_BY_TYPE = {
    "retrieval": _RETRIEVAL_SCORES,
    "reranking": _RETRIEVAL_SCORES,
    "sts": _STS_SCORES,
    "classification": _CLASSIFICATION_SCORES,
    "pair-classification": _PAIR_SCORES,
    "clustering": _CLUSTERING_SCORES,
}
SPEC_TYPE_NAMES = {
    "retrieval": "Retrieval",
    "reranking": "Reranking",
    "sts": "STS",
    "classification": "Classification",
    "pair-classification": "PairClassification",
    "clustering": "Clustering",
}  # spec type -> mteb TaskMetadata.type
_EXPERIMENT_TYPES = ("classification", "clustering")  # take n_experiments


def allowed_main_scores(task_type: str) -> tuple[str, ...]:
    """The metric names mteb's evaluator produces for a spec type."""
    return _SCORES_BY_TYPE[task_type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BeirData(_Strict):
    """BEIR layout under ``dir`` (relative to the spec)."""

    format: Literal["beir"]
    dir: str = "."


class RowsData(_Strict):
    """One jsonl file per split (relative to the spec)."""

    format: Literal["rows"]
    files: dict[str, str]


class HubData(_Strict):
    """A Hugging Face dataset repo, loaded from the ``--data-dir`` mirror like native tasks.

    ``layout``: for reranking, ``rows`` (C-MTEB query/positive/negative rows, the default) or
    ``retrieval`` (mteb 2 corpus/queries/qrels/top_ranked configs).
    """

    format: Literal["hf"]
    path: str = Field(pattern=r"^[\w.-]+/[\w.-]+$")
    revision: str = Field(min_length=1)
    name: str | None = None
    layout: Literal["rows", "retrieval"] | None = None


DataSpec = Annotated[BeirData | RowsData | HubData, Field(discriminator="format")]


class TaskSpec(_Strict):
    """A custom task, as written in a YAML file."""

    format: Literal["mtebkit-task"] | None = None
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")
    type: Literal[
        "retrieval", "reranking", "sts", "classification", "pair-classification", "clustering"
    ]
    description: str = Field(min_length=1)
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2,3}-[A-Z][a-z]{3}$")]] = Field(
        min_length=1
    )  # mteb codes: ISO 639-3 language + ISO 15924 script, e.g. eng-Latn, cmn-Hans
    eval_splits: list[str] = Field(default_factory=lambda: ["test"], min_length=1)
    main_score: str
    query_instruction: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    reference: str | None = None
    train_split: str | None = None
    """classification: the split the logistic regression trains on (default ``train``)."""
    samples_per_label: int | None = Field(default=None, ge=1)
    """classification: training rows drawn per label in each experiment (mteb's default 8)."""
    n_experiments: int | None = Field(default=None, ge=1)
    """classification and clustering: experiments averaged (mteb's default 10)."""
    documents_per_experiment: int | None = Field(default=None, ge=2)
    """clustering: documents drawn (with replacement) per experiment (default: the split's size)."""
    data: DataSpec
    sha256: dict[str, str] = Field(default_factory=dict)
    allow_outside: bool = False
    """Data paths may leave the spec's folder (refused unless this is set)."""

    @model_validator(mode="after")
    def _consistent(self) -> TaskSpec:
        allowed = allowed_main_scores(self.type)
        if self.main_score not in allowed:
            raise ValueError(
                f"main_score: {self.main_score!r} is not produced by a {self.type} task; "
                f"choose one of {', '.join(allowed[:12])}, ..."
            )
        fmt = self.data.format
        if fmt == "beir" and self.type != "retrieval":
            raise ValueError(f"data.format: 'beir' is for retrieval tasks, not {self.type}")
        if fmt == "rows" and self.type == "retrieval":
            raise ValueError("data.format: retrieval tasks take 'beir' or 'hf', not 'rows'")
        if isinstance(self.data, RowsData):
            missing = [s for s in self.read_splits if s not in self.data.files]
            if missing:
                raise ValueError(f"data.files: no file for split(s) {', '.join(missing)}")
        self._check_type_options()
        if self.type == "sts":
            if self.min_score is None or self.max_score is None:
                raise ValueError("type: sts tasks need min_score and max_score")
            for key in ("min_score", "max_score"):
                if not math.isfinite(getattr(self, key)):
                    raise ValueError(f"{key}: must be a finite number, not {getattr(self, key)}")
            if self.min_score >= self.max_score:
                raise ValueError("min_score: must be below max_score")
        elif self.min_score is not None or self.max_score is not None:
            raise ValueError("min_score: min_score / max_score apply to sts tasks only")
        for key, digest in self.sha256.items():
            if not re.fullmatch(r"[0-9a-f]{64}", digest):
                raise ValueError(f"sha256.{key}: not a 64-digit lowercase hex digest")
        return self

    def _check_type_options(self) -> None:
        """Options that belong to one type are refused on another (a typo must not pass)."""
        only = {
            "train_split": ("classification",),
            "samples_per_label": ("classification",),
            "n_experiments": _EXPERIMENT_TYPES,
            "documents_per_experiment": ("clustering",),
        }
        for key, types in only.items():
            if getattr(self, key) is not None and self.type not in types:
                raise ValueError(f"{key}: applies to {' and '.join(types)} tasks only")
        if self.type == "classification" and self.train_split_name in self.eval_splits:
            raise ValueError(
                f"eval_splits: the train split {self.train_split_name!r} cannot also be evaluated"
            )
        if self.query_instruction is not None and self.type not in ("retrieval", "reranking"):
            raise ValueError("query_instruction: applies to retrieval and reranking tasks only")

    @property
    def train_split_name(self) -> str:
        """The classification train split (``train`` unless the spec names another)."""
        return self.train_split or "train"

    @property
    def read_splits(self) -> list[str]:
        """Every split the task reads: the eval splits, and for classification the train split."""
        if self.type == "classification":
            return [self.train_split_name, *self.eval_splits]
        return list(self.eval_splits)

    def data_files(self, spec_path: Path) -> dict[str, Path]:
        """Local data files (key: path relative to the spec, posix) the task reads."""
        base = spec_path.parent
        rels: list[str] = []
        if isinstance(self.data, BeirData):
            d = self.data.dir.rstrip("/") or "."
            prefix = "" if d == "." else f"{d}/"
            rels = [f"{prefix}corpus.jsonl", f"{prefix}queries.jsonl"]
            rels += [f"{prefix}qrels/{split}.tsv" for split in self.eval_splits]
        elif isinstance(self.data, RowsData):
            rels = [self.data.files[s] for s in self.read_splits]
        return {Path(r).as_posix(): base / r for r in rels}

    def check_paths(self, spec_path: Path) -> None:
        """Refuse data paths that leave the spec's folder, unless ``allow_outside: true``."""
        if self.allow_outside:
            return
        base = Path(os.path.realpath(spec_path.parent))
        paths = dict(self.data_files(spec_path))
        if isinstance(self.data, BeirData):
            paths[self.data.dir] = spec_path.parent / self.data.dir
        for rel, path in paths.items():
            real = Path(os.path.realpath(path))
            if real != base and base not in real.parents:
                raise TaskSpecError(
                    f"{spec_path}: data path {rel} leaves the spec's folder ({real}); move the "
                    "data beside the spec, or set `allow_outside: true` if this is intended"
                )


# ---------------------------------------------------------------------------- YAML + lines


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the YAML node at pydantic location ``loc`` (best effort)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    line = key.start_mark.line + 1
                    node = value
                    break
            # a part not found (e.g. a union tag) is skipped
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
    return line


_FORMAT_LINE = re.compile(rb"^format:\s*['\"]?" + SPEC_FORMAT.encode() + rb"['\"]?\s*(#.*)?$", re.M)


SPEC_MAX_BYTES = 1 << 20  # a spec YAML larger than 1 MiB is refused (data files are separate)
SPEC_MAX_ALIASES = 32  # alias uses per spec document (a billion-laughs file has millions)
SPEC_MAX_DEPTH = 64  # nesting depth of a spec document


def declares_spec_format(path: Path) -> bool:
    """Whether the file has the top-level line ``format: mtebkit-task`` (read as bytes)."""
    try:
        data = read_regular(Path(path), TaskSpecError, SPEC_MAX_BYTES)
    except TaskSpecError:
        return True  # let the loader report why the file cannot be read
    return _FORMAT_LINE.search(data) is not None


def unencodable(value: str) -> int | None:
    """Index of the first lone surrogate in ``value`` (not encodable as UTF-8), else None."""
    for i, ch in enumerate(value):
        if "\ud800" <= ch <= "\udfff":
            return i
    return None


def blank(value: str) -> bool:
    """Empty, or only whitespace and invisible format characters (zero-width space, BOM...)."""
    return all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in value)


def _compose(text: str) -> yaml.Node | None:
    return compose_bounded(text, max_aliases=SPEC_MAX_ALIASES, max_depth=SPEC_MAX_DEPTH)


def _construct(root: yaml.Node) -> Any:
    return construct_bounded(root)


def _check_values(value: Any, path: Path, root: yaml.Node | None, loc: tuple[Any, ...]) -> None:
    """Strings must be encodable, integers fit in int64, floats be finite (spec-wide)."""

    def where() -> str:
        return f"{path}:{_line_of(root, loc) or 1}"

    field = ".".join(str(p) for p in loc) or "(spec)"
    if isinstance(value, dict):
        for k, v in value.items():
            _check_values(k, path, root, loc)
            _check_values(v, path, root, (*loc, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_values(v, path, root, (*loc, i))
    elif isinstance(value, str):
        if unencodable(value) is not None:
            raise TaskSpecError(f"{where()}: {field}: holds a lone surrogate (not valid text)")
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise TaskSpecError(f"{where()}: {field}: integer {value} does not fit in 64 bits")
    elif isinstance(value, float) and not math.isfinite(value):
        raise TaskSpecError(f"{where()}: {field}: must be a finite number, not {value}")


def read_utf8(path: Path, error: type[Exception] = TaskSpecError, limit: int | None = None) -> str:
    """A file's text; invalid UTF-8 is ``error`` naming the file, line and byte offset."""
    data = read_regular(path, error, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(
            f"{path}:{line}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8"
        ) from None


def load_spec(path: Path) -> TaskSpec:
    """Parse and validate one spec file; errors name the file and line."""
    path = Path(path)
    text = read_utf8(path, TaskSpecError, SPEC_MAX_BYTES)
    try:
        root = _compose(text)
        if root is None:
            raise TaskSpecError(f"{path}: a task spec must be a YAML mapping")
        _refuse_duplicate_keys(root, path)
        raw = _construct(root)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise TaskSpecError(f"{where}: invalid YAML: {exc}") from None
    except (RecursionError, MemoryError, ValueError, TypeError, OverflowError) as exc:
        raise TaskSpecError(
            f"{path}: cannot be read as YAML: {type(exc).__name__}: {exc}"
        ) from None
    if not isinstance(raw, dict):
        raise TaskSpecError(f"{path}: a task spec must be a YAML mapping")
    _check_values(raw, path, root, ())
    try:
        spec = TaskSpec.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            keyed = re.match(r"Value error, ([\w.]+): (.*)", msg, re.DOTALL)
            if not loc and keyed:  # a cross-field check names the key it is about
                loc = tuple(keyed.group(1).split("."))
                msg = keyed.group(2)
            line = _line_of(root, loc)
            field = ".".join(str(p) for p in loc if p not in ("beir", "rows", "hf")) or "(spec)"
            prefix = f"{path}:{line}" if line else str(path)
            problems.append(f"{prefix}: {field}: {msg}")
        raise TaskSpecError("invalid task spec:\n  " + "\n  ".join(problems)) from None
    spec.check_paths(path)
    return spec


def _refuse_duplicate_keys(
    node: yaml.Node | None, path: Path, seen_nodes: set[int] | None = None
) -> None:
    """YAML keeps the last of two equal keys silently; a spec must not (each node once)."""
    seen_nodes = set() if seen_nodes is None else seen_nodes
    if id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            name = str(key.value)
            line = key.start_mark.line + 1
            if name in seen:
                raise TaskSpecError(
                    f"{path}:{line}: key {name!r} is given twice (lines {seen[name]} and {line})"
                )
            seen[name] = line
            _refuse_duplicate_keys(value, path, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _refuse_duplicate_keys(item, path, seen_nodes)


# ---------------------------------------------------------------------------- hashes


def compute_hashes(spec: TaskSpec, spec_path: Path) -> dict[str, str]:
    """sha256 of every local data file of ``spec``; a missing file is a :class:`DataError`."""
    out = {}
    for rel, path in spec.data_files(spec_path).items():
        if not path.is_file():
            raise DataError(f"{spec_path}: data file {rel} not found (expected {path})")
        out[rel] = sha256_file(path)
    return out


def verify_hashes(spec: TaskSpec, spec_path: Path) -> dict[str, str]:
    """Check every data file against the spec's recorded sha256; return the digests."""
    actual = compute_hashes(spec, spec_path)
    for rel, digest in actual.items():
        recorded = spec.sha256.get(rel)
        if recorded is None:
            raise TaskSpecError(
                f"{spec_path}: no sha256 recorded for data file {rel}; "
                f"run `mtebkit tasks --rehash {spec_path}` after checking the data"
            )
        if recorded != digest:
            raise HashMismatchError(
                f"{spec_path.parent / rel}: content changed since the spec was written: "
                f"recorded sha256 {recorded}, actual {digest}. If the change is intended, "
                f"run `mtebkit tasks --rehash {spec_path}`"
            )
    stale = sorted(set(spec.sha256) - set(actual))
    if stale:
        raise TaskSpecError(
            f"{spec_path}: sha256 lists file(s) the task does not read: {', '.join(stale)}"
        )
    return actual


_SHA_BLOCK = re.compile(r"^sha256:[^\n]*\n(?:(?:[ \t]+[^\n]*|[ \t]*)\n)*", re.MULTILINE)


def rehash_spec(spec_path: Path, *, write: bool = True) -> dict[str, str]:
    """Recompute the data files' sha256 and (``write``) store them in the spec's ``sha256:`` block.

    Only that block is rewritten (appended at the end), so comments elsewhere survive.
    """
    spec_path = Path(spec_path)
    spec = load_spec(spec_path)
    digests = compute_hashes(spec, spec_path)
    if write:
        text = spec_path.read_text(encoding="utf-8")
        if not text.endswith("\n"):
            text += "\n"
        text = _SHA_BLOCK.sub("", text).rstrip("\n") + "\n"
        block = "sha256:\n" + "".join(f'  {k}: "{v}"\n' for k, v in sorted(digests.items()))
        spec_path.write_text(text + block, encoding="utf-8")
        load_spec(spec_path)  # the rewritten file must still parse
    return digests
