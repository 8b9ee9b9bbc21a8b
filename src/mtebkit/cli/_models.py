"""``mtebkit models``: the model presets."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", help="show one preset in full")


def run(args: argparse.Namespace) -> int:
    from mtebkit.models import get_preset, list_presets

    if args.name:
        p = get_preset(args.name)
        for k, v in p.model_dump().items():
            if isinstance(v, frozenset):
                v = sorted(v)
            print(f"{k:24s} {v}")
        return 0
    from mtebkit.reporting import Table

    rows = [
        [
            p.name,
            p.protocol,
            p.pooling,
            str(p.normalize),
            str(p.max_length),
            "+".join(sorted(p.instruction_task_types)) or "-",
            repr(p.query_instruction or "-"),
        ]
        for p in list_presets()
    ]
    header = ["name", "protocol", "pooling", "norm", "maxlen", "instruction on", "instruction"]
    print(Table(header, rows, align_left=len(header)).to_terminal())
    return 0
