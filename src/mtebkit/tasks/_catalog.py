"""The task catalogue: native mteb tasks, mtebkit's built-in tasks and custom YAML specs.

``get_tasks(["STS12", "DemoSTSEn"], data_dir=...)`` returns fresh mteb task objects: native
names through ``mteb.get_task``, custom names built from their spec. With a data dir (argument
or ``$MTEBKIT_DATA_DIR``) every hub-backed task loads offline from its mirror folder
``<data_dir>/<org>/<name>/`` or fails at once with :class:`MirrorMissingError`.

Spec files are found as :mod:`mtebkit.tasks._discovery` describes, unless ``spec_paths``
is given.
"""

from __future__ import annotations

import inspect
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtebkit._util.registry import did_you_mean
from mtebkit.errors import DuplicateNameError, MtebkitError, UnknownNameError
from mtebkit.tasks._discovery import SpecCatalog, SpecPath, discover_specs, resolve_data_dir
from mtebkit.tasks._mirror import apply_mirror
from mtebkit.tasks._spec import SPEC_TYPE_NAMES, HubData

if TYPE_CHECKING:
    from mteb.abstasks.abstask import AbsTask

__all__ = [
    "DEMO_TASKS",
    "TaskInfo",
    "describe_task",
    "get_tasks",
    "list_tasks",
    "spec_problems",
    "with_mirror",
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


@dataclass(frozen=True)
class TaskInfo:
    """What is known of a task without loading it: one row of ``mtebkit tasks``.

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
    modalities: tuple[str, ...] = ("text",)
    present_in_mirror: bool | None = None
    unpinned: bool = False  # a spec with local data and no recorded sha256 (needs --rehash)


# ---------------------------------------------------------------------------- catalog


@cache
def _native_classes() -> dict[str, type]:
    """mteb's task name -> class, through its public API (superseded, beta and private included)."""
    import mteb

    mteb_logger = logging.getLogger("mteb")
    level = mteb_logger.level
    mteb_logger.setLevel(logging.ERROR)  # listing beta tasks warns once per task: noise here
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            every = mteb.get_tasks(
                exclude_superseded=False, exclude_private=False, exclude_beta=False
            )
    finally:
        mteb_logger.setLevel(level)
    return {t.metadata.name: type(t) for t in every}


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
    try:
        return inspect.getsourcefile(cls) or cls.__module__
    except TypeError:
        return cls.__module__


class _Catalog:
    def __init__(self, spec_paths: Sequence[Path | SpecPath] | None) -> None:
        self.native = _native_classes()
        self.builtin = _builtin_classes(self.native)
        self.found: SpecCatalog = discover_specs(spec_paths)
        self.specs = self.found.specs
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

    def unknown(self, names: Sequence[str]) -> MtebkitError:
        """The error for names that are not in the catalogue (a broken spec's own error first)."""
        for n in names:
            err = self.found.broken_for(n)
            if err is not None:
                return err
        all_names = self.names()
        hints = "; ".join(f"{n!r}.{did_you_mean(n, all_names)}".rstrip(".") for n in names)
        msg = f"Unknown task(s): {hints}"
        if self.found.broken:
            files = ", ".join(str(p) for p in self.found.broken)
            msg += f" ({len(self.found.broken)} spec file(s) could not be read: {files})"
        return UnknownNameError(msg)

    def make(self, name: str, data_dir: Path | None) -> AbsTask:
        import mteb

        from mtebkit.tasks._custom import build_spec_task

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
            raise self.unknown([name])
        if data_dir is not None and hub_backed:
            task = apply_mirror(task, data_dir)
        return task


def with_mirror(task: AbsTask, data_dir: Path | str | None) -> AbsTask:
    """``task`` (a fresh instance) loading from its mirror under ``data_dir`` (or
    ``$MTEBKIT_DATA_DIR``); unchanged when there is no data dir."""
    root = resolve_data_dir(data_dir)
    return apply_mirror(task, root) if root is not None else task


def get_tasks(
    names: Sequence[str],
    *,
    data_dir: Path | None = None,
    spec_paths: Sequence[Path | SpecPath] | None = None,
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
        raise catalog.unknown(unknown)
    return [catalog.make(n, root) for n in unique]


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
        modalities=tuple(str(m) for m in (meta.modalities or ("text",))),
        present_in_mirror=present,
    )


def _spec_info(name: str, path: Path, spec: Any, root: Path | None) -> TaskInfo:
    if isinstance(spec.data, HubData):
        source = f"{spec.data.path}@{spec.data.revision} (spec {_display(path)})"
        present = (root / spec.data.path).is_dir() if root is not None else None
    else:
        source, present = _display(path), None
    return TaskInfo(
        name=name,
        type=SPEC_TYPE_NAMES[spec.type],
        languages=tuple(spec.languages),
        splits=tuple(spec.eval_splits),
        main_score=spec.main_score,
        source=source,
        kind="spec",
        present_in_mirror=present,
        unpinned=not isinstance(spec.data, HubData) and not spec.sha256,
    )


def spec_problems(spec_paths: Sequence[Path | SpecPath] | None = None) -> dict[Path, str]:
    """Spec files on the spec paths that cannot be loaded, with the error (file and line)."""
    return {path: str(err) for path, err in discover_specs(spec_paths).broken.items()}


def list_tasks(
    *,
    data_dir: Path | None = None,
    spec_paths: Sequence[Path | SpecPath] | None = None,
    include_native: bool = True,
) -> list[TaskInfo]:
    """Every task (native, built-in, custom) with its type, languages, splits and data source.

    Custom specs are parsed but their data is not read. Sorted by name.
    """
    root = resolve_data_dir(data_dir)
    catalog = _Catalog(spec_paths)
    infos: list[TaskInfo] = []
    if include_native:
        for cls in catalog.native.values():
            infos.append(_hub_info(cls, "native", root))
    for cls in catalog.builtin.values():
        infos.append(_hub_info(cls, "builtin", root))
    for name, (path, spec) in catalog.specs.items():
        infos.append(_spec_info(name, path, spec, root))
    return sorted(infos, key=lambda i: i.name.lower())


@cache
def describe_task(name: str) -> TaskInfo | None:
    """What the catalogue (default spec paths, no mirror) knows of ``name``; None if unknown.

    Cached per process: reports look up the same few names many times.
    """
    native = _native_classes()
    if name in native:
        return _hub_info(native[name], "native", None)
    builtin = _builtin_classes(native)
    if name in builtin:
        return _hub_info(builtin[name], "builtin", None)
    found = discover_specs(None).specs.get(name)
    if found is None:
        return None
    return _spec_info(name, found[0], found[1], None)
