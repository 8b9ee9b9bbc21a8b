"""``mtebkit benchmarks``: the benchmarks mteb defines (and mtebkit's aliases for them)."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", help="show one benchmark's tasks")


def run(args: argparse.Namespace) -> int:
    from mtebkit.tasks import (
        BENCHMARK_ALIASES,
        benchmark_tasks,
        canonical_benchmark,
        list_benchmarks,
    )

    if args.name:
        name = canonical_benchmark(args.name)
        tasks = benchmark_tasks(name)
        print(f"{name}: {len(tasks)} tasks")
        for t in tasks:
            print(f"  {t.name:45s} {t.type:20s} {'/'.join(t.splits):12s} {'/'.join(t.subsets)}")
        return 0
    aliases: dict[str, list[str]] = {}
    for alias, target in BENCHMARK_ALIASES.items():
        aliases.setdefault(target, []).append(alias)
    for name in list_benchmarks():
        extra = f"  (also: {', '.join(aliases[name])})" if name in aliases else ""
        print(f"{name}{extra}")
    return 0
