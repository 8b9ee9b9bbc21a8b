"""The real all-MiniLM-L6-v2 on the real data reproduces the published main scores.

Published: ../shared/reference/sentence-transformers__all-MiniLM-L6-v2/<revision>/<Task>.json (mteb runs).
Reproduced: computed here by ``run_evaluation`` on the mirror in ../shared/data/hf. Tolerance 0.01 points (x100).
These run in CI (``MTEBKIT_REQUIRE_SHARED=1``); they skip only where ../shared is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mtebkit import RunConfig, run_evaluation
from mtebkit.evaluation import InProcessExecutor
from mtebkit.models import EmbeddingCache
from tests.helpers.progress import fixture_progress

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
REPRODUCED = [
    ("STSBenchmark", "test"),
    ("SciFact", "test"),
    ("LCQMC", "test"),
    ("AFQMC", "validation"),
]


def _published(shared: Path, task: str, split: str) -> float:
    folder = shared / "reference" / "sentence-transformers__all-MiniLM-L6-v2"
    (path,) = folder.glob(f"*/{task}.json")
    scores = json.loads(path.read_text())["scores"][split]
    (row,) = [r for r in scores if r["hf_subset"] == "default"]
    return 100 * float(row["main_score"])


@pytest.fixture(scope="module")
def reproduced(
    shared_dir: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> dict[tuple[str, str], float]:
    work = tmp_path_factory.mktemp("repro")
    out = work / "results"
    progress = fixture_progress(
        request,
        f"evaluating {MODEL} on {len(REPRODUCED)} tasks with an empty cache (minutes on CPU)",
    )
    config = RunConfig(
        models=[MODEL],
        tasks=[t for t, _ in REPRODUCED],
        data_dir=shared_dir / "data" / "hf",
        results_dir=out,
        cache_dir=work / "embedding-cache",  # empty: every vector is computed here, now
    )
    assert config.cache_dir is not None
    executor = InProcessExecutor(cache=EmbeddingCache(config.cache_dir), progress=progress)
    records = run_evaluation(config, executor=executor)
    return {(r.task, r.split): 100 * r.main_score for r in records}


@pytest.mark.slow
@pytest.mark.parametrize("task, split", REPRODUCED)
def test_published_main_score_reproduced(
    shared_dir: Path, reproduced: dict[tuple[str, str], float], task: str, split: str
) -> None:
    published = _published(shared_dir, task, split)
    got = reproduced[(task, split)]
    assert abs(got - published) <= 0.01, (
        f"{task} [{split}]: reproduced {got:.4f}, published {published:.4f}"
    )
