"""The engine version guards the embedding cache and the results' done-check: any change to the
code that turns texts into vectors must come with a new ``ENGINE_VERSION``."""

from __future__ import annotations

import ast
import hashlib
import sys
from pathlib import Path

import pytest

import mtebkit.models as models_pkg
from mtebkit.models import ENGINE_VERSION, EncodingSettings

# The files whose code computes a vector from a text (tokenising, batching, kernels, pooling).
ENGINE_FILES = ("_engine.py", "_cpu_kernels.py")

# ENGINE_VERSION -> fingerprint of ENGINE_FILES' code (docstrings and comments aside).
# When this test fails: if your change can move a vector by even one bit, bump ENGINE_VERSION in
# models/_settings.py and add its fingerprint here; if it cannot (a log message, a rename),
# replace the fingerprint of the current version. (ast.dump differs between Python minor
# versions: the fingerprints are of CPython 3.11, which CI runs; other versions skip.)
FINGERPRINTS = {
    "2": "a8b6c0fac5dd3d07f00f20d98c39ee025a526c3177e47a9d45ca7495188a1001",  # + last-token pooling, token_states (bge-m3): existing poolings move no vector
}


def _code_fingerprint() -> str:
    digest = hashlib.sha256()
    folder = Path(models_pkg.__file__).parent
    for name in ENGINE_FILES:
        tree = ast.parse((folder / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):  # docstrings are not code
            body = getattr(node, "body", None)
            if (
                isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]
        digest.update(name.encode() + b"\0" + ast.dump(tree).encode())
    return digest.hexdigest()


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="fingerprints are of CPython 3.11")
def test_engine_code_changes_come_with_a_new_engine_version() -> None:
    assert ENGINE_VERSION in FINGERPRINTS, f"add ENGINE_VERSION {ENGINE_VERSION!r} to FINGERPRINTS"
    assert _code_fingerprint() == FINGERPRINTS[ENGINE_VERSION], (
        "the encoding engine's code changed: bump ENGINE_VERSION (models/_settings.py) if a "
        f"vector can move, and record {_code_fingerprint()} for it here"
    )


def test_the_engine_version_is_part_of_the_cache_namespace_and_the_settings() -> None:
    base = {
        "pooling": "mean",
        "normalize": True,
        "max_length": 128,
        "dtype": "float32",
        "weights_sha256": "w" * 64,
        "model_files_sha256": "f" * 64,
    }
    now = EncodingSettings(**base)  # type: ignore[arg-type]
    older = EncodingSettings(**base, engine_version="1")  # type: ignore[arg-type]
    assert now.as_dict()["engine_version"] == ENGINE_VERSION
    assert now.namespace() != older.namespace()  # a warm cache never serves old vectors
