"""Integrations with training libraries: mtebkit's evaluation inside a training loop.

:class:`MtebkitEvaluator` is a sentence-transformers evaluator: given to a
``SentenceTransformerTrainer`` (``evaluator=``), it evaluates the in-training model on mtebkit
tasks at each evaluation step, returns each task's main score and their average (which the
trainer logs through its own loggers: TensorBoard, W&B, ...), and files every step's results,
item scores included, as a checkpoint sweep files a checkpoint, with the ``sweep.json`` that
``mtebkit report`` draws the curves from. It sits at the top, beside the command line, and uses
the sweeps, evaluation and results faces. Names are imported lazily: importing this package
imports neither torch nor sentence-transformers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mtebkit._util.lazy import lazy_exports

__all__ = ["UNSTEPPED_DIR", "MtebkitEvaluator"]

__getattr__, __dir__ = lazy_exports(globals())

if TYPE_CHECKING:  # pragma: no cover
    from mtebkit.integrations._sentence_transformers import UNSTEPPED_DIR, MtebkitEvaluator
