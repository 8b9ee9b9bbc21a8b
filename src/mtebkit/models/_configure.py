"""A model's effective settings, decided from its files and the options, without loading weights.

The :class:`~mtebkit.models.Embedder` and :class:`~mtebkit.models.Reranker` build themselves
from these, and a run plans with them: the result folder, the settings recorded beside each
result and the "already done?" check are all known before torch loads anything. So the plan
and the loaded model can never disagree.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mtebkit._util.log_once import log_once
from mtebkit.errors import ConfigError, MtebkitError, TokenizerMissingError
from mtebkit.models._instructions import DEFAULT_TEMPLATE, check_template
from mtebkit.models._presets import (
    POOLINGS,
    RERANKER_PRESETS,
    ModelPreset,
    Pooling,
    RerankerPreset,
)
from mtebkit.models._resolve import ResolvedModel, resolve_model
from mtebkit.models._settings import (
    DTYPES,
    OFFSET_POSITION_MODELS,
    EncodingSettings,
    ModelDefaults,
    model_defaults,
)

__all__ = [
    "UNSET",
    "EmbedderConfig",
    "RerankerConfig",
    "configure_embedder",
    "configure_reranker",
    "pick_devices",
]

UNSET: Any = object()  # "not given": the preset's query instruction applies

logger = logging.getLogger(__name__)


def pick_devices(devices: Sequence[str] | str | None) -> tuple[str, ...]:
    """The given devices (each checked to exist here), else every visible GPU, else the CPU."""
    if devices is None:
        import torch

        n = torch.cuda.device_count()
        return tuple(f"cuda:{i}" for i in range(n)) if n else ("cpu",)
    chosen = (devices,) if isinstance(devices, str) else tuple(devices) or ("cpu",)
    for d in chosen:
        check_device(d)
    return chosen


def check_device(device: str) -> None:
    """``cpu`` or ``cuda[:N]`` with that GPU visible: fail before any weights are loaded."""
    kind, _, index = str(device).partition(":")
    if kind == "cpu" and not index:
        return
    if kind != "cuda" or (index and not index.isdigit()):
        raise ConfigError(f"device {device!r} is not supported: use cpu, cuda or cuda:N")
    import torch

    n = torch.cuda.device_count()
    if n == 0:
        why = "a CPU-only build" if torch.version.cuda is None else "no GPU is visible"
        raise ConfigError(f"device {device!r}: this torch has no CUDA device ({why}); use cpu")
    if index and int(index) >= n:
        raise ConfigError(f"device {device!r}: only cuda:0 ... cuda:{n - 1} are visible")


def _decide_dtype(
    dtype: str | None, use_fp16: bool, devices: Sequence[str], half: str = "float16"
) -> str:
    """``dtype`` when given (any device); else ``half`` (the preset's float16 or bfloat16) when
    ``use_fp16`` and every device is CUDA; else float32."""
    if dtype is not None:
        if dtype not in DTYPES:
            raise ConfigError(f"dtype must be one of {', '.join(DTYPES)}, not {dtype!r}")
        return dtype
    on_cuda = all(d.startswith("cuda") for d in devices)
    if use_fp16 and not on_cuda:
        # info, not warning: fp16 is the default (as in FlagEmbedding, which falls back
        # silently), so every CPU run would otherwise start with a warning
        log_once(logger, f"use_fp16 applies on CUDA only; running float32 on {','.join(devices)}")
    return half if (use_fp16 and on_cuda) else "float32"


# A tokenizer's vocabulary lives in one of these; without any, transformers builds a tokenizer
# of special tokens only and every word becomes [UNK] (a valid-looking, meaningless score).
TOKENIZER_VOCAB_FILES = (
    "tokenizer.json",
    "vocab.txt",
    "vocab.json",
    "spiece.model",
    "sentencepiece.bpe.model",
    "tokenizer.model",
)


def check_tokenizer_files(path: Path) -> None:
    """Refuse a model folder without a tokenizer vocabulary, naming the files expected."""
    if any((path / name).is_file() for name in TOKENIZER_VOCAB_FILES) or any(
        path.glob("*.tiktoken")
    ):
        return
    raise TokenizerMissingError(
        f"{path} has no tokenizer vocabulary: expected one of {', '.join(TOKENIZER_VOCAB_FILES)} "
        "(copy the tokenizer files of the base model into the folder, e.g. with "
        "tokenizer.save_pretrained)"
    )


@dataclass(frozen=True)
class EmbedderConfig:
    """An embedder's identity and effective settings (see the module docstring)."""

    resolved: ResolvedModel
    defaults: ModelDefaults
    pooling: Pooling
    normalize: bool
    max_length: int
    dtype: str
    devices: tuple[str, ...]
    query_instruction: str | None
    query_max_length: int | None = None  # queries only; None: ``max_length`` for every text
    query_template: str = DEFAULT_TEMPLATE  # ``template.format(instruction, query)``
    append_eos: bool = False  # the preset's: EOS ends every text

    @property
    def preset(self) -> ModelPreset | None:
        return self.resolved.preset

    def settings(self, max_length: int | None = None) -> EncodingSettings:
        """What changes a vector (at ``max_length``, default the configured one)."""
        return EncodingSettings(
            pooling=self.pooling,
            normalize=self.normalize,
            max_length=self.max_length if max_length is None else max_length,
            dtype=self.dtype,
            weights_sha256=self.resolved.weights_sha256,
            model_files_sha256=self.resolved.model_files_sha256,
            append_eos=self.append_eos,
        )


def _checked_template(template: str) -> str:
    try:
        return check_template(template)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def configure_embedder(
    model: str | os.PathLike[str],
    revision: str | None = None,
    *,
    preset: str | ModelPreset | None = None,
    query_instruction: str | None = UNSET,
    pooling: Pooling | None = None,
    normalize: bool | None = None,
    max_length: int | None = None,
    use_fp16: bool = True,
    dtype: str | None = None,
    devices: Sequence[str] | str | None = None,
    query_max_length: int | None = None,
    query_template: str = DEFAULT_TEMPLATE,
) -> EmbedderConfig:
    """Resolve ``model`` and decide its settings: explicit options, else the preset's, else the
    model folder's own configuration (:func:`~mtebkit.models._settings.model_defaults`)."""
    resolved = resolve_model(model, revision=revision, preset=preset)
    check_tokenizer_files(resolved.path)
    found = model_defaults(resolved.path, resolved.preset)
    chosen_pooling: Pooling = pooling or found.pooling
    if chosen_pooling not in POOLINGS:
        raise ConfigError(f"pooling must be one of {', '.join(POOLINGS)}, not {chosen_pooling!r}")
    if max_length is not None and (isinstance(max_length, bool) or max_length < 1):
        raise ConfigError(f"max_length must be a positive number of tokens, not {max_length}")
    length = int(max_length if max_length is not None else found.max_length)
    for what, n in (("max_length", length), ("query_max_length", query_max_length)):
        if n is not None and (isinstance(n, bool) or n < 1):
            raise ConfigError(f"{what} must be a positive number of tokens, not {n}")
        if n is not None and found.max_positions and n > found.max_positions:
            # position embeddings beyond this do not exist: fail here, not deep in the forward pass
            raise ConfigError(
                f"{what} {n} exceeds the model's max_position_embeddings {found.max_positions}"
            )
    chosen_devices = pick_devices(devices)
    if query_instruction is UNSET:
        query_instruction = resolved.preset.query_instruction if resolved.preset else None
    return EmbedderConfig(
        resolved=resolved,
        defaults=found,
        pooling=chosen_pooling,
        normalize=normalize if normalize is not None else found.normalize,
        max_length=length,
        dtype=_decide_dtype(
            dtype,
            use_fp16,
            chosen_devices,
            resolved.preset.gpu_dtype if resolved.preset else "float16",
        ),
        devices=chosen_devices,
        query_instruction=query_instruction,
        query_max_length=query_max_length,
        query_template=_checked_template(
            resolved.preset.query_template
            if query_template == DEFAULT_TEMPLATE
            and resolved.preset
            and resolved.preset.query_template
            else query_template
        ),
        append_eos=found.append_eos,
    )


# --------------------------------------------------------------------------- rerankers


def _position_limit(path: Path) -> int:
    """Longest input the position embeddings allow (RoBERTa-style models reserve 2)."""
    cfg_file = path / "config.json"
    try:
        cfg = json.loads(cfg_file.read_text(encoding="utf-8")) if cfg_file.is_file() else {}
    except (OSError, ValueError) as exc:
        raise MtebkitError(f"{cfg_file}: cannot be read as JSON: {exc}") from None
    n = int(cfg.get("max_position_embeddings", 512))
    if cfg.get("model_type", "") in OFFSET_POSITION_MODELS:
        n -= 2
    return n


@dataclass(frozen=True)
class RerankerConfig:
    """A cross-encoder's identity and effective settings."""

    preset: RerankerPreset | None
    resolved: ResolvedModel
    max_length: int
    batch_size: int
    device: str
    dtype: str
    model_max_length: int

    def settings_record(self) -> dict[str, Any]:
        """The settings that change scores, for result files."""
        return {
            "model": self.resolved.name,
            "revision": self.resolved.revision,
            "model_source": self.resolved.source,
            "weights_sha256": self.resolved.weights_sha256,
            "model_files_sha256": self.resolved.model_files_sha256,
            "max_length": self.max_length,
            "dtype": self.dtype,
        }


def configure_reranker(
    model: str | os.PathLike[str],
    *,
    use_fp16: bool = True,
    max_length: int | None = None,
    batch_size: int | None = None,
    device: str | None = None,
    devices: Sequence[str] | str | None = None,
    revision: str | None = None,
) -> RerankerConfig:
    """Resolve a cross-encoder and decide its settings: explicit options, else its preset's
    (FlagReranker's defaults), else 512 tokens and 128 pairs. One device: the first given."""
    text = os.fspath(model)
    preset = RERANKER_PRESETS.find(text)
    resolved = resolve_model(text, revision=revision or (preset.revision if preset else None))
    check_tokenizer_files(resolved.path)
    length = int(max_length or (preset.max_length if preset else 512))
    size = int(batch_size or (preset.batch_size if preset else 128))
    if length < 8 or size < 1:
        raise ConfigError("max_length must be >= 8 and batch_size >= 1")
    chosen = device
    if chosen is None and devices:
        chosen = devices if isinstance(devices, str) else devices[0]
        if not isinstance(devices, str) and len(devices) > 1:
            logger.info("Reranker: scoring on %s only (one device)", chosen)
    if chosen is None:
        import torch

        chosen = "cuda:0" if torch.cuda.is_available() else "cpu"
    else:
        check_device(str(chosen))
    limit = _position_limit(resolved.path)
    if length > limit:
        if max_length is not None:
            raise ConfigError(
                f"max_length {length} exceeds what {resolved.path} supports ({limit} tokens)"
            )
        length = limit  # a default, not a request: fit the model
    use_half = use_fp16 and str(chosen).startswith("cuda")
    if use_fp16 and not use_half:
        log_once(logger, f"Reranker: use_fp16 applies on CUDA only; running float32 on {chosen}")
    return RerankerConfig(
        preset=preset,
        resolved=resolved,
        max_length=length,
        batch_size=size,
        device=str(chosen),
        dtype="float16" if use_half else "float32",
        model_max_length=limit,
    )
