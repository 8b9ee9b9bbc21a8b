"""The real all-MiniLM-L6-v2 on the real data reproduces the published main scores.

Published: ../shared/reference/sentence-transformers__all-MiniLM-L6-v2/<revision>/<Task>.json (mteb runs).
Reproduced: computed here by ``run_evaluation`` on the mirror in ../shared/data/hf, with an empty
cache (the session's ``minilm_real_run``). Tolerance 0.01 points (x100).
These run in CI (``MTEBKIT_REQUIRE_SHARED=1``); they skip only where ../shared is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.real_run import MINILM_PUBLISHED, RealRun


def _published(shared: Path, task: str, split: str) -> float:
    folder = shared / "reference" / "sentence-transformers__all-MiniLM-L6-v2"
    (path,) = folder.glob(f"*/{task}.json")
    scores = json.loads(path.read_text())["scores"][split]
    (row,) = [r for r in scores if r["hf_subset"] == "default"]
    return 100 * float(row["main_score"])


@pytest.mark.slow
@pytest.mark.parametrize("task, split", MINILM_PUBLISHED)
def test_published_main_score_reproduced(
    shared_dir: Path, minilm_real_run: RealRun, task: str, split: str
) -> None:
    published = _published(shared_dir, task, split)
    got = minilm_real_run.scores[(task, split)]
    assert abs(got - published) <= 0.01, (
        f"{task} [{split}]: reproduced {got:.4f}, published {published:.4f}"
    )
