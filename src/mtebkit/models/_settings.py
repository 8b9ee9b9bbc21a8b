"""What changes a vector besides the text, and the defaults a model folder declares.

:class:`EncodingSettings` is recorded beside every result and names the embedding cache
namespace. :func:`model_defaults` reads a model folder's own configuration (the preset's, else
its sentence-transformers modules, else cls / normalised / 512) without loading any weights,
so a run can be planned, and finished work skipped, before torch is imported.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from mtebkit.errors import MtebkitError
from mtebkit.models._presets import ModelPreset, Pooling

__all__ = [
    "DTYPES",
    "ENGINE_VERSION",
    "Dtype",
    "EncodingSettings",
    "ModelDefaults",
    "model_defaults",
    "read_st_config",
]

# The version of the code that turns token ids into vectors (models/_engine.py,
# _cpu_kernels.py, _texts.py). Bump it with any change there that can move a vector, even in
# the last bit: it is part of every cache namespace and of the settings recorded beside a
# result, so a warm cache never serves vectors computed by older code. tests/models/
# test_engine_version.py fails when that code changes and this does not.
# 2: CPU batches hold texts of one token length (no padding), so a vector is batch-invariant.
ENGINE_VERSION = "2"

Dtype = Literal["float32", "float16", "bfloat16"]
DTYPES: tuple[Dtype, ...] = ("float32", "float16", "bfloat16")


@dataclass(frozen=True)
class EncodingSettings:
    """Everything that changes a vector, besides the text. Recorded beside every result."""

    pooling: Pooling
    normalize: bool
    max_length: int
    dtype: str
    weights_sha256: str
    model_files_sha256: str
    """The tokenizer files, config.json and module configs (``_resolve.model_files_digest``):
    a vector depends on them as much as on the weights."""
    engine_version: str = ENGINE_VERSION
    """The encoding code's version (:data:`ENGINE_VERSION`)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def namespace(self) -> str:
        """Cache namespace: a digest of every setting that changes a vector."""
        blob = json.dumps(self.as_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:32]


def read_st_config(path: Path) -> dict[str, Any]:
    """Pooling, normalisation and max length from a sentence-transformers model folder."""
    out: dict[str, Any] = {}
    modules_file = path / "modules.json"
    if not modules_file.is_file():
        return out
    modules = json.loads(modules_file.read_text(encoding="utf-8"))
    for m in modules:
        kind = str(m.get("type", ""))
        if kind.endswith("Pooling"):
            cfg_file = path / m.get("path", "") / "config.json"
            if cfg_file.is_file():
                cfg = json.loads(cfg_file.read_text(encoding="utf-8"))
                if cfg.get("pooling_mode_cls_token"):
                    out["pooling"] = "cls"
                elif cfg.get("pooling_mode_mean_tokens"):
                    out["pooling"] = "mean"
                else:
                    modes = [k for k, v in cfg.items() if k.startswith("pooling_mode") and v]
                    raise MtebkitError(
                        f"{cfg_file}: pooling {modes} is not supported (mtebkit supports cls and mean)"
                    )
        elif kind.endswith("Normalize"):
            out["normalize"] = True
    out.setdefault("normalize", False)
    st_cfg = path / "sentence_bert_config.json"
    if st_cfg.is_file():
        msl = json.loads(st_cfg.read_text(encoding="utf-8")).get("max_seq_length")
        if msl:
            out["max_length"] = int(msl)
    return out


def _model_config(path: Path) -> dict[str, Any]:
    cfg = path / "config.json"
    if not cfg.is_file():
        return {}
    try:
        data = json.loads(cfg.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MtebkitError(f"{cfg}: cannot be read as JSON: {exc}") from None
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class ModelDefaults:
    """The settings a model is published with; overrides that differ name an experiment."""

    pooling: Pooling
    normalize: bool
    max_length: int
    embed_dim: int | None
    max_positions: int | None
    configured_max_length: bool
    """Whether ``max_length`` comes from a preset or the model's own config (not a fallback)."""

    def as_dict(self) -> dict[str, Any]:
        return {"pooling": self.pooling, "normalize": self.normalize, "max_length": self.max_length}


def model_defaults(path: Path, preset: ModelPreset | None) -> ModelDefaults:
    """The preset's settings, else the folder's sentence-transformers config, else cls/True/512.

    With no configured length, the model's own position limit (``max_position_embeddings``)
    caps the 512 fallback. Reads JSON files only.
    """
    st = read_st_config(path)
    cfg = _model_config(path)
    configured = bool(preset or "max_length" in st)
    max_length = int(preset.max_length if preset else st.get("max_length", 512))
    positions = cfg.get("max_position_embeddings")
    max_positions = int(positions) if isinstance(positions, int) and positions > 0 else None
    if max_positions and not configured:
        max_length = min(max_length, max_positions)
    dim = cfg.get("hidden_size")
    return ModelDefaults(
        pooling=preset.pooling if preset else st.get("pooling", "cls"),
        normalize=preset.normalize if preset else bool(st.get("normalize", True)),
        max_length=max_length,
        embed_dim=int(dim) if isinstance(dim, int) and dim > 0 else None,
        max_positions=max_positions,
        configured_max_length=configured,
    )
