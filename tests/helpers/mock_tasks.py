"""mteb mock tasks for tests, and the tests' own subclasses of them.

This module imports mteb, so a test module imports it inside its tests (never at module level:
tests/test_collection_imports.py) and parametrizes by class name, resolved by :func:`mock_task`
(the name is also the test id pytest gave the class). The subclasses live at module level because
jobs re-import their task class by ``module:name``.
"""

from __future__ import annotations

from typing import Any

import mteb.mocks.mock_tasks as mteb_mocks
from mteb.mocks.mock_tasks.classification import (
    MockClassificationTask,
    MockMultilingualClassificationTask,
)
from mteb.mocks.mock_tasks.sts import MockSTSTask

__all__ = [
    "FewExperimentsClassification",
    "FewExperimentsMultilingual",
    "OldSTS",
    "WarnSTS",
    "mock_task",
]


def mock_task(name: str) -> type:
    """The task class ``name``: one below, or one of ``mteb.mocks.mock_tasks``."""
    cls = globals().get(name)
    if isinstance(cls, type):
        return cls
    found: type = getattr(mteb_mocks, name)
    return found


# ---- tests/results/test_item_scores_types.py


class FewExperimentsClassification(MockClassificationTask):
    n_experiments = 3  # mteb's default 10 only repeats the same path; the machine is shared


class FewExperimentsMultilingual(MockMultilingualClassificationTask):
    n_experiments = 3


# ---- tests/evaluation/test_progress.py


class OldSTS(MockSTSTask):
    """A task mteb calls superseded (at module level: jobs re-import their task class)."""

    metadata = MockSTSTask.metadata.model_copy(
        update={"name": "OldSTS", "superseded_by": "MockSTSTask"}
    )


class WarnSTS(MockSTSTask):
    """A task whose evaluation emits a library warning."""

    metadata = MockSTSTask.metadata.model_copy(update={"name": "WarnSTS"})

    def evaluate(self, *args: Any, **kwargs: Any) -> Any:
        import warnings

        warnings.warn("fake library warning\nsecond line", UserWarning, stacklevel=2)
        return super().evaluate(*args, **kwargs)
