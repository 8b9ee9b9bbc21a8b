"""The reranker protocol: depth sweeps and fixed first-stage candidates (issue 11, item 3).

A sweep runs stage 1 once and scores each (query, document) pair once; each cut must equal a
plain two-stage run at that depth. Fixed candidates (a TREC run, an mteb predictions file)
equal the embedder's stage 1 when they hold the same lists, and bad runs are named errors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mtebkit import MtebkitError, Reranker
from mtebkit.errors import DataError
from mtebkit.evaluation import FirstStageRun, evaluate_depth_sweep, evaluate_one, evaluate_two_stage
from mtebkit.tasks import get_tasks
from tests.helpers.two_stage import CORPUS, QUERIES, HashEncoder, trec_lines

DEPTHS = [3, 8]


class CountingReranker:
    """Delegates to a reranker and counts the pairs it is asked to score."""

    def __init__(self, inner: Reranker) -> None:
        self.inner = inner
        self.pairs = 0

    @property
    def mteb_model_meta(self) -> Any:
        return self.inner.mteb_model_meta

    def predict(self, inputs1: Any, inputs2: Any, **kw: Any) -> Any:
        out = self.inner.predict(inputs1, inputs2, **kw)
        self.pairs += len(out)
        return out


def _task(folder: Path) -> Any:
    (task,) = get_tasks(["TinyRetrieval"], spec_paths=[folder])
    return task


def _scores(result: Any) -> dict[str, Any]:
    """The metrics of the one split, without mteb's timing."""
    (row,) = result.scores["test"]
    return {k: v for k, v in row.items() if "time" not in k}


@pytest.mark.slow  # an end-to-end run: kept out of the fast loop
def test_each_cut_of_a_sweep_equals_a_plain_run_and_pairs_are_scored_once(
    reranker: Reranker,
    spec_dir: Path,
) -> None:
    counting = CountingReranker(reranker)
    (sweep,) = evaluate_depth_sweep(HashEncoder(), counting, [_task(spec_dir)], depths=DEPTHS)
    assert sorted(sweep) == DEPTHS
    # the deepest pass scores every pair; the shallower cuts score none again
    assert counting.pairs == len(QUERIES) * max(DEPTHS)
    for depth in DEPTHS:
        (plain,) = evaluate_two_stage(HashEncoder(), reranker, [_task(spec_dir)], top_k=depth)
        assert _scores(sweep[depth]) == _scores(plain), depth
    # the cuts differ from each other (else the comparison above proves nothing)
    assert _scores(sweep[3]) != _scores(sweep[8])


@pytest.mark.slow  # an end-to-end run: kept out of the fast loop
def test_trec_and_mteb_predictions_candidates_equal_the_embedders_stage_1(
    reranker: Reranker,
    spec_dir: Path,
    tmp_path: Path,
) -> None:
    trec = tmp_path / "hash.trec"
    trec.write_text("\n".join(trec_lines(8)) + "\n", encoding="utf-8")
    preds = tmp_path / "preds"
    evaluate_one(HashEncoder(), _task(spec_dir), encode_kwargs={}, prediction_folder=preds)
    plain = {
        d: evaluate_two_stage(HashEncoder(), reranker, [_task(spec_dir)], top_k=d)[0]
        for d in (3, 8)
    }
    for path in (trec, preds):
        run = FirstStageRun.of(path, "TinyRetrieval")
        (sweep,) = evaluate_depth_sweep(
            None, reranker, [_task(spec_dir)], depths=[3, 8], first_stage={"TinyRetrieval": run}
        )
        for d in (3, 8):
            got, want = _scores(sweep[d]), _scores(plain[d])
            meta = got.pop("previous_results_model_meta")
            want.pop("previous_results_model_meta")
            assert got == want, (path.name, d)
            assert meta["model_name"] == run.label  # mteb records where the candidates came from


def test_candidates_are_ordered_by_score_not_by_rank(
    reranker: Reranker,
    spec_dir: Path,
    tmp_path: Path,
) -> None:
    # ranks reversed, scores intact: trec_eval's rule (order by score) gives the same top 3
    lines = trec_lines(8)
    flipped = []
    for line in lines:
        q, z, d, rank, score, tag = line.split()
        flipped.append(f"{q} {z} {d} {9 - int(rank)} {score} {tag}")
    a, b = tmp_path / "a.trec", tmp_path / "b.trec"
    a.write_text("\n".join(lines), encoding="utf-8")
    b.write_text("\n".join(reversed(flipped)), encoding="utf-8")
    res = [
        evaluate_two_stage(
            None,
            reranker,
            [_task(spec_dir)],
            top_k=3,
            first_stage={"TinyRetrieval": FirstStageRun.of(p, "TinyRetrieval")},
        )[0]
        for p in (a, b)
    ]
    assert _scores(res[0])["ndcg_at_10"] == _scores(res[1])["ndcg_at_10"]


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("q1 Q0 d1 1 0.5", r"bad\.trec:2: expected 6 fields"),
        ("q1 Q0 d1 first 0.5 t", r"bad\.trec:2: rank 'first' is not a whole number"),
        ("q1 Q0 d1 1 nan t", r"bad\.trec:2: score 'nan' is not a finite number"),
        (
            "q1 Q0 d2 2 0.4 t",
            r"bad\.trec:2: query q1 lists document d2 again \(first .*bad\.trec:1\)",
        ),
        ("q9 Q0 d1 1 0.5 t", r"bad\.trec:2: query id 'q9' is not a query of TinyRetrieval"),
        ("q1 Q0 d99 2 0.4 t", r"bad\.trec:2: document id 'd99' is not in the corpus"),
    ],
)
def test_bad_run_lines_are_named_errors_at_file_and_line(
    reranker: Reranker,
    spec_dir: Path,
    tmp_path: Path,
    line: str,
    match: str,
) -> None:
    bad = tmp_path / "bad.trec"
    bad.write_text(f"q1 Q0 d2 1 0.9 t\n{line}\n", encoding="utf-8")
    counting = CountingReranker(reranker)
    with pytest.raises(DataError, match=match):
        evaluate_two_stage(
            None,
            counting,
            [_task(spec_dir)],
            top_k=1,
            first_stage={"TinyRetrieval": FirstStageRun.of(bad, "TinyRetrieval")},
        )
    assert counting.pairs == 0


def test_a_depth_deeper_than_the_candidates_names_the_short_queries(
    reranker: Reranker,
    spec_dir: Path,
    tmp_path: Path,
) -> None:
    lines = [ln for ln in trec_lines(5) if not (ln.startswith("q3 ") and int(ln.split()[3]) > 2)]
    run_file = tmp_path / "short.trec"
    run_file.write_text("\n".join(lines), encoding="utf-8")
    run = FirstStageRun.of(run_file, "TinyRetrieval")
    counting = CountingReranker(reranker)
    with pytest.raises(
        MtebkitError, match=r"--rerank-top-k 4 is deeper .* 1 of 4 queries: q3 \(2\)"
    ):
        evaluate_depth_sweep(
            None, counting, [_task(spec_dir)], depths=[2, 4], first_stage={"TinyRetrieval": run}
        )
    assert counting.pairs == 0
    # a computed first stage keeps at most the corpus (8 documents): 9 is refused before encoding
    with pytest.raises(MtebkitError, match=r"deeper than the candidate lists of 4 of 4 queries"):
        evaluate_two_stage(HashEncoder(), counting, [_task(spec_dir)], top_k=9)
    assert counting.pairs == 0
    # unchecked (the CLI's default depth): the shorter lists are reranked whole
    (res,) = evaluate_two_stage(
        HashEncoder(), counting, [_task(spec_dir)], top_k=9, strict_depth=False
    )
    assert counting.pairs == len(QUERIES) * len(CORPUS)
    assert _scores(res)["recall_at_10"] == pytest.approx(1.0)


def test_depths_must_be_positive(reranker: Reranker, spec_dir: Path) -> None:
    for bad in ([0], [5, -1], []):
        with pytest.raises(MtebkitError, match="top_k must be >= 1"):
            evaluate_depth_sweep(HashEncoder(), reranker, [_task(spec_dir)], depths=bad)


def test_predictions_file_with_unknown_ids(
    reranker: Reranker,
    spec_dir: Path,
    tmp_path: Path,
) -> None:
    for data, match in (
        ({"default": {"test": {"q7": {"d1": 1.0}}}}, r"\[default\]\[test\]\['q7'\]: query id 'q7'"),
        ({"default": {"test": {"q1": {"dX": 1.0}}}}, r"\['q1'\]: document id 'dX' is not in"),
        ({"default": {"test": {"q1": {"d1": "high"}}}}, r"\['q1'\]: not \{docid: finite score\}"),
    ):
        path = tmp_path / "TinyRetrieval_predictions.json"
        path.write_text(json.dumps({"mteb_model_meta": {}, **data}), encoding="utf-8")
        run = FirstStageRun.of(tmp_path, "TinyRetrieval")  # the folder: <Task>_predictions.json
        with pytest.raises(DataError, match=match):
            evaluate_two_stage(
                None, reranker, [_task(spec_dir)], top_k=1, first_stage={"TinyRetrieval": run}
            )


def test_the_memo_answers_only_known_pairs(reranker: Reranker) -> None:
    from mtebkit.evaluation._two_stage import PairScoreMemo

    counting = CountingReranker(reranker)
    memo = PairScoreMemo(counting)
    q = [{"text": ["what does the cat eat", "who sings music"]}]
    d = [{"text": ["the cat eats food", "the woman sings"]}]
    first = memo.predict(q, d)
    again = memo.predict(q[:1], d[:1])
    assert counting.pairs == 2 and np.array_equal(first, again)
    memo.predict([{"text": ["a new query"]}], [{"text": ["the cat eats food"]}])
    assert counting.pairs == 3 and memo.scored == 3
