"""The command that downloads something from the Hugging Face hub, as the installed
``huggingface_hub`` spells it (``hf download`` since 0.34; ``huggingface-cli download`` before)."""

from __future__ import annotations

import re
import shutil
from importlib import metadata

__all__ = ["hub_download_command"]


def _cli() -> str:
    if shutil.which("hf"):
        return "hf"
    try:
        version = metadata.version("huggingface_hub")
    except metadata.PackageNotFoundError:
        return "hf"
    m = re.match(r"(\d+)\.(\d+)", version)
    if m is None:
        return "hf"
    return "hf" if (int(m.group(1)), int(m.group(2))) >= (0, 34) else "huggingface-cli"


def hub_download_command(
    repo_id: str,
    *,
    revision: str | None = None,
    repo_type: str | None = None,
    local_dir: object | None = None,
) -> str:
    """``hf download [--repo-type T] REPO [--revision R] [--local-dir D]`` for this install."""
    parts = [_cli(), "download"]
    if repo_type:
        parts += ["--repo-type", repo_type]
    parts.append(repo_id)
    if revision:
        parts += ["--revision", revision]
    if local_dir is not None:
        parts += ["--local-dir", str(local_dir)]
    return " ".join(parts)
