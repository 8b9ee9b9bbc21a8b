"""Reproducing a published set of scores: which published tasks can run here, and running them.

:func:`plan_reproduction` sorts the task names of a model card (or a folder of published mteb
results) into three groups without loading any data: runnable (a task mtebkit knows whose data
is in the mirror, or needs none), not in the mirror (with the command that downloads its
dataset) and unknown (a name mtebkit does not know: listed, never an error).
:func:`run_reproduction` evaluates the runnable ones through :func:`run_evaluation`, which skips
every task already done with the same settings. :func:`model_for_published` picks the model to
evaluate when none is given: a card's bare ``model-index`` name becomes its hub id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from mtebkit._util.hub import hub_download_command
from mtebkit._util.registry import did_you_mean
from mtebkit.errors import ResultsError
from mtebkit.evaluation._config import RunConfig
from mtebkit.evaluation._jobs import TaskRecord
from mtebkit.evaluation._runner import run_evaluation
from mtebkit.results import ResultSet
from mtebkit.tasks import describe_task, resolve_data_dir

__all__ = [
    "NotInMirror",
    "ReproductionPlan",
    "model_for_published",
    "plan_reproduction",
    "run_reproduction",
]


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
    """Evaluate ``config.models`` on the plan's runnable tasks (``config.selection.tasks`` is replaced);
    tasks already done are skipped by the run itself. Nothing runnable: nothing runs."""
    if not plan.runnable:
        return []
    return run_evaluation(config.replace(tasks=list(plan.runnable)), on_record=on_record)


def model_for_published(published: ResultSet) -> tuple[str, str]:
    """The model to evaluate for ``published`` when ``--model`` is not given, and why it.

    A hub id (``org/name``) or an existing folder is taken as is. A bare name (a model card's
    ``model-index`` name, e.g. ``bge-base-en-v1.5``) becomes the repo id the card states, else
    the one preset of ``mtebkit models`` whose name after the org is it. Several or none: a
    :class:`ResultsError` listing the candidates and naming ``--model``.
    """
    models = published.models()
    if len(models) != 1:
        which = f"several ({', '.join(models)})" if models else "no model"
        raise ResultsError(f"--run needs --model: the published scores name {which}")
    name = models[0]
    if "/" in name or Path(name).expanduser().is_dir():
        return name, f"the model the published scores name, {name}"
    stated = published.meta.get(name, {}).get("hub_id")
    if isinstance(stated, str) and stated:
        return stated, f"{stated}, the repo id of the card (its model-index names {name!r})"
    from mtebkit.models import list_presets

    presets = [p.name for p in list_presets()]
    matches = [p for p in presets if p.lower().split("/")[-1] == name.lower()]
    if len(matches) == 1:
        return matches[0], (
            f"{matches[0]}, the one preset named {name!r} (the card's model-index name; "
            "pass --model to evaluate another)"
        )
    if matches:
        raise ResultsError(
            f"the published model name {name!r} is not a hub id and matches several presets "
            f"({', '.join(matches)}); pass the one to evaluate with --model"
        )
    hint = did_you_mean(name, presets) or f" Presets: {', '.join(presets)}."
    raise ResultsError(
        f"the published model name {name!r} is not a hub id (org/name) and matches no preset of "
        f"`mtebkit models`.{hint} Pass the hub id or a local folder with --model"
    )
