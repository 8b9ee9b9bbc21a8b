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

from mtebkit.errors import MtebkitError, UnsupportedModelError
from mtebkit.models._presets import ModelPreset, Pooling

__all__ = [
    "DECODER_TYPES",
    "DTYPES",
    "ENGINE_VERSION",
    "Dtype",
    "EncodingSettings",
    "ModelDefaults",
    "check_architecture",
    "is_decoder",
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

# model_type values of decoder-only models published as embedders (config.json architectures
# ``*Model`` rather than ``*ForCausalLM``, as e5-mistral's and bge-en-icl's)
DECODER_TYPES = frozenset({"gemma", "gemma2", "gemma3_text", "llama", "mistral", "qwen2", "qwen3"})

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
    append_eos: bool = False
    """The tokenizer's EOS token ends every text (:attr:`ModelPreset.append_eos`)."""

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if not self.append_eos:  # absent when off: every existing namespace stays as it was
            del out["append_eos"]
        return out

    def namespace(self) -> str:
        """Cache namespace: a digest of every setting that changes a vector."""
        blob = json.dumps(self.as_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:32]


# sentence-transformers pooling modes mtebkit computes (by sentence-transformers' name)
_ST_POOLING: dict[str, Pooling] = {"cls": "cls", "mean": "mean", "lasttoken": "last_token"}
# the boolean config keys of sentence-transformers < 6, by mode name
_ST_MODE_NAMES = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens": "weightedmean",
    "pooling_mode_lasttoken": "lasttoken",
}
# sentence-transformers modules whose effect mtebkit reproduces (a Dense or LayerNorm module
# would change every vector: such a folder is refused, not encoded without it)
_ST_MODULES = ("Transformer", "Pooling", "Normalize")


def read_st_config(path: Path) -> dict[str, Any]:
    """Pooling, normalisation and max length from a sentence-transformers model folder.

    A pooling mode or module mtebkit does not compute is an :class:`UnsupportedModelError`.
    """
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
                out["pooling"] = _st_pooling(cfg_file)
        elif kind.endswith("Normalize"):
            out["normalize"] = True
        elif not kind.rsplit(".", 1)[-1].endswith(_ST_MODULES):
            raise UnsupportedModelError(
                f"{modules_file}: module {kind or m!r} is not supported (mtebkit runs "
                f"{', '.join(_ST_MODULES)} modules only)"
            )
    out.setdefault("normalize", False)
    st_cfg = path / "sentence_bert_config.json"
    if st_cfg.is_file():
        msl = json.loads(st_cfg.read_text(encoding="utf-8")).get("max_seq_length")
        if msl:
            out["max_length"] = int(msl)
    return out


def _st_pooling(cfg_file: Path) -> Pooling:
    cfg = json.loads(cfg_file.read_text(encoding="utf-8"))
    mode = cfg.get("pooling_mode")  # sentence-transformers 6: "lasttoken" or a list of modes
    if mode is not None:
        modes = [mode] if isinstance(mode, str) else [str(m) for m in mode]
    else:  # earlier versions: one boolean key per mode
        modes = [
            _ST_MODE_NAMES.get(k, k) for k, v in cfg.items() if k.startswith("pooling_mode") and v
        ]
    if len(modes) == 1 and modes[0] in _ST_POOLING:
        return _ST_POOLING[modes[0]]
    raise UnsupportedModelError(
        f"{cfg_file}: pooling {modes or 'none'} is not supported (mtebkit computes one of "
        f"{', '.join(_ST_POOLING)})"
    )


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
    append_eos: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"pooling": self.pooling, "normalize": self.normalize, "max_length": self.max_length}


# RoBERTa-style models number positions from padding_idx + 1, so two of their
# ``max_position_embeddings`` never hold a token
OFFSET_POSITION_MODELS = frozenset({"roberta", "xlm-roberta", "camembert"})


def model_defaults(path: Path, preset: ModelPreset | None) -> ModelDefaults:
    """The preset's settings, else the folder's sentence-transformers config, else cls/True/512.

    With no configured length, the model's own position limit (``max_position_embeddings``)
    caps the 512 fallback. Reads JSON files only.
    """
    st = read_st_config(path)
    cfg = _model_config(path)
    check_architecture(path, cfg)
    configured = bool(preset or "max_length" in st)
    max_length = int(preset.max_length if preset else st.get("max_length", 512))
    positions = cfg.get("max_position_embeddings")
    max_positions = int(positions) if isinstance(positions, int) and positions > 0 else None
    if max_positions and cfg.get("model_type") in OFFSET_POSITION_MODELS:
        max_positions -= 2  # their positions start after the padding index: 8194 holds 8192
    if max_positions and not configured:
        max_length = min(max_length, max_positions)
    dim = cfg.get("hidden_size")
    return ModelDefaults(
        pooling=preset.pooling if preset else st.get("pooling", _default_pooling(cfg)),
        normalize=preset.normalize if preset else bool(st.get("normalize", True)),
        max_length=max_length,
        embed_dim=int(dim) if isinstance(dim, int) and dim > 0 else None,
        max_positions=max_positions,
        configured_max_length=configured,
        append_eos=bool(preset and preset.append_eos),
    )


def is_decoder(cfg: dict[str, Any]) -> bool:
    """A decoder-only (causal) language model, by its config.json."""
    archs = cfg.get("architectures") or []
    return (bool(archs) and str(archs[0]).endswith("ForCausalLM")) or (
        cfg.get("model_type") in DECODER_TYPES
    )


def _default_pooling(cfg: dict[str, Any]) -> Pooling:
    # as sentence-transformers decides for a bare transformers folder: a causal LM's first
    # token has seen nothing of the text, so only its last token can stand for it
    return "last_token" if is_decoder(cfg) else "cls"


def check_architecture(path: Path, cfg: dict[str, Any]) -> None:
    """Refuse an encoder-decoder model: its encoder alone is not what its authors pool."""
    if cfg.get("is_encoder_decoder"):
        raise UnsupportedModelError(
            f"{path / 'config.json'}: {cfg.get('model_type', 'this')} is an encoder-decoder "
            "model; mtebkit runs encoder-only and decoder-only embedders"
        )
