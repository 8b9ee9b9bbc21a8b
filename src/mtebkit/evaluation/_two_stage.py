"""Two-stage retrieval, as the bge model cards recommend: embed-retrieve top-k, then rerank.

Stage 1 runs the embedder through ``mteb.evaluate`` with a prediction folder, which stores each
query's ranked documents. mteb's own ``AbsTaskRetrieval.convert_to_reranking(folder, top_k)``
turns those into ``top_ranked`` candidate lists (the first ``top_k`` by stage-1 score), and
stage 2 runs the cross-encoder through ``mteb.evaluate`` on them, so the scores come from
mteb's retrieval evaluator. The stage-1 model is recorded by mteb in the scores
(``previous_results_model_meta``).

Stage 2 works on a copy of the task (its own dataset dictionaries), so the caller's task is
left as it was given. Nothing is written except the predictions in a temporary folder.
"""

from __future__ import annotations

import copy
import logging
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from mtebkit.errors import MtebkitError

if TYPE_CHECKING:
    from mteb.abstasks.abstask import AbsTask
    from mteb.abstasks.retrieval import AbsTaskRetrieval
    from mteb.results import TaskResult

__all__ = ["evaluate_one", "evaluate_two_stage"]

logger = logging.getLogger(__name__)


def evaluate_one(
    model: Any, task: AbsTask, *, encode_kwargs: Mapping[str, Any], **kw: Any
) -> TaskResult:
    """``mteb.evaluate`` of one model on one task, no cache; an mteb error becomes MtebkitError."""
    import mteb

    res = mteb.evaluate(
        model,
        task,
        cache=None,
        encode_kwargs=cast(Any, dict(encode_kwargs)),
        overwrite_strategy="always",
        show_progress_bar=False,
        co2_tracker=False,
        **kw,
    )
    if res.exceptions:
        raise MtebkitError(f"{task.metadata.name}: {res.exceptions[0].exception}")
    (result,) = res.task_results
    return result


def _working_copy(task: AbsTaskRetrieval) -> AbsTaskRetrieval:
    """A copy that ``convert_to_reranking`` may change without touching ``task``.

    The loaded data is shared (read only); the dictionaries that stage 2 rewrites are new.
    """
    work = copy.copy(task)
    if task.data_loaded:
        work.dataset = {
            sub: {split: dict(data) for split, data in splits.items()}  # type: ignore[misc]
            for sub, splits in task.dataset.items()
        }
    return work


def evaluate_two_stage(
    embedder: Any,
    reranker: Any,
    tasks: Sequence[AbsTask],
    *,
    top_k: int = 100,
    encode_kwargs: Mapping[str, Any] | None = None,
    rerank_kwargs: Mapping[str, Any] | None = None,
) -> list[TaskResult]:
    """Retrieve ``top_k`` documents per query with ``embedder``, rerank them with ``reranker``.

    Args:
        embedder: any mteb ``EncoderProtocol`` (e.g. :class:`mtebkit.Embedder`).
        reranker: any mteb ``CrossEncoderProtocol`` (e.g. :class:`mtebkit.Reranker`).
        tasks: retrieval or reranking tasks (``AbsTaskRetrieval``).
        top_k: candidates per query passed to the reranker.
        encode_kwargs: passed to the embedder (stage 1).
        rerank_kwargs: passed to the reranker's ``predict`` (default: ``encode_kwargs``).

    Returns:
        One ``TaskResult`` per task, scored on the reranked lists (the reranker's results).
    """
    from mteb.abstasks.retrieval import AbsTaskRetrieval

    if top_k < 1:
        raise MtebkitError(f"top_k must be >= 1, not {top_k}")
    enc_kw = dict(encode_kwargs or {})
    rr_kw = dict(rerank_kwargs) if rerank_kwargs is not None else enc_kw
    results = []
    for task in tasks:
        if not isinstance(task, AbsTaskRetrieval):
            raise MtebkitError(
                f"two-stage evaluation needs a retrieval or reranking task; "
                f"{task.metadata.name} is {task.metadata.type}"
            )
        results.append(_one(embedder, reranker, task, top_k, enc_kw, rr_kw))
    return results


def _one(
    embedder: Any,
    reranker: Any,
    task: AbsTaskRetrieval,
    top_k: int,
    enc_kw: dict[str, Any],
    rr_kw: dict[str, Any],
) -> TaskResult:
    was_loaded = bool(task.data_loaded)
    if not was_loaded:
        task.load_data()
    tmp = Path(tempfile.mkdtemp(prefix="mtebkit-two-stage-"))
    try:
        first = evaluate_one(embedder, task, encode_kwargs=enc_kw, prediction_folder=tmp)
        logger.info(
            "%s: stage 1 (%s) main score %.4f; reranking top %d",
            task.metadata.name,
            embedder.mteb_model_meta.name,
            first.get_score(),
            top_k,
        )
        stage2 = _working_copy(task).convert_to_reranking(tmp, top_k=top_k)
        return evaluate_one(reranker, stage2, encode_kwargs=rr_kw)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not was_loaded and task.data_loaded:
            task.unload_data()
