"""Reproducing a published set of scores: which published tasks can run here, and running them.

:func:`plan_reproduction` sorts the task names of a model card (or a folder of published mteb
results) into three groups without loading any data: runnable (a task mtebkit knows whose data
is in the mirror, or needs none), not in the mirror (with the command that downloads its
dataset) and unknown (a name mtebkit does not know: listed, never an error).
:func:`run_reproduction` evaluates the runnable ones through :func:`run_evaluation`, which skips
every task already done with the same settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from mtebkit._util.hub import hub_download_command
from mtebkit.evaluation._config import RunConfig
from mtebkit.evaluation._jobs import TaskRecord
from mtebkit.evaluation._runner import run_evaluation
from mtebkit.tasks import describe_task, resolve_data_dir

__all__ = ["NotInMirror", "ReproductionPlan", "plan_reproduction", "run_reproduction"]


@dataclass(frozen=True)
class NotInMirror:
    """A published task whose dataset folder is absent from the mirror."""

    task: str
    folder: Path
    download: str  # the command that fetches it into ``folder``


@dataclass(frozen=True)
class ReproductionPlan:
    runnable: tuple[str, ...]
    not_in_mirror: tuple[NotInMirror, ...]
    unknown: tuple[str, ...]

    def notes(self) -> list[str]:
        """One line per task that will not run, saying why (and how to fetch its data)."""
        lines = [
            f"not runnable: {m.task} (no data at {m.folder}); fetch it with: {m.download}"
            for m in self.not_in_mirror
        ]
        lines += [f"not runnable: {name} is not a task mtebkit knows" for name in self.unknown]
        return lines


def plan_reproduction(tasks: Iterable[str], data_dir: Path | None) -> ReproductionPlan:
    """Sort published task names (order kept, repeats once) by whether they can run here.

    ``data_dir`` None: ``$MTEBKIT_DATA_DIR``, else no mirror (every hub task then counts as
    runnable and loads as mteb would).
    """
    root = resolve_data_dir(data_dir)
    runnable: list[str] = []
    absent: list[NotInMirror] = []
    unknown: list[str] = []
    for name in dict.fromkeys(tasks):
        info = describe_task(name)
        if info is None:
            unknown.append(name)
            continue
        path, _, revision = info.source.partition("@")
        hub = info.kind in ("native", "builtin") and bool(path)
        if root is not None and hub and not (root / path).is_dir():
            folder = root / path
            cmd = hub_download_command(
                path, revision=revision or None, repo_type="dataset", local_dir=folder
            )
            absent.append(NotInMirror(name, folder, cmd))
            continue
        runnable.append(name)
    return ReproductionPlan(tuple(runnable), tuple(absent), tuple(unknown))


def run_reproduction(
    plan: ReproductionPlan,
    config: RunConfig,
    *,
    on_record: Callable[[TaskRecord], None] | None = None,
) -> list[TaskRecord]:
    """Evaluate ``config.models`` on the plan's runnable tasks (``config.tasks`` is replaced);
    tasks already done are skipped by the run itself. Nothing runnable: nothing runs."""
    if not plan.runnable:
        return []
    return run_evaluation(replace(config, tasks=list(plan.runnable)), on_record=on_record)
