"""``mtebkit cache info | clear``: inspect or empty the embedding cache."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "action", choices=("info", "clear"), help="info: sizes per namespace; clear: delete entries"
    )
    p.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="cache folder (default: <cache root>/embeddings; the cache root is $MTEBKIT_CACHE_DIR, "
        "else $XDG_CACHE_HOME/mtebkit, else ~/.cache/mtebkit)",
    )
    p.add_argument(
        "--namespace", default=None, help="clear: only this namespace (see `cache info`)"
    )
    p.add_argument("--json", action="store_true", help="info: print JSON")


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def run(args: argparse.Namespace) -> int:
    from mtebkit.models import EmbeddingCache

    cache = EmbeddingCache(args.cache_dir)
    if args.action == "clear":
        n = cache.clear(args.namespace)
        what = f"namespace {args.namespace}" if args.namespace else "all namespaces"
        print(f"deleted {n} entries ({what}) from {cache.root}")
        return 0
    info = cache.info()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"cache:      {info['path']}")
    print(f"entries:    {info['entries']}")
    print(f"vectors:    {_size(info['bytes'])}   index: {_size(info['index_bytes'])}")
    if info["namespaces"]:
        print(f"\n{'namespace':34s} {'entries':>9s} {'size':>11s}")
        for name, ns in info["namespaces"].items():
            print(f"{name:34s} {ns['entries']:9d} {_size(ns['bytes']):>11s}")
    return 0
