"""``mtebkit cache info | clear | evict``: inspect, empty or bound the embedding cache."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "action",
        choices=("info", "clear", "evict"),
        help="info: sizes per namespace; clear: delete entries; evict: drop least-recently-used "
        "vectors down to --max-bytes",
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
    p.add_argument(
        "--max-bytes",
        type=_byte_size,
        default=None,
        metavar="SIZE",
        help="evict: the bound, e.g. 20GiB, 500MB or a number of bytes",
    )
    p.add_argument("--json", action="store_true", help="info: print JSON")
    p.add_argument("--wide", action="store_true", help="info: no 100-column limit")


def _byte_size(text: str) -> int:
    from pydantic import ByteSize, TypeAdapter, ValidationError

    try:
        return int(TypeAdapter(ByteSize).validate_python(text))
    except ValidationError:
        raise argparse.ArgumentTypeError(
            f"expected a size such as 20GiB, 500MB or 1000000, got {text!r}"
        ) from None


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def run(args: argparse.Namespace) -> int:
    from mtebkit.errors import ConfigError
    from mtebkit.models import EmbeddingCache

    cache = EmbeddingCache(args.cache_dir)
    if args.action == "evict":
        if args.max_bytes is None:
            raise ConfigError("cache evict needs --max-bytes SIZE (e.g. 20GiB)")
        before = cache.info()["bytes"]
        n = cache.evict(args.max_bytes)
        after = cache.info()["bytes"]
        print(
            f"evicted {n} shards ({_size(before - after)}) from {cache.root}: {_size(after)} left"
        )
        return 0
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
        from mtebkit.reporting import Table

        rows = []
        for name, ns in info["namespaces"].items():
            d = ns.get("description") or {}
            model = d.get("model")
            if model and d.get("revision"):
                model += f"@{str(d['revision'])[:10]}"
            rows.append(
                [
                    model or "(not recorded)",
                    d.get("pooling"),
                    d.get("normalize"),
                    d.get("max_length"),
                    d.get("dtype"),
                    ns["entries"],
                    _size(ns["bytes"]),
                    name,
                ]
            )
        cols = ["model", "pooling", "norm", "max len", "dtype", "entries", "size", "namespace"]
        print()
        print(Table(cols, rows, align_left=1).to_terminal(max_width=None if args.wide else 100))
        if any(r[0] == "(not recorded)" for r in rows):
            print(
                "(not recorded): written before mtebkit recorded namespaces, or by another tool",
                file=sys.stderr,
            )
    return 0
