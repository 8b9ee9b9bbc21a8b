"""Two-stage retrieval, as the bge model cards recommend: embed-retrieve top-k, then rerank.

Stage 1 runs the embedder through ``mteb.evaluate`` with a prediction folder, which stores each
query's ranked documents. mteb's own ``AbsTaskRetrieval.convert_to_reranking(folder, top_k)``
turns those into ``top_ranked`` candidate lists (the first ``top_k`` by stage-1 score), and
stage 2 runs the cross-encoder through ``mteb.evaluate`` on them, so the scores come from
mteb's retrieval evaluator. The stage-1 model is recorded by mteb in the scores
(``previous_results_model_meta``).

Nothing is written except the predictions in a temporary folder, removed afterwards. The task
objects are left as they were given (data loaded or not; ``top_ranked`` restored).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from mtebkit._errors import MtebkitError

if TYPE_CHECKING:
    from mteb.abstasks.abstask import AbsTask
    from mteb.results import TaskResult

__all__ = ["evaluate_two_stage"]

logger = logging.getLogger(__name__)

_SENTINEL = object()


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
    task: Any,
    top_k: int,
    enc_kw: dict[str, Any],
    rr_kw: dict[str, Any],
) -> TaskResult:
    was_loaded = bool(task.data_loaded)
    if not was_loaded:
        task.load_data()
    saved_top_ranked = {
        (sub, split): data.get("top_ranked")
        for sub, splits in task.dataset.items()
        for split, data in splits.items()
    }
    saved_top_k = task.__dict__.get("_top_k", _SENTINEL)
    saved_prev = task.__dict__.get("_previous_results_model_meta", _SENTINEL)
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
        task.convert_to_reranking(tmp, top_k=top_k)
        return evaluate_one(reranker, task, encode_kwargs=rr_kw)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        for attr, value in (("_top_k", saved_top_k), ("_previous_results_model_meta", saved_prev)):
            if value is _SENTINEL:
                task.__dict__.pop(attr, None)
            else:
                setattr(task, attr, value)
        if was_loaded:
            for (sub, split), value in saved_top_ranked.items():
                task.dataset[sub][split]["top_ranked"] = value
        elif task.data_loaded:
            task.unload_data()
