"""The real model's shared run: which tasks, and what the session fixture hands tests."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
# The tasks whose published scores the real model must reproduce (x100, within 0.01).
MINILM_PUBLISHED = [
    ("STSBenchmark", "test"),
    ("SciFact", "test"),
    ("LCQMC", "test"),
    ("AFQMC", "validation"),
]


class RealRun(NamedTuple):
    """What ``mtebkit run`` filed: its results folder, cache and main scores (x100)."""

    results: Path
    cache_dir: Path
    scores: dict[tuple[str, str], float]
