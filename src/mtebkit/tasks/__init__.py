"""Task resolution: native mteb tasks, mtebkit's built-in tasks and custom YAML specs.

``get_tasks(["STS12", "DemoSTSEn"], data_dir=...)`` returns fresh mteb task objects: native
names through ``mteb.get_task``, custom names built from their spec. With a data dir (argument
or ``$MTEBKIT_DATA_DIR``) every hub-backed task loads offline from its mirror folder
``<data_dir>/<org>/<name>/`` or fails at once with :class:`MirrorMissingError`.

Spec files are searched in :func:`default_spec_paths` unless ``spec_paths`` is given.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtebkit._errors import DataError, DuplicateNameError, TaskSpecError, UnknownNameError
from mtebkit._registry import did_you_mean
from mtebkit.tasks._offline import hf_offline
from mtebkit.tasks._spec import TaskSpec, load_spec, rehash_spec

if TYPE_CHECKING:
    from mteb.abstasks.abstask import AbsTask

__all__ = [
    "DEMO_TASKS",
    "TaskInfo",
    "TaskSpec",
    "default_spec_paths",
    "discover_specs",
    "get_benchmark_tasks",
    "get_tasks",
    "hf_offline",
    "list_tasks",
    "load_spec",
    "rehash_spec",
    "resolve_data_dir",
]

logger = logging.getLogger(__name__)

DEMO_TASKS: tuple[str, ...] = (
    "DemoSTSEn",
    "DemoRetrievalEn",
    "DemoRerankingEn",
    "DemoSTSZh",
    "DemoRetrievalZh",
    "DemoRerankingZh",
)

_DATA_DIR_ENV = "MTEBKIT_DATA_DIR"
_TASKS_PATH_ENV = "MTEBKIT_TASKS_PATH"


@dataclass(frozen=True)
class TaskInfo:
    """One row of the task listing.

    ``source``: ``org/name@revision`` for hub data, else the spec file. ``present_in_mirror``:
    None when no data dir was given or the data is local to a spec.
    """

    name: str
    type: str
    languages: tuple[str, ...]
    splits: tuple[str, ...]
    main_score: str
    source: str
    kind: str  # "native" | "builtin" | "spec"
    present_in_mirror: bool | None = None


# ---------------------------------------------------------------------------- paths


def default_spec_paths() -> list[Path]:
    """``$MTEBKIT_TASKS_PATH`` entries, ``./tasks`` and the source checkout's ``tasks/``, deduplicated."""
    candidates: list[Path] = []
    env = os.environ.get(_TASKS_PATH_ENV, "")
    for entry in env.split(os.pathsep):
        if entry.strip():
            p = Path(entry).expanduser()
            if not p.exists():
                raise TaskSpecError(f"${_TASKS_PATH_ENV} names {p}, which does not exist")
            candidates.append(p)
    cwd_tasks = Path.cwd() / "tasks"
    if cwd_tasks.is_dir():
        candidates.append(cwd_tasks)
    checkout_tasks = Path(__file__).resolve().parents[3] / "tasks"
    if checkout_tasks.is_dir():
        candidates.append(checkout_tasks)
    out: list[Path] = []
    seen: set[Path] = set()
    for c in candidates:
        r = c.resolve()
        if r not in seen:
            seen.add(r)
            out.append(r)
    return out


def resolve_data_dir(data_dir: Path | str | None) -> Path | None:
    """The data dir to use: the argument, else ``$MTEBKIT_DATA_DIR``, else None (hub as usual)."""
    if data_dir is None:
        env = os.environ.get(_DATA_DIR_ENV, "").strip()
        if not env:
            return None
        data_dir = env
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        raise DataError(f"data dir {path} does not exist or is not a directory")
    return path.resolve()


def _looks_like_spec(path: Path) -> bool:
    """A YAML file with neither ``name`` nor ``type`` at the top is some other file, not a spec."""
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return True  # let load_spec report it with the line
    return isinstance(raw, dict) and ("name" in raw or "type" in raw)


def discover_specs(spec_paths: Sequence[Path] | None = None) -> dict[str, tuple[Path, TaskSpec]]:
    """name -> (spec file, spec) for every ``*.yaml`` / ``*.yml`` under the spec paths."""
    paths = default_spec_paths() if spec_paths is None else [Path(p) for p in spec_paths]
    files: list[Path] = []
    for p in paths:
        if p.is_file():
            files.append(p.resolve())
        elif p.is_dir():
            files.extend(
                sorted(f.resolve() for f in p.rglob("*.y*ml") if f.suffix in (".yaml", ".yml"))
            )
        else:
            raise TaskSpecError(f"task spec path {p} does not exist")
    found: dict[str, tuple[Path, TaskSpec]] = {}
    for f in dict.fromkeys(files):
        if not _looks_like_spec(f):
            logger.info("skipping %s: not a task spec (no 'name' or 'type' key)", f)
            continue
        spec = load_spec(f)
        if spec.name in found:
            raise DuplicateNameError(
                f"custom task name {spec.name!r} is defined twice: {found[spec.name][0]} and {f}"
            )
        found[spec.name] = (f, spec)
    return found


# ---------------------------------------------------------------------------- catalog


def _native_classes() -> dict[str, type]:
    try:  # mteb's name -> class registry: no task is instantiated
        from mteb.get_tasks import _TASKS_REGISTRY

        return dict(_TASKS_REGISTRY)
    except ImportError:  # a future mteb moved it: instantiate through the public API
        import mteb

        return {t.metadata.name: type(t) for t in mteb.get_tasks()}


def _builtin_classes(native: dict[str, type]) -> dict[str, type]:
    from mtebkit.tasks._builtin import BUILTIN_TASKS

    out = {}
    for cls in BUILTIN_TASKS:
        name = cls.metadata.name
        if name in native:  # a newer mteb ships it: the native task wins
            logger.debug("built-in task %s is now native to mteb; using mteb's", name)
            continue
        out[name] = cls
    return out


def _source_file(cls: type) -> str:
    import inspect

    try:
        return inspect.getsourcefile(cls) or cls.__module__
    except TypeError:
        return cls.__module__


class _Catalog:
    def __init__(self, spec_paths: Sequence[Path] | None) -> None:
        self.native = _native_classes()
        self.builtin = _builtin_classes(self.native)
        self.specs = discover_specs(spec_paths)
        for name, (path, _) in self.specs.items():
            if name in self.native:
                raise DuplicateNameError(
                    f"custom task {name!r} in {path} clashes with the native mteb task {name!r} "
                    f"({_source_file(self.native[name])}); rename it"
                )
            if name in self.builtin:
                raise DuplicateNameError(
                    f"custom task {name!r} in {path} clashes with mtebkit's built-in task "
                    f"{name!r} ({_source_file(self.builtin[name])}); rename it"
                )

    def names(self) -> list[str]:
        return [*self.native, *self.builtin, *self.specs]

    def make(self, name: str, data_dir: Path | None) -> AbsTask:
        import mteb

        from mtebkit.tasks._custom import build_spec_task
        from mtebkit.tasks._mirror import apply_mirror
        from mtebkit.tasks._spec import HubData

        task: AbsTask
        hub_backed = True
        if name in self.specs:
            path, spec = self.specs[name]
            task = build_spec_task(spec, path)()
            hub_backed = isinstance(spec.data, HubData)
        elif name in self.builtin:
            task = self.builtin[name]()
        elif name in self.native:
            task = mteb.get_task(name)
        else:
            raise UnknownNameError(f"Unknown task {name!r}.{did_you_mean(name, self.names())}")
        if data_dir is not None and hub_backed:
            task = apply_mirror(task, data_dir)
        return task


def get_tasks(
    names: Sequence[str],
    *,
    data_dir: Path | None = None,
    spec_paths: Sequence[Path] | None = None,
) -> list[AbsTask]:
    """Fresh task objects for native, built-in and custom names, in the order given.

    Custom tasks expose ``query_instruction`` (their spec's, or None). A repeated name is kept
    once. Unknown names raise :class:`UnknownNameError` with suggestions.
    """
    if isinstance(names, str):
        names = [names]
    unique = list(dict.fromkeys(names))
    if len(unique) < len(names):
        logger.warning("duplicate task names given; each task runs once")
    root = resolve_data_dir(data_dir)
    catalog = _Catalog(spec_paths)
    known = set(catalog.names())
    unknown = [n for n in unique if n not in known]
    if unknown:
        all_names = catalog.names()
        hints = "; ".join(f"{n!r}.{did_you_mean(n, all_names)}".rstrip(".") for n in unknown)
        raise UnknownNameError(f"Unknown task(s): {hints}")
    return [catalog.make(n, root) for n in unique]


def get_benchmark_tasks(benchmark: str, *, data_dir: Path | None = None) -> list[AbsTask]:
    """Copies of an mteb benchmark's tasks (its split / language filters kept), mirror-aware."""
    import mteb

    from mtebkit.tasks._mirror import apply_mirror

    root = resolve_data_dir(data_dir)
    try:
        bench = mteb.get_benchmark(benchmark)
    except KeyError:
        bench = None
        try:  # mtebkit's aliases ("C-MTEB", "zh", "mteb-en", ...)
            from mtebkit.benchmarks import _canonical_name

            bench = mteb.get_benchmark(_canonical_name(benchmark))
        except Exception:  # any failure here means "unknown name"
            bench = None
        if bench is None:
            names = [b.name for b in mteb.get_benchmarks()]
            raise UnknownNameError(
                f"Unknown benchmark {benchmark!r}.{did_you_mean(benchmark, names)}"
            ) from None
    assert bench is not None
    # benchmark task objects are shared module globals: never hand them out
    tasks: list[AbsTask] = [copy.deepcopy(t) for t in bench.tasks]
    if root is not None:
        tasks = [apply_mirror(t, root) for t in tasks]
    return tasks


# ---------------------------------------------------------------------------- listing


def _langs(eval_langs: Any) -> tuple[str, ...]:
    if isinstance(eval_langs, dict):
        flat = [lang for langs in eval_langs.values() for lang in langs]
    else:
        flat = list(eval_langs)
    return tuple(dict.fromkeys(flat))


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _hub_info(cls: type, kind: str, root: Path | None) -> TaskInfo:
    meta = cls.metadata  # type: ignore[attr-defined]
    ds = meta.dataset
    path = str(ds.get("path", ""))
    present = (root / path).is_dir() if root is not None and path else None
    return TaskInfo(
        name=meta.name,
        type=str(meta.type),
        languages=_langs(meta.eval_langs),
        splits=tuple(meta.eval_splits),
        main_score=str(meta.main_score),
        source=f"{path}@{ds.get('revision', '?')}",
        kind=kind,
        present_in_mirror=present,
    )


_SPEC_TYPES = {"retrieval": "Retrieval", "reranking": "Reranking", "sts": "STS"}


def list_tasks(
    *,
    data_dir: Path | None = None,
    spec_paths: Sequence[Path] | None = None,
    include_native: bool = True,
) -> list[TaskInfo]:
    """Every task (native, built-in, custom) with its type, languages, splits and data source.

    Custom specs are parsed but their data is not read. Sorted by name.
    """
    from mtebkit.tasks._spec import HubData

    root = resolve_data_dir(data_dir)
    catalog = _Catalog(spec_paths)
    infos: list[TaskInfo] = []
    if include_native:
        for cls in catalog.native.values():
            infos.append(_hub_info(cls, "native", root))
    for cls in catalog.builtin.values():
        infos.append(_hub_info(cls, "builtin", root))
    for name, (path, spec) in catalog.specs.items():
        if isinstance(spec.data, HubData):
            source = f"{spec.data.path}@{spec.data.revision} (spec {_display(path)})"
            present = (root / spec.data.path).is_dir() if root is not None else None
        else:
            source, present = _display(path), None
        infos.append(
            TaskInfo(
                name=name,
                type=_SPEC_TYPES[spec.type],
                languages=tuple(spec.languages),
                splits=tuple(spec.eval_splits),
                main_score=spec.main_score,
                source=source,
                kind="spec",
                present_in_mirror=present,
            )
        )
    return sorted(infos, key=lambda i: i.name.lower())
