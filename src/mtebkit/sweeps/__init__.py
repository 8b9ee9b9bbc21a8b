"""Checkpoint sweeps: every checkpoint of a training run evaluated, one chosen on a dev split.

:func:`run_sweep` finds the ``checkpoint-<step>`` folders (:func:`find_checkpoints`), evaluates
each through :func:`~mtebkit.evaluation.run_evaluation`, chooses the best average on the
``select_on`` split, tests it against the first and the last checkpoint (the paired tests of
:mod:`mtebkit.reporting`), confirms it on the ``confirm`` tasks, and writes ``sweep.json``
(:class:`~mtebkit.results.SweepFile`). :func:`evaluate_checkpoint` and :func:`write_sweep` are its
two steps for a caller that has its checkpoints one at a time (``mtebkit.integrations``' evaluator
inside a training loop). It sits above evaluation and reporting, and uses both.
Names are imported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mtebkit._util.lazy import lazy_exports

__all__ = [
    "Checkpoint",
    "Discovery",
    "Skipped",
    "SweepConfig",
    "SweepOptions",
    "SweepOutcome",
    "check_select_split",
    "evaluate_checkpoint",
    "find_checkpoints",
    "run_sweep",
    "task_scores",
    "write_sweep",
]

__getattr__, __dir__ = lazy_exports(globals())

if TYPE_CHECKING:  # pragma: no cover
    from mtebkit.sweeps._config import SweepConfig, SweepOptions
    from mtebkit.sweeps._discover import Checkpoint, Discovery, Skipped, find_checkpoints
    from mtebkit.sweeps._run import (
        SweepOutcome,
        check_select_split,
        evaluate_checkpoint,
        run_sweep,
        task_scores,
        write_sweep,
    )
