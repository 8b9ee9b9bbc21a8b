"""A progress reporter for long fixtures: plain lines on the real terminal, past pytest's capture."""

from __future__ import annotations

import io
import sys

import pytest

from mtebkit.evaluation import ProgressReporter


class _Uncaptured(io.TextIOBase):
    def __init__(self, config: pytest.Config) -> None:
        self.capman = config.pluginmanager.getplugin("capturemanager")

    def write(self, s: str) -> int:
        if self.capman is None:
            return sys.stderr.write(s)
        with self.capman.global_and_fixture_disabled():
            n = sys.stderr.write(s)
            sys.stderr.flush()
        return n


def fixture_progress(request: pytest.FixtureRequest, what: str) -> ProgressReporter:
    """Say what a long fixture does, then report its run every 30 s."""
    stream = _Uncaptured(request.config)
    stream.write(f"\n[{request.fixturename}] {what}\n")
    return ProgressReporter(stream, live=False, interval=30)
