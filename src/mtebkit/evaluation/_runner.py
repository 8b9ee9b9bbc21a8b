"""``run_evaluation``: plan a run, execute it, return one record per task split.

Every task runs through ``mteb.evaluate``; mtebkit decides which model settings and
instructions apply, skips what is already done, and writes the results atomically.
``mtebkit run`` is a thin layer over this function.
"""

from __future__ import annotations

from collections.abc import Callable

from mtebkit.errors import ConfigError
from mtebkit.evaluation._config import RunConfig
from mtebkit.evaluation._execute import Executor, execute
from mtebkit.evaluation._executors import make_executor
from mtebkit.evaluation._jobs import TaskRecord
from mtebkit.evaluation._plan import plan

__all__ = ["run_evaluation"]


def run_evaluation(
    config: RunConfig,
    *,
    executor: Executor | None = None,
    on_record: Callable[[TaskRecord], None] | None = None,
) -> list[TaskRecord]:
    """Evaluate every model of ``config`` on its tasks; return one record per task split.

    Results are written to ``config.output.results_dir`` as soon as each task finishes. A task already
    done with identical settings is skipped unless ``config.output.overwrite``; one done with different
    settings under the same experiment name is refused, before anything runs, rather than
    silently replaced. ``executor`` defaults to the one ``config`` describes
    (:func:`make_executor`: here or on Ray, with the configured embedding cache and progress);
    one given replaces it, its own cache and progress included. With ``config.runtime.dry_run``
    it raises :class:`~mtebkit.errors.ConfigError` (use :func:`estimate`).
    """
    if config.runtime.dry_run:
        # never evaluate what was asked to be only planned (its estimate has another type)
        raise ConfigError(
            "dry_run: nothing is evaluated; mtebkit.evaluation.estimate(config) gives the "
            "plan's estimate (mtebkit run --dry-run prints it)"
        )
    jobs = plan(config)
    return execute(jobs, executor or make_executor(config), on_record=on_record)
