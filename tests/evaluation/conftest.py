"""Fixtures shared by the two-stage and reranker-protocol tests (tests/helpers/two_stage.py)."""

from tests.helpers.two_stage import reranker, spec_dir

__all__ = ["reranker", "spec_dir"]
