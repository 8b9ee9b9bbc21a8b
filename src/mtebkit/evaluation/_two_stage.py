"""Two-stage retrieval, as the bge model cards recommend: embed-retrieve top-k, then rerank.

Stage 1 runs the embedder through ``mteb.evaluate`` with a prediction folder, which stores each
query's ranked documents. mteb's own ``AbsTaskRetrieval.convert_to_reranking(folder, top_k)``
turns those into ``top_ranked`` candidate lists (the first ``top_k`` by stage-1 score), and
stage 2 runs the cross-encoder through ``mteb.evaluate`` on them, so the scores come from
mteb's retrieval evaluator. The stage-1 model is recorded by mteb in the scores
(``previous_results_model_meta``).

Stage 2 works on a copy of the task (its own dataset dictionaries), so the caller's task is
left as it was given. Nothing is written except the predictions in a temporary folder.

A depth sweep (:func:`evaluate_depth_sweep`) runs stage 1 once and stage 2 once per depth,
deepest first, through a :class:`PairScoreMemo`: the deepest pass scores every (query,
document) pair with the reranker, exactly as a plain run at that depth does; the shallower cuts
(the first ``k`` of the same stage-1 lists) find every pair already scored. Fixed candidates
(``first_stage``: a TREC run or an mteb predictions file) replace stage 1.
"""

from __future__ import annotations

import copy
import logging
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from mtebkit.errors import ConfigError, MtebkitError
from mtebkit.evaluation._first_stage import (
    FirstStageRun,
    candidate_counts,
    check_depth,
    load_candidates,
    predictions_json,
    validate_candidates,
)

if TYPE_CHECKING:
    from mteb.abstasks.abstask import AbsTask
    from mteb.abstasks.retrieval import AbsTaskRetrieval
    from mteb.results import TaskResult

__all__ = ["PairScoreMemo", "evaluate_depth_sweep", "evaluate_one", "evaluate_two_stage"]

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


class PairScoreMemo:
    """An mteb cross-encoder that scores each (query, document) text pair once.

    A call with any pair not seen before goes to ``reranker.predict`` whole (as mteb made it),
    so the first, deepest pass is exactly a plain run; a later call whose pairs are all known
    is answered from the memo. ``scored`` counts the pairs the reranker scored.
    """

    def __init__(self, reranker: Any) -> None:
        self.reranker = reranker
        self.memo: dict[tuple[str, str], float] = {}
        self.scored = 0

    @property
    def mteb_model_meta(self) -> Any:
        return self.reranker.mteb_model_meta

    def predict(self, inputs1: Any, inputs2: Any, **kwargs: Any) -> Any:
        import numpy as np

        queries = [t for batch in inputs1 for t in batch["text"]]
        docs = [t for batch in inputs2 for t in batch["text"]]
        keys = list(zip(queries, docs, strict=True))
        if all(k in self.memo for k in keys):
            return np.asarray([self.memo[k] for k in keys], dtype=np.float32)
        scores = np.asarray(self.reranker.predict(inputs1, inputs2, **kwargs), dtype=np.float32)
        self.scored += len(keys)
        self.memo.update(zip(keys, (float(s) for s in scores), strict=True))
        return scores


def _depths(top_k: int | Sequence[int]) -> list[int]:
    depths = [top_k] if isinstance(top_k, int) else list(top_k)
    bad = [d for d in depths if isinstance(d, bool) or not isinstance(d, int) or d < 1]
    if bad or not depths:
        raise ConfigError(f"top_k must be >= 1, not {bad[0] if bad else 'empty'}")
    return sorted(set(depths), reverse=True)


def evaluate_two_stage(
    embedder: Any,
    reranker: Any,
    tasks: Sequence[AbsTask],
    *,
    top_k: int = 100,
    encode_kwargs: Mapping[str, Any] | None = None,
    rerank_kwargs: Mapping[str, Any] | None = None,
    first_stage: Mapping[str, FirstStageRun] | None = None,
    strict_depth: bool = True,
) -> list[TaskResult]:
    """Retrieve ``top_k`` documents per query with ``embedder``, rerank them with ``reranker``.

    Args:
        embedder: any mteb ``EncoderProtocol`` (e.g. :class:`mtebkit.Embedder`).
        reranker: any mteb ``CrossEncoderProtocol`` (e.g. :class:`mtebkit.Reranker`).
        tasks: retrieval or reranking tasks (``AbsTaskRetrieval``).
        top_k: candidates per query passed to the reranker.
        encode_kwargs: passed to the embedder (stage 1).
        rerank_kwargs: passed to the reranker's ``predict`` (default: ``encode_kwargs``).
        first_stage: fixed candidates per task name (replacing the embedder's stage 1).
        strict_depth: refuse a ``top_k`` deeper than some query's candidate list.

    Returns:
        One ``TaskResult`` per task, scored on the reranked lists (the reranker's results).
    """
    sweeps = evaluate_depth_sweep(
        embedder,
        reranker,
        tasks,
        depths=[top_k],
        encode_kwargs=encode_kwargs,
        rerank_kwargs=rerank_kwargs,
        first_stage=first_stage,
        strict_depth=strict_depth,
    )
    return [s[top_k] for s in sweeps]


def evaluate_depth_sweep(
    embedder: Any,
    reranker: Any,
    tasks: Sequence[AbsTask],
    *,
    depths: Sequence[int],
    encode_kwargs: Mapping[str, Any] | None = None,
    rerank_kwargs: Mapping[str, Any] | None = None,
    first_stage: Mapping[str, FirstStageRun] | None = None,
    strict_depth: bool = True,
) -> list[dict[int, TaskResult]]:
    """Two-stage results at several depths: one stage 1, each pair reranked once.

    Args:
        depths: candidates per query at each cut (e.g. ``[10, 50, 100]``).
        first_stage: fixed candidates per task name (:class:`FirstStageRun`): stage 1 is not
            computed for those tasks (``embedder`` may then be None).
        strict_depth: refuse a depth deeper than some query's candidate list (False: rerank
            the shorter lists whole, as ``convert_to_reranking`` does).
        others: as :func:`evaluate_two_stage`.

    Returns:
        Per task, ``{depth: TaskResult}``. Raises :class:`MtebkitError` before reranking when a
        depth is deeper than some query's candidate list, or the candidates name unknown ids.
    """
    from mteb.abstasks.retrieval import AbsTaskRetrieval

    cuts = _depths(list(depths))
    enc_kw = dict(encode_kwargs or {})
    rr_kw = dict(rerank_kwargs) if rerank_kwargs is not None else enc_kw
    fixed = dict(first_stage or {})
    results = []
    for task in tasks:
        if not isinstance(task, AbsTaskRetrieval):
            raise ConfigError(
                f"two-stage evaluation needs a retrieval or reranking task; "
                f"{task.metadata.name} is {task.metadata.type}"
            )
        run = fixed.get(task.metadata.name)
        if run is None and embedder is None:
            raise MtebkitError(f"{task.metadata.name}: no embedder and no first-stage candidates")
        memo = PairScoreMemo(reranker)
        results.append(_one(embedder, memo, task, cuts, enc_kw, rr_kw, run, strict_depth))
    return results


def _one(
    embedder: Any,
    reranker: PairScoreMemo,
    task: AbsTaskRetrieval,
    depths: list[int],
    enc_kw: dict[str, Any],
    rr_kw: dict[str, Any],
    run: FirstStageRun | None,
    strict: bool,
) -> dict[int, TaskResult]:
    from mtebkit._util.paths import name_in, safe_name

    # mteb names its predictions file after the task: refuse a name that would leave tmp
    name = safe_name(task.metadata.name, kind="task")
    was_loaded = bool(task.data_loaded)
    if not was_loaded:
        task.load_data()
    tmp = Path(tempfile.mkdtemp(prefix="mtebkit-two-stage-"))
    try:
        if run is not None:
            cands, origins = load_candidates(run)
            validate_candidates(run, cands, origins, task)
            if strict:
                check_depth(candidate_counts(task, cands), depths[0], f"{name} ({run.path})")
            name_in(tmp, name, kind="task", suffix="_predictions.json").write_text(
                predictions_json(run, cands, task), encoding="utf-8"
            )
        else:
            if strict:
                check_depth(candidate_counts(task), depths[0], f"{name} (first stage)")
            first = evaluate_one(embedder, task, encode_kwargs=enc_kw, prediction_folder=tmp)
            logger.info(
                "%s: stage 1 (%s) main score %.4f; reranking top %s",
                name,
                embedder.mteb_model_meta.name,
                first.get_score(),
                "/".join(map(str, depths)),
            )
        out: dict[int, TaskResult] = {}
        for depth in depths:  # deepest first: it scores every pair the others need
            stage2 = _working_copy(task).convert_to_reranking(tmp, top_k=depth)
            out[depth] = evaluate_one(reranker, stage2, encode_kwargs=rr_kw)
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not was_loaded and task.data_loaded:
            task.unload_data()
