"""Collecting the suite stays fast: no test module, helper imported at module level or conftest
imports the heavy libraries (seconds each on a small machine) while pytest collects.

A test needing one imports it inside the test (or uses ``tests/helpers/lazy.py``); mteb mock
subclasses live in ``tests/helpers/mock_tasks.py``, parametrized by name.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "sentence_transformers", "mteb", "datasets", "scipy.stats")

# the real collection (skip conditions, parametrize, fixture scanning included), then sys.modules
_COLLECT = textwrap.dedent(
    """
    import json, sys
    import pytest
    rc = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "tests"])
    heavy = json.loads(sys.argv[1])
    print("HEAVY=" + json.dumps(sorted(m for m in heavy if m in sys.modules)))
    sys.exit(int(rc))
    """
)


def test_collection_imports_no_heavy_library() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _COLLECT, json.dumps(HEAVY)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (line,) = [x for x in proc.stdout.splitlines() if x.startswith("HEAVY=")]
    assert json.loads(line.removeprefix("HEAVY=")) == [], (
        "imported while pytest collects; import them inside the tests that use them"
    )
