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
    print(
        f"{'name':40s} {'protocol':12s} {'pooling':10s} {'norm':5s} {'maxlen':6s} "
        f"{'instruction on':18s} instruction"
    )
    for p in list_presets():
        where = "+".join(sorted(p.instruction_task_types)) or "-"
        print(
            f"{p.name:40s} {p.protocol:12s} {p.pooling:10s} {p.normalize!s:5s} {p.max_length:<6d} {where:18s} {p.query_instruction or '-'!r}"
        )
    return 0
