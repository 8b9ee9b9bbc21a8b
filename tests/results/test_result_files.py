"""Atomic result files in mteb's layout, read back by mteb itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mtebkit._util.atomic import atomic_write_text
from mtebkit.results import read_mtebkit_block


def test_atomic_write_leaves_old_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "r" / "Task.json"
    atomic_write_text(target, '{"ok": 1}')

    def boom(*a: object, **k: object) -> None:
        raise KeyboardInterrupt  # as if the run were interrupted mid-write

    monkeypatch.setattr("mtebkit._util.atomic.os.replace", boom)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(target, '{"ok": 2, "half": ')
    assert json.loads(target.read_text()) == {"ok": 1}
    assert [p.name for p in target.parent.iterdir()] == ["Task.json"]  # no temp file left behind


def test_read_block_of_a_foreign_file(tmp_path: Path) -> None:
    p = tmp_path / "T.json"
    p.write_text('{"task_name": "T"}')
    assert read_mtebkit_block(p) is None


def test_atomic_write_gives_normal_permissions(tmp_path: Path) -> None:
    import os

    umask = os.umask(0o022)
    try:
        target = tmp_path / "T.json"
        atomic_write_text(target, "{}")
        assert target.stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(umask)
