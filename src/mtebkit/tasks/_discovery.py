"""Where task specs and dataset mirrors are found.

Spec files come from, in order: the demo specs shipped inside the package; each entry of
``$MTEBKIT_TASKS_PATH`` and each ``--tasks-path`` (every ``*.yaml`` / ``*.yml`` there is a spec);
and ``./tasks/`` of the current folder, where only files that declare themselves
(``format: mtebkit-task``) are specs, so an unrelated ``tasks/ci.yaml`` is left alone.

A spec that cannot be read never blocks another: :func:`discover_specs` keeps the error,
with its file and line, and it is raised only when that spec is asked for by name.

Discovery reads a spec's header only (at most ``SPEC_MAX_BYTES``), once per unchanged file;
its data files are read, validated and hashed when the task is built (``get_tasks`` of that
name), so a large or broken dataset costs nothing to runs of other tasks.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from mtebkit._util.untrusted import read_regular
from mtebkit.errors import DataError, DuplicateNameError, MtebkitError, TaskSpecError
from mtebkit.tasks._spec import (
    SPEC_FORMAT,
    SPEC_MAX_BYTES,
    TaskSpec,
    declares_spec_format,
    load_spec,
)

__all__ = [
    "DATA_DIR_ENV",
    "TASKS_PATH_ENV",
    "SpecCatalog",
    "SpecPath",
    "default_spec_paths",
    "demo_dir",
    "discover_specs",
    "resolve_data_dir",
]

logger = logging.getLogger(__name__)

DATA_DIR_ENV = "MTEBKIT_DATA_DIR"
TASKS_PATH_ENV = "MTEBKIT_TASKS_PATH"


def demo_dir() -> Path:
    """The folder of the demo specs and data shipped inside the package."""
    return Path(str(resources.files("mtebkit.tasks") / "demo"))


@dataclass(frozen=True)
class SpecPath:
    """A file or folder to search for specs; ``declared_only``: only ``format: mtebkit-task`` files."""

    path: Path
    declared_only: bool = False


def default_spec_paths() -> list[SpecPath]:
    """The packaged demo, ``$MTEBKIT_TASKS_PATH`` entries, then ``./tasks`` (declared specs only)."""
    out = [SpecPath(demo_dir())]
    env = os.environ.get(TASKS_PATH_ENV, "")
    for entry in env.split(os.pathsep):
        if entry.strip():
            p = Path(entry).expanduser()
            if not p.exists():
                raise TaskSpecError(f"${TASKS_PATH_ENV} names {p}, which does not exist")
            out.append(SpecPath(p))
    cwd_tasks = Path.cwd() / "tasks"
    if cwd_tasks.is_dir():
        out.append(SpecPath(cwd_tasks, declared_only=True))
    return out


def resolve_data_dir(data_dir: Path | str | None) -> Path | None:
    """The data dir to use: the argument, else ``$MTEBKIT_DATA_DIR``, else None (hub as usual)."""
    if data_dir is None:
        env = os.environ.get(DATA_DIR_ENV, "").strip()
        if not env:
            return None
        data_dir = env
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        raise DataError(f"data dir {path} does not exist or is not a directory")
    return path.resolve()


@dataclass
class SpecCatalog:
    """Specs found on the spec paths: name -> (file, spec); and the files that failed to load."""

    specs: dict[str, tuple[Path, TaskSpec]] = field(default_factory=dict)
    broken: dict[Path, MtebkitError] = field(default_factory=dict)

    def broken_for(self, name: str) -> MtebkitError | None:
        """The load error of a broken spec whose ``name:`` line says ``name``, if any."""
        for path, err in self.broken.items():
            if _declared_name(path) == name:
                return err
        return None


_NAME_LINE = re.compile(rb"^name:\s*['\"]?([A-Za-z][A-Za-z0-9_.-]*)", re.MULTILINE)


def _declared_name(path: Path) -> str | None:
    """The ``name:`` of a spec file read as bytes (works where YAML or UTF-8 decoding fails)."""
    try:
        m = _NAME_LINE.search(read_regular(path, TaskSpecError, SPEC_MAX_BYTES))
    except TaskSpecError:
        return None
    return m.group(1).decode("ascii") if m else None


def _spec_files(entry: SpecPath) -> list[Path]:
    p = entry.path
    if p.is_file():
        return [p.resolve()]
    if p.is_dir():
        return sorted(f.resolve() for f in p.rglob("*") if f.suffix in (".yaml", ".yml"))
    raise TaskSpecError(f"task spec path {p} does not exist")


# load_spec's answer per file, kept while its bytes are the same: a run discovers the spec
# paths once per task it builds, and parsing a 1 MiB header takes seconds (reading it, ms).
# Keyed by content, not mtime: a same-size rewrite within the clock's tick is still seen.
_LOADED: dict[Path, tuple[bytes, TaskSpec | MtebkitError]] = {}


def _load_once(path: Path) -> TaskSpec:
    """:func:`load_spec` of ``path``, parsed again only when the file changed."""
    try:
        key = hashlib.sha256(read_regular(path, TaskSpecError, SPEC_MAX_BYTES)).digest()
    except TaskSpecError:
        return load_spec(path)  # not readable, or too big: the loader says so
    hit = _LOADED.get(path)
    if hit is not None and hit[0] == key:
        if isinstance(hit[1], MtebkitError):
            raise hit[1]
        hit[1].check_paths(path)  # cheap, and a data symlink may have moved since
        return hit[1]
    try:
        spec = load_spec(path)
    except MtebkitError as exc:
        _LOADED[path] = (key, exc)
        raise
    _LOADED[path] = (key, spec)
    return spec


def discover_specs(spec_paths: Sequence[Path | SpecPath] | None = None) -> SpecCatalog:
    """Every spec on the spec paths (default :func:`default_spec_paths`).

    Paths given explicitly are searched in full; the packaged demo is always included. A file
    that fails to load is kept in :attr:`SpecCatalog.broken`; two specs of one name raise.
    """
    if spec_paths is None:
        entries = default_spec_paths()
    else:
        entries = [SpecPath(demo_dir())] + [
            p if isinstance(p, SpecPath) else SpecPath(Path(p)) for p in spec_paths
        ]
    catalog = SpecCatalog()
    seen: set[Path] = set()
    for entry in entries:
        for f in _spec_files(entry):
            if f in seen:
                continue
            seen.add(f)
            if entry.declared_only and not declares_spec_format(f):
                logger.debug(
                    "skipping %s: not an mtebkit task spec (no 'format: %s')", f, SPEC_FORMAT
                )
                continue
            try:
                spec = _load_once(f)
            except MtebkitError as exc:
                catalog.broken[f] = exc
                logger.debug("task spec %s cannot be loaded: %s", f, exc)
                continue
            except Exception as exc:  # one bad file stays that file's error
                catalog.broken[f] = TaskSpecError(
                    f"{f}: cannot be loaded: {type(exc).__name__}: {exc}"
                )
                continue
            if spec.name in catalog.specs:
                raise DuplicateNameError(
                    f"custom task name {spec.name!r} is defined twice: "
                    f"{catalog.specs[spec.name][0]} and {f}"
                )
            catalog.specs[spec.name] = (f, spec)
    return catalog
