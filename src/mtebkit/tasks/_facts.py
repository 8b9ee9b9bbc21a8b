"""What reading a result file needs to know of its task (type, main metric, eval splits),
without importing mteb.

``import mteb`` builds mteb's whole task registry (seconds); the commands that only read
results (``check``, ``compare``, ``report``, ``baseline save``) need three facts per task name.
Those of mteb's native tasks and mtebkit's built-in tasks come from a snapshot shipped with the
package (``mteb_task_facts.json``, written by :func:`write_snapshot` from the live registry of
the mteb version it names); specs are read from their YAML. Only when the installed mteb is
another version than the snapshot's is mteb's registry asked (through
:func:`mtebkit.tasks.describe_task`), since its tasks may then differ.
``tests/tasks/test_task_facts.py`` keeps the snapshot equal to the live registry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import metadata, resources
from pathlib import Path

__all__ = ["SNAPSHOT_NAME", "TaskFacts", "live_facts", "task_facts", "write_snapshot"]

SNAPSHOT_NAME = "mteb_task_facts.json"


@dataclass(frozen=True)
class TaskFacts:
    """Type, main metric and evaluation splits of a task (the fields of :class:`TaskInfo`
    that reading results uses)."""

    name: str
    type: str
    main_score: str
    splits: tuple[str, ...]


def _installed_mteb() -> str | None:
    try:
        return metadata.version("mteb")
    except metadata.PackageNotFoundError:
        return None


@cache
def _snapshot() -> dict[str, TaskFacts] | None:
    """The shipped facts of native and built-in tasks; None when they are not for the
    installed mteb (or cannot be read), so that mteb itself is asked."""
    try:
        text = (resources.files("mtebkit.tasks") / SNAPSHOT_NAME).read_text(encoding="utf-8")
        data = json.loads(text)
        if data.get("mteb_version") != _installed_mteb():
            return None
        return {
            name: TaskFacts(name, str(t), str(m), tuple(str(s) for s in splits))
            for name, (t, m, splits) in data["tasks"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _spec_facts(name: str) -> TaskFacts | None:
    from mtebkit.tasks._discovery import discover_specs
    from mtebkit.tasks._spec import SPEC_TYPE_NAMES

    found = discover_specs(None).specs.get(name)
    if found is None:
        return None
    spec = found[1]
    return TaskFacts(name, SPEC_TYPE_NAMES[spec.type], spec.main_score, tuple(spec.eval_splits))


@cache
def task_facts(name: str) -> TaskFacts | None:
    """What the catalogue (default spec paths) knows of ``name``; None if unknown.

    The same answer as :func:`mtebkit.tasks.describe_task`, in the same order (native, then
    built-in, then specs), without mteb when the snapshot fits the installed mteb.
    """
    snap = _snapshot()
    if snap is None:
        # another mteb than the snapshot's: only its registry knows its tasks (slow import)
        from mtebkit.tasks._catalog import describe_task

        info = describe_task(name)
        if info is None:
            return None
        return TaskFacts(info.name, info.type, info.main_score, info.splits)
    found = snap.get(name)
    return found if found is not None else _spec_facts(name)


def live_facts() -> dict[str, TaskFacts]:
    """The facts of every native and built-in task, from mteb's live registry (imports mteb)."""
    from mtebkit.tasks._catalog import _builtin_classes, _hub_info, _native_classes

    native = _native_classes()
    classes = {**native, **_builtin_classes(native)}
    out = {}
    for name, cls in classes.items():
        info = _hub_info(cls, "native", None)
        out[name] = TaskFacts(name, info.type, info.main_score, info.splits)
    return out


def write_snapshot(path: Path | None = None) -> Path:
    """Write the snapshot for the installed mteb (one task a line, sorted, for readable diffs)."""
    target = path or Path(__file__).with_name(SNAPSHOT_NAME)
    facts = live_facts()
    lines = [
        f"  {json.dumps(n)}: {json.dumps([f.type, f.main_score, list(f.splits)])}"
        for n, f in sorted(facts.items())
    ]
    text = (
        "{\n"
        f'"mteb_version": {json.dumps(_installed_mteb())},\n'
        '"tasks": {\n' + ",\n".join(lines) + "\n}\n}\n"
    )
    target.write_text(text, encoding="utf-8")
    return target


if __name__ == "__main__":  # pragma: no cover
    print(f"wrote {write_snapshot()}")
