"""Offline dataset mirrors: ``--data-dir DIR`` laid out ``<org>/<name>/`` as HF dataset repos.

A task whose dataset (``task.metadata.dataset["path"]``) is present under the data dir loads from
it in Hugging Face offline mode (no network, no retries). Before mteb touches the files, a cheap
check (README ``configs:`` block or file names, plus the first row of one file per split) makes
sure the splits the task evaluates exist and carry the columns its type needs, so a broken
mirror fails with a :class:`DataError` naming the file instead of deep inside ``datasets``.

Tasks are never mutated globally: :func:`apply_mirror` works on the instance it is given (fresh
from ``mteb.get_task``), replacing its ``metadata`` with a copy and its class with a thin
subclass whose ``load_data`` runs inside :func:`hf_offline`.
"""

from __future__ import annotations

import contextlib
import contextvars
import gzip
import json
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from mtebkit._util.hub import hub_download_command
from mtebkit.errors import DataError, MirrorMissingError
from mtebkit.tasks._offline import hf_offline, mirror_cache_dir
from mtebkit.tasks._rows_check import check_classification_rows

if TYPE_CHECKING:
    from mteb.abstasks.abstask import AbsTask

__all__ = [
    "apply_mirror",
    "download_hint",
    "mirror_dir",
    "mirror_is_optional",
    "mirror_missing",
    "mirror_optional",
    "missing_from_mirror",
    "read_repo_configs",
]

# split keywords datasets recognises in file names when a repo has no ``configs:`` block
_SPLIT_ALIASES: dict[str, tuple[str, ...]] = {
    "train": ("train", "training"),
    "validation": ("validation", "valid", "dev", "val"),
    "test": ("test", "testing", "eval", "evaluation"),
}
_DATA_SUFFIXES = (".jsonl", ".json", ".parquet", ".csv", ".tsv", ".txt", ".arrow")


def mirror_dir(data_dir: Path, hf_path: str) -> Path:
    """Where the mirror of hub dataset ``hf_path`` (``org/name``) lives under ``data_dir``."""
    return Path(data_dir) / hf_path


def download_hint(hf_path: str, revision: str, target: Path) -> str:
    """The command that fetches a dataset repo into its mirror folder."""
    return hub_download_command(hf_path, revision=revision, repo_type="dataset", local_dir=target)


def _is_aggregate(task: AbsTask) -> bool:
    from mteb.abstasks.aggregated_task import AbsTaskAggregate

    return isinstance(task, AbsTaskAggregate)


def missing_from_mirror(tasks: Sequence[AbsTask], data_dir: Path) -> MirrorMissingError | None:
    """One error naming EVERY dataset of ``tasks`` (aggregates: their parts) whose mirror folder
    is absent, with one download command each; None when all are there."""
    missing: dict[str, tuple[list[str], str, Path]] = {}  # hf path -> (tasks, revision, folder)

    def visit(task: AbsTask) -> None:
        subtasks = getattr(task, "tasks", None)
        if _is_aggregate(task) and subtasks:
            for t in subtasks:
                visit(t)
            return
        ds = task.metadata.dataset
        hf_path = str(ds["path"])
        root = mirror_dir(Path(data_dir), hf_path)
        if not root.is_dir():
            entry = missing.setdefault(hf_path, ([], str(ds.get("revision", "main")), root))
            entry[0].append(task.metadata.name)

    for t in tasks:
        visit(t)
    if not missing:
        return None
    lines = [
        f"{len(missing)} dataset(s) are not in the mirror {data_dir}; download each with:",
    ]
    for hf_path, (names, revision, root) in missing.items():
        lines.append(f"  # {', '.join(names)}: {hf_path}@{revision}")
        lines.append(f"  {download_hint(hf_path, revision, root)}")
    return MirrorMissingError("\n".join(lines))


# ---------------------------------------------------------------------------- repo layout


def read_repo_configs(repo: Path) -> dict[str, dict[str, list[str]]] | None:
    """``{config: {split: [glob patterns]}}`` from the repo card's YAML, None if it has none."""
    readme = repo / "README.md"
    if not readme.is_file():
        return None
    text = readme.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return None
    end = text.find("\n---", 3)
    if end < 0:
        return None
    try:
        meta = yaml.safe_load(text[3:end]) or {}
    except yaml.YAMLError as exc:
        raise DataError(f"{readme}: the YAML header cannot be parsed: {exc}") from None
    configs = meta.get("configs") if isinstance(meta, dict) else None
    if not configs:
        return None
    out: dict[str, dict[str, list[str]]] = {}
    for cfg in configs:
        if not isinstance(cfg, dict):
            raise DataError(f"{readme}: each entry of 'configs' must be a mapping")
        name = str(cfg.get("config_name", "default"))
        out[name] = _data_files(cfg.get("data_files"), readme)
    return out


def _data_files(spec: Any, readme: Path) -> dict[str, list[str]]:
    if spec is None:
        return {}
    if isinstance(spec, str):
        return {"train": [spec]}  # datasets' convention for a bare pattern
    if isinstance(spec, dict):
        spec = [{"split": k, "path": v} for k, v in spec.items()]
    splits: dict[str, list[str]] = {}
    for entry in spec:
        if isinstance(entry, str):
            splits.setdefault("train", []).append(entry)
            continue
        if not isinstance(entry, dict) or "path" not in entry:
            raise DataError(f"{readme}: malformed data_files entry {entry!r}")
        paths = entry["path"]
        pats = [paths] if isinstance(paths, str) else [str(p) for p in paths]
        splits.setdefault(str(entry.get("split", "train")), []).extend(pats)
    return splits


def _infer_configs(repo: Path) -> dict[str, dict[str, list[str]]]:
    """Splits from file names, as datasets does for a repo without ``configs:``."""
    files = [
        p.relative_to(repo).as_posix()
        for p in sorted(repo.rglob("*"))
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(repo).parts)
        and any(s in p.name for s in _DATA_SUFFIXES)
    ]
    splits: dict[str, list[str]] = {}
    for rel in files:
        for split, keywords in _SPLIT_ALIASES.items():
            if any(re.search(rf"(^|[-_./]){k}([-_./]|$)", rel) for k in keywords):
                splits.setdefault(split, []).append(rel)
    return {"default": splits}


def _glob(repo: Path, patterns: Iterable[str]) -> list[Path]:
    found: list[Path] = []
    for pat in patterns:
        pat = pat.removeprefix("./")
        found.extend(sorted(p for p in repo.glob(pat) if p.is_file()))
    return found


def _first_columns(path: Path) -> set[str] | None:
    """Column names from a file's header or first record; None if the format is not cheap to peek."""
    name = path.name.lower()
    try:
        if name.endswith(".parquet"):
            import pyarrow.parquet as pq

            return set(pq.read_schema(path).names)
        if name.endswith((".jsonl", ".jsonl.gz", ".json", ".json.gz")):
            opener: Any = gzip.open if name.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8") as fh:
                for line in fh:
                    line = line.strip()
                    if not line:
                        continue
                    if line.startswith("["):
                        return None  # a JSON array: not cheap to peek
                    record = json.loads(line)
                    return set(record) if isinstance(record, dict) else None
            return set()
        if name.endswith((".csv", ".tsv")):
            sep = "\t" if name.endswith(".tsv") else ","
            with path.open(encoding="utf-8") as fh:
                return {c.strip() for c in fh.readline().rstrip("\n").split(sep)}
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot be read: {exc}") from None
    return None


# ---------------------------------------------------------------------------- checks


class _Repo:
    def __init__(self, task_name: str, hf_path: str, revision: str, root: Path) -> None:
        self.task_name = task_name
        self.hf_path = hf_path
        self.root = root
        if not root.is_dir():
            raise MirrorMissingError(
                f"task {task_name}: dataset {hf_path}@{revision} is not in the mirror; "
                f"expected the folder {root}. Download it with: "
                f"{download_hint(hf_path, revision, root)}"
            )
        declared = read_repo_configs(root)
        self.where = root / "README.md" if declared is not None else root
        self.configs = declared if declared is not None else _infer_configs(root)

    def config(
        self, name: str, *, fallbacks: tuple[str, ...] = ()
    ) -> tuple[str, dict[str, list[str]]]:
        for cand in (name, *fallbacks):
            if cand in self.configs:
                return cand, self.configs[cand]
        if name == "default" and len(self.configs) == 1:
            only = next(iter(self.configs))
            return only, self.configs[only]
        raise DataError(
            f"task {self.task_name}: {self.where} declares no config {name!r} "
            f"(has: {', '.join(sorted(self.configs)) or 'none'})"
        )

    def split_files(
        self, config: str, splits: Mapping[str, list[str]], split: str, *, single_ok: bool = False
    ) -> list[Path]:
        patterns = splits.get(split)
        if patterns is None and single_ok and len(splits) == 1:
            patterns = next(iter(splits.values()))
        if patterns is None:
            hint = (
                ""
                if self.where.name == "README.md"
                else "; without a README.md `configs:` block the splits come from file names "
                "(as datasets names them: dev/val files are 'validation')"
            )
            raise DataError(
                f"task {self.task_name}: split {split!r} is missing from config {config!r} "
                f"of {self.where} (has: {', '.join(sorted(splits)) or 'none'}){hint}"
            )
        files = _glob(self.root, patterns)
        if not files:
            raise DataError(
                f"task {self.task_name}: no file in {self.root} matches "
                f"{', '.join(patterns)} (split {split!r} of config {config!r})"
            )
        return files

    def require_columns(
        self, files: list[Path], needed: Iterable[str], *, any_of: Iterable[Iterable[str]] = ()
    ) -> None:
        cols = _first_columns(files[0])
        if cols is None:
            return
        missing = [c for c in needed if c not in cols]
        for group in any_of:
            group = list(group)
            if not any(c in cols for c in group):
                missing.append(" or ".join(group))
        if missing:
            raise DataError(
                f"task {self.task_name}: {files[0]} lacks column(s) {', '.join(missing)} "
                f"(has: {', '.join(sorted(cols))})"
            )


def _overrides(task: AbsTask, base: type, attr: str) -> bool:
    return getattr(type(task), attr) is not getattr(base, attr)


def check_mirror(task: AbsTask, root: Path) -> None:
    """Cheap structural check of a mirrored dataset against what ``task`` will load."""
    from mteb.abstasks.abstask import AbsTask as _AbsTask
    from mteb.abstasks.retrieval import AbsTaskRetrieval
    from mteb.abstasks.sts import AbsTaskSTS

    ds = task.metadata.dataset
    repo = _Repo(task.metadata.name, str(ds["path"]), str(ds.get("revision", "main")), root)
    splits = list(task.eval_splits)
    subsets = list(task.hf_subsets) if task.metadata.is_multilingual else ["default"]
    loader = getattr(type(task), "_mtebkit_loader", None)

    if loader == "rows-reranking":  # mtebkit's own hub reranking rows (query/positive/negative)
        name, cfg = repo.config(str(ds.get("name", "default")))
        for split in splits:
            files = repo.split_files(name, cfg, split)
            repo.require_columns(files, ("query", "positive", "negative"))
        return
    if isinstance(task, AbsTaskRetrieval) and not _overrides(task, AbsTaskRetrieval, "load_data"):
        for sub in subsets:
            prefix = "" if sub == "default" else f"{sub}-"
            for split in splits:
                q_name, q_cfg = repo.config(
                    f"{prefix}qrels" if prefix else "default", fallbacks=("qrels",)
                )
                qrels = repo.split_files(q_name, q_cfg, split, single_ok=True)
                repo.require_columns(qrels, ("query-id", "corpus-id", "score"))
            c_name, c_cfg = repo.config(f"{prefix}corpus")
            corpus = repo.split_files(c_name, c_cfg, "corpus", single_ok=True)
            repo.require_columns(corpus, ("text",), any_of=[("_id", "id")])
            qn_name, qn_cfg = repo.config(f"{prefix}queries", fallbacks=("query",))
            queries = repo.split_files(qn_name, qn_cfg, "queries", single_ok=True)
            repo.require_columns(queries, ("text",), any_of=[("_id", "id")])
        return
    if _overrides(task, _AbsTask, "load_data"):
        return  # a custom loader: only its presence can be checked cheaply
    if "name" in ds:
        configs = [str(ds["name"])]
    elif getattr(task, "fast_loading", False):
        configs = ["default"]  # fast loading reads one config holding every language
    else:
        configs = subsets
    for cfg_name in configs:
        name, cfg = repo.config(cfg_name)
        for split in splits:
            files = repo.split_files(name, cfg, split)
            if isinstance(task, AbsTaskSTS) and not _overrides(task, _AbsTask, "dataset_transform"):
                cols = [c for c in task.column_names if isinstance(c, str)]
                repo.require_columns(files, (*cols, "score"))


# ---------------------------------------------------------------------------- applying

_OFFLINE_CLASSES: dict[type, type] = {}


@cache
def _load_errors() -> tuple[type[BaseException], ...]:
    """What a damaged mirror file raises inside datasets / pyarrow (truncated gzip: EOFError).
    Built on first use: importing ``datasets`` takes seconds that reading results must not pay."""
    errors: list[type[BaseException]] = [OSError, EOFError, zlib.error, ValueError]
    try:
        from datasets.exceptions import DatasetGenerationError

        errors.append(DatasetGenerationError)
    except ImportError:  # pragma: no cover - an older datasets
        pass
    return tuple(errors)


def damaged_file(root: Path) -> Path | None:
    """The first compressed or parquet file under ``root`` that cannot be read to its end."""
    for path in sorted(root.rglob("*")):
        name = path.name.lower()
        try:
            if name.endswith(".gz"):
                with gzip.open(path, "rb") as fh:
                    while fh.read(1 << 20):
                        pass
            elif name.endswith(".parquet"):
                import pyarrow.parquet as pq

                pq.read_metadata(path)
        except (OSError, EOFError, zlib.error, ValueError):
            return path
    return None


def _load_error(task_name: str, root: Path, exc: BaseException) -> DataError:
    """A named error for a mirror that fails to load: the damaged file when one is found."""
    if isinstance(exc, DataError):
        return exc
    bad = damaged_file(root) if root.is_dir() else None
    if bad is not None:
        return DataError(
            f"task {task_name}: mirror file {bad} is damaged or truncated (it cannot be read to "
            "its end); download it again"
        )
    return DataError(f"task {task_name}: loading {root} failed: {type(exc).__name__}: {exc}")


def _split_files_of(task: AbsTask, root: Path) -> Any:
    """``files_of(split, subset)``: the mirror files of a split (None where not found)."""

    def files_of(split: str, subset: str) -> list[Path] | None:
        ds = task.metadata.dataset
        try:
            repo = _Repo(task.metadata.name, str(ds["path"]), str(ds.get("revision", "")), root)
            name, cfg = repo.config(str(ds.get("name", subset)), fallbacks=("default",))
            return repo.split_files(name, cfg, split)
        except DataError:
            return None

    return files_of


def _offline_class(cls: type) -> type:
    """A subclass of ``cls`` whose ``load_data`` runs in HF offline mode (cached per class)."""
    if getattr(cls, "_mtebkit_offline", False):
        return cls
    sub = _OFFLINE_CLASSES.get(cls)
    if sub is None:
        original = cls.load_data  # type: ignore[attr-defined]

        def load_data(self: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(self, "data_loaded", False):
                return original(self, *args, **kwargs)
            root = Path(self.metadata.dataset["path"])
            cache = mirror_cache_dir(root)
            with hf_offline(datasets_cache=cache):
                try:
                    out = original(self, *args, **kwargs)
                except _load_errors() as exc:
                    raise _load_error(self.metadata.name, root, exc) from None
            check_classification_rows(self, root, files_of=_split_files_of(self, root))
            return out

        sub = type(
            cls.__name__,
            (cls,),
            {
                "load_data": load_data,
                "_mtebkit_offline": True,
                "__module__": cls.__module__,
                "__qualname__": cls.__qualname__,
                "__doc__": cls.__doc__,
            },
        )
        _OFFLINE_CLASSES[cls] = sub
    return sub


# Inside ``mirror_optional()`` (a dry run), a dataset absent from the mirror is no error: the
# task comes back unmirrored and marked, so its metadata (and mteb's statistics) still plan it.
_MIRROR_OPTIONAL: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "mtebkit_mirror_optional", default=False
)
MISSING_ATTR = "mtebkit_mirror_missing"  # the marked task's attribute: why it is not mirrored


@contextlib.contextmanager
def mirror_optional() -> Iterator[None]:
    """Tasks absent from the mirror are built unmirrored (marked with :func:`mirror_missing`)
    instead of raising :class:`MirrorMissingError`; their data is then never loaded."""
    token = _MIRROR_OPTIONAL.set(True)
    try:
        yield
    finally:
        _MIRROR_OPTIONAL.reset(token)


def mirror_is_optional() -> bool:
    return _MIRROR_OPTIONAL.get()


def mirror_missing(task: AbsTask) -> str | None:
    """Why ``task`` was built without its mirror (inside :func:`mirror_optional`), else None."""
    why = getattr(task, MISSING_ATTR, None)
    return why if isinstance(why, str) else None


def apply_mirror(task: AbsTask, data_dir: Path) -> AbsTask:
    if _MIRROR_OPTIONAL.get():
        try:
            return _apply_mirror(task, data_dir)
        except MirrorMissingError as exc:
            setattr(task, MISSING_ATTR, str(exc))
            return task
    return _apply_mirror(task, data_dir)


def _apply_mirror(task: AbsTask, data_dir: Path) -> AbsTask:
    """Point ``task`` (a fresh instance) at its mirror under ``data_dir`` and check the mirror.

    Raises :class:`MirrorMissingError` when the dataset folder is absent and :class:`DataError`
    when a split file or a needed column is missing. Returns the same instance.
    """
    subtasks = getattr(task, "tasks", None)
    if _is_aggregate(task) and subtasks:
        task.tasks = [_apply_mirror(t, data_dir) for t in subtasks]  # type: ignore[attr-defined]
        return task
    ds = dict(task.metadata.dataset)
    hf_path = str(ds["path"])
    root = mirror_dir(Path(data_dir), hf_path).resolve()
    check_mirror(task, root)
    ds["path"] = str(root)
    task.metadata = task.metadata.model_copy(update={"dataset": ds})
    task.__class__ = _offline_class(type(task))
    return task
