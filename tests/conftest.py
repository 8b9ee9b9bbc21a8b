"""Shared fixtures.

``shared_dir``: the project's ``../shared`` folder (real data and published scores). It is not
shipped with the project: tests that need it skip when it is absent, unless
``MTEBKIT_REQUIRE_SHARED=1`` (set by ``.ci/run``), in which case they fail. A test that uses it
(directly or through a fixture) is marked ``shared`` automatically.

``minilm_real_run``: the one cold run of the real all-MiniLM-L6-v2 on the published tasks (the
suite's longest computation, SciFact included), shared by every test that needs those vectors.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.real_run import MINILM, MINILM_PUBLISHED, RealRun

REPO_ROOT = Path(__file__).resolve().parents[1]

# The hub is unreachable here; HF libraries read these at import time, so set them before any
# test module imports them: they then fail fast instead of retrying.
for _var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_var, "1")
# Under pytest-xdist (-n), one thread per worker: workers x threads beyond the cores slowed the
# fast loop by a third. Set before torch is imported (no test module imports it at collection).
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")


def _find_shared() -> Path | None:
    env = os.environ.get("MTEBKIT_SHARED_DIR")
    candidates = [Path(env)] if env else []
    candidates.append(REPO_ROOT.parent / "shared")
    for c in candidates:
        if (c / "data" / "hf").is_dir():
            return c
    return None


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    found = _find_shared()
    if found is None:
        msg = "../shared (real data and published scores) is not present"
        if os.environ.get("MTEBKIT_REQUIRE_SHARED") == "1":
            pytest.fail(f"{msg}, and MTEBKIT_REQUIRE_SHARED=1 requires it")
        pytest.skip(msg)
    return found


@pytest.fixture(scope="session")
def data_dir(shared_dir: Path) -> Path:
    """The offline HF dataset mirror under ../shared/data/hf."""
    return shared_dir / "data" / "hf"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # the marker follows the fixtures, so `-m "not shared"` is right without hand-kept marks
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "shared_dir" in fixtures:
            item.add_marker(pytest.mark.shared)
        # under -n, a session fixture is built once per worker: the tests of the one cold
        # MiniLM run go to one worker (--dist loadgroup, in pyproject), so it runs once
        if "minilm_real_run" in fixtures:
            item.add_marker(pytest.mark.xdist_group("minilm_real_run"))


@pytest.fixture(scope="session")
def minilm_real_run(
    shared_dir: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> RealRun:
    """One cold run (an empty cache: every vector is computed here, now) for the whole session."""
    from mtebkit import RunConfig, run_evaluation
    from mtebkit.evaluation import InProcessExecutor
    from mtebkit.models import EmbeddingCache
    from tests.helpers.progress import fixture_progress

    work = tmp_path_factory.mktemp("minilm-real")
    progress = fixture_progress(
        request,
        f"evaluating {MINILM} on {len(MINILM_PUBLISHED)} tasks with an empty cache "
        "(minutes on CPU, once per session)",
    )
    config = RunConfig(
        models=[MINILM],
        tasks=[t for t, _ in MINILM_PUBLISHED],
        data_dir=shared_dir / "data" / "hf",
        results_dir=work / "results",
        cache_dir=work / "embedding-cache",
    )
    assert config.runtime.cache_dir is not None
    executor = InProcessExecutor(cache=EmbeddingCache(config.runtime.cache_dir), progress=progress)
    records = run_evaluation(config, executor=executor)
    scores = {(r.task, r.split): 100 * r.main_score for r in records}
    return RealRun(work / "results", config.runtime.cache_dir, scores)
