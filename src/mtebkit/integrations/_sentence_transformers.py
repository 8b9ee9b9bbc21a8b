"""``MtebkitEvaluator``: mtebkit's tasks as a sentence-transformers evaluator, in the training loop.

At each evaluation step the trainer hands the evaluator its in-memory model. The evaluator saves
it into a temporary folder named ``<run>-step-<step>`` and evaluates that folder exactly as a
checkpoint sweep evaluates a saved checkpoint (:func:`~mtebkit.sweeps.evaluate_checkpoint`: the
same planning, the same model loading, results and item scores filed under
``<results>/candidates/`` as ``local/<run>-step-<step>`` at revision ``fp-<weights sha256>``, the
fingerprint of the weights file just saved), then deletes the folder: no checkpoint is kept, and
nothing is evaluated another way than ``mtebkit run`` would. ``sweep.json`` is rewritten after
each step (:func:`~mtebkit.sweeps.write_sweep`), so ``mtebkit report <results>`` draws the
curves of a run that never saved a checkpoint.

What it returns, ``{<name>_<task>: main score, <name>_average: their mean}`` (0-1), is what the
trainer logs (as ``eval_<name>_<task>``) through its own loggers, TensorBoard included.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentence_transformers import SentenceTransformer

from mtebkit.errors import ConfigError, SplitMissingError, UnknownNameError
from mtebkit.evaluation import task_splits
from mtebkit.results import SWEEP_FILE, SweepCandidate, read_sweep_file
from mtebkit.sweeps import (
    Checkpoint,
    SweepConfig,
    SweepOptions,
    check_select_split,
    evaluate_checkpoint,
    write_sweep,
)

try:
    from sentence_transformers.sentence_transformer.evaluation import SentenceEvaluator
except ImportError:  # pragma: no cover - sentence-transformers before 5.4
    from sentence_transformers.evaluation import (  # type: ignore[no-redef,attr-defined,unused-ignore]
        SentenceEvaluator,
    )

if TYPE_CHECKING:
    from sentence_transformers.base.model import BaseModel

__all__ = ["UNSTEPPED_DIR", "MtebkitEvaluator"]

logger = logging.getLogger(__name__)

UNSTEPPED_DIR = "unstepped"
"""Where a call outside training (``steps < 0``) files its results: off the curve."""

# a placeholder until the trainer says where it writes (the first call's output_path)
_NOT_YET = Path("mtebkit-evaluator-output")
# in a training loop: no embedding cache (every step's weights are new), no progress display
_RUN_DEFAULTS: dict[str, Any] = {"use_cache": False, "show_progress": False}


def _checked_tasks(tasks: object) -> list[str]:
    if isinstance(tasks, str) or not isinstance(tasks, Sequence) or not tasks:
        raise ConfigError(
            f"MtebkitEvaluator tasks: give a non-empty list of task names, not {tasks!r}"
        )
    bad = [t for t in tasks if not isinstance(t, str) or not t]
    if bad:
        raise ConfigError(f"MtebkitEvaluator tasks: not task names: {bad!r}")
    return [str(t) for t in tasks]


def _checked_name(value: str, what: str) -> str:
    if not value or "/" in value or "\\" in value or value in (".", ".."):
        raise ConfigError(f"MtebkitEvaluator {what}: {value!r} is not usable as a folder name")
    return value


class MtebkitEvaluator(SentenceEvaluator):
    """Evaluate the model being trained on mtebkit tasks at each evaluation step.

    Args:
        tasks: task names (the catalogue's, custom specs' with ``spec_paths=``).
        split: the split every step is scored on (e.g. ``"validation"``): refused now when a
            task lacks it. None: each task's own evaluation splits (usually test; the sweep
            file then records the curve as not dev-selected).
        data_dir: the offline dataset mirror (``--data-dir``).
        results_dir: where the steps' results and ``sweep.json`` go; default
            ``<output_path>/mtebkit``, i.e. ``<output_dir>/eval/mtebkit`` under the trainer.
        run_name: the models' name before ``-step-<step>``; default the trainer's output folder
            name.
        name: the prefix of the returned metric names.
        run_options: any other ``mtebkit run`` option (``spec_paths``, ``batch_size``,
            ``devices``, ...); by default no embedding cache, no progress display, and the
            model's own device.

    :raises UnknownNameError: a task name is unknown (the closest names suggested).
    :raises SplitMissingError: a task has no ``split``.
    :raises ConfigError: any other option is invalid (it is named).
    """

    def __init__(
        self,
        tasks: Sequence[str],
        split: str | None = None,
        *,
        data_dir: str | Path | None = None,
        results_dir: str | Path | None = None,
        run_name: str | None = None,
        name: str = "mtebkit",
        **run_options: Any,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call,unused-ignore]
        names = _checked_tasks(tasks)
        for key in run_options:
            if key in SweepOptions.model_fields or key == "models":
                raise ConfigError(
                    f"MtebkitEvaluator: {key!r} is not an option here (the model is the one "
                    "being trained; the split is split=)"
                )
        if split is not None and (not isinstance(split, str) or not split):
            raise ConfigError(f"MtebkitEvaluator split: a split name or None, not {split!r}")
        self.split = split
        self.name = name
        self.run_name = _checked_name(run_name, "run_name") if run_name is not None else None
        self.results_dir = Path(results_dir) if results_dir is not None else None
        try:
            self._config = SweepConfig(
                directory=_NOT_YET,
                select_on=split,
                tasks=names,
                data_dir=data_dir,
                results_dir=self.results_dir or _NOT_YET,
                **{**_RUN_DEFAULTS, **run_options},
            )
        except ConfigError as exc:
            raise ConfigError(f"MtebkitEvaluator: {exc}") from None
        run = self._config.run
        try:
            self.tasks: list[str] = (
                check_select_split(run, split) if split is not None else sorted(task_splits(run))
            )
        except UnknownNameError as exc:
            raise UnknownNameError(f"MtebkitEvaluator tasks: {exc}") from None
        except SplitMissingError as exc:
            lines = "; ".join(
                f"{t} has {', '.join(s) or 'none'}" for t, s in sorted(exc.missing.items())
            )
            raise SplitMissingError(
                f"MtebkitEvaluator split={split!r}: {len(exc.missing)} task(s) have no {split!r} "
                f"split ({lines}); choose tasks with that split, or another split",
                exc.missing,
            ) from None
        self._device_given = "devices" in run_options
        self._candidates: dict[int, SweepCandidate] | None = None  # read back on the first step
        self.primary_metric = "average"
        self.greater_is_better = True

    # ------------------------------------------------------------------ where things go

    def _where(self, output_path: str | None) -> tuple[Path, Path, str]:
        """(results folder, the training run's folder, the run's name)."""
        if self.results_dir is None and output_path is None:
            raise ConfigError(
                "MtebkitEvaluator results_dir: not given, and the caller gave no output_path "
                "(SentenceTransformerTrainer gives <output_dir>/eval): pass results_dir="
            )
        if output_path is not None:
            out = Path(output_path)
            directory = out.parent if out.name == "eval" else out
            results = self.results_dir or out / "mtebkit"
        else:
            assert self.results_dir is not None
            directory = results = self.results_dir
        name = self.run_name or _checked_name(directory.resolve().name, "run_name")
        return results, directory, name

    def _known(self, results: Path, directory: Path) -> dict[int, SweepCandidate]:
        """The steps already in ``results``' sweep.json (a resumed training), once."""
        if self._candidates is not None:
            return self._candidates
        known: dict[int, SweepCandidate] = {}
        if (results / SWEEP_FILE).is_file():
            before = read_sweep_file(results)
            if (before.directory, before.tasks, before.split) != (
                str(directory),
                self.tasks,
                self.split,
            ):
                raise ConfigError(
                    f"MtebkitEvaluator results_dir: {results / SWEEP_FILE} is a curve of "
                    f"{before.directory} on {', '.join(before.tasks)} ({before.split or 'own splits'}),"
                    f" not of {directory} on {', '.join(self.tasks)} ({self.split or 'own splits'}): "
                    "give another results_dir"
                )
            known = {c.step: c for c in before.candidates if c.status != "skipped"}
        self._candidates = known  # only once the folder is known to hold this curve
        return known

    # ------------------------------------------------------------------ the evaluation

    def __call__(
        self,
        model: BaseModel,
        output_path: str | None = None,
        epoch: float = -1,
        steps: int = -1,
    ) -> dict[str, float]:
        if not isinstance(model, SentenceTransformer):
            raise ConfigError(
                f"MtebkitEvaluator model: a SentenceTransformer, not {type(model).__name__}"
            )
        results, directory, run_name = self._where(output_path)
        step = int(steps)
        on_curve = step >= 0
        options: dict[str, Any] = {"results_dir": results if on_curve else results / UNSTEPPED_DIR}
        if not self._device_given:
            options["devices"] = [str(model.device)]
        config = SweepConfig(
            sweep={**self._config.sweep.model_dump(), "directory": directory},
            run=self._config.run.replace(**options),
        )
        known = self._known(results, directory) if on_curve else {}
        folder_name = f"{run_name}-step-{step}" if on_curve else run_name
        with tempfile.TemporaryDirectory(prefix="mtebkit-evaluator-") as tmp:
            folder = Path(tmp) / folder_name
            model.save(str(folder), create_model_card=False)
            candidate, _ = evaluate_checkpoint(config, Checkpoint(step, folder))
        where = f"{directory} at step {step}" if on_curve else f"{directory} outside training"
        candidate = dataclasses.replace(candidate, path=f"{where} (in memory; weights not kept)")
        if candidate.status != "evaluated":
            logger.warning("MtebkitEvaluator, %s: %s", where, candidate.error)
        if on_curve:
            known[step] = candidate
            write_sweep(config, [known[s] for s in sorted(known)], self.tasks)
        metrics = {t: candidate.scores.get(t, math.nan) for t in self.tasks}
        metrics["average"] = candidate.average if candidate.average is not None else math.nan
        metrics = self.prefix_name_to_metrics(metrics, self.name)
        self.store_metrics_in_model_card_data(model, metrics, int(epoch), step)
        return metrics

    @property
    def description(self) -> str:
        return "mtebkit"

    def get_config_dict(self) -> dict[str, Any]:
        return {"tasks": list(self.tasks), "split": self.split}
