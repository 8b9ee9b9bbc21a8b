"""What a loaded model tells about itself, remembered in the embedding cache.

A warm run finds every vector in the cache, so it never needs the weights; but the result
files still record the model's embedding size, parameter count and CPU kernels, which only a
loaded model knows. The first load writes them beside the cache's namespace descriptions, under
a key of everything that could change them (weights, tokenizer and config files, dtype,
devices, the oneDNN switch, the torch version); a later engine with the same key starts from
them and loads the weights only on its first cache miss. No record (a cache from before, or a
cache without descriptions): the engine loads at once, as it always did.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["EngineFacts", "engine_facts_key", "recall_engine_facts", "remember_engine_facts"]

# the switch of ``_cpu_kernels`` (not imported from there: that module imports torch)
_ONEDNN_SWITCH = "MTEBKIT_ONEDNN"
_PREFIX = "engine-"


@dataclass(frozen=True)
class EngineFacts:
    """The loaded model's own numbers that end up in result files and checks."""

    embed_dim: int | None
    n_parameters: int
    cpu_kernels: str | None
    max_positions: int | None

    @classmethod
    def from_dict(cls, data: Any) -> EngineFacts | None:
        """The facts in ``data``; None if it is not a complete, well-typed record."""
        if not isinstance(data, dict):
            return None
        try:
            facts = cls(
                embed_dim=data["embed_dim"],
                n_parameters=data["n_parameters"],
                cpu_kernels=data["cpu_kernels"],
                max_positions=data["max_positions"],
            )
        except KeyError:
            return None
        ok = (
            _opt_int(facts.embed_dim)
            and isinstance(facts.n_parameters, int)
            and not isinstance(facts.n_parameters, bool)
            and (facts.cpu_kernels is None or isinstance(facts.cpu_kernels, str))
            and _opt_int(facts.max_positions)
        )
        return facts if ok else None


def _opt_int(v: Any) -> bool:
    return v is None or (isinstance(v, int) and not isinstance(v, bool))


def _torch_version() -> str | None:
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - torch is a dependency
        return None


def engine_facts_key(
    *, weights_sha256: str, model_files_sha256: str, dtype: str, devices: Sequence[str]
) -> str:
    """The record's name: a digest of everything that could change the facts."""
    what = {
        "weights_sha256": weights_sha256,
        "model_files_sha256": model_files_sha256,
        "dtype": dtype,
        "devices": list(devices),
        "onednn_switch": os.environ.get(_ONEDNN_SWITCH, "1").strip().lower(),
        "torch": _torch_version(),
    }
    digest = hashlib.sha256(json.dumps(what, sort_keys=True).encode("utf-8")).hexdigest()
    return _PREFIX + digest[:32]


def recall_engine_facts(cache: Any, key: str) -> EngineFacts | None:
    """The facts the cache holds under ``key``; None without a cache, a record or a way to read."""
    read = getattr(cache, "description", None)  # optional beyond VectorCache
    if read is None:
        return None
    return EngineFacts.from_dict(read(key))


def remember_engine_facts(cache: Any, key: str, facts: EngineFacts) -> None:
    """Record ``facts`` under ``key`` (once; best effort, as namespace descriptions are)."""
    write = getattr(cache, "describe", None)
    if write is not None:
        write(key, asdict(facts))
