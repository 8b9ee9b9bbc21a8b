"""Shared fixtures.

``shared_dir``: the project's ``../shared`` folder (real data and published scores). It is not
shipped with the project: tests that need it skip when it is absent, unless
``MTEBKIT_REQUIRE_SHARED=1`` (set by ``.ci/run``), in which case they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

# The hub is unreachable here; HF libraries read these at import time, so set them before any
# test module imports them: they then fail fast instead of retrying.
for _var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
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
