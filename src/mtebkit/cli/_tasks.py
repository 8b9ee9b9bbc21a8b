"""``mtebkit tasks``: list native, built-in and custom tasks and where their data comes from.

Also ``--rehash SPEC``: recompute and record the sha256 of a custom spec's data files.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

TERMINAL_WIDTH = 100

# common two-letter codes -> the ISO 639-3 codes mteb uses
_LANG_ALIASES = {"en": ("eng",), "zh": ("cmn", "zho"), "de": ("deu",), "fr": ("fra",)}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="offline dataset mirror (<org>/<name>/ as HF dataset repos); default $MTEBKIT_DATA_DIR",
    )
    p.add_argument("--type", dest="task_type", help="only this task type (e.g. Retrieval, STS)")
    p.add_argument("--lang", help="only tasks with this language (eng, eng-Latn, cmn, zh, ...)")
    p.add_argument("--custom-only", action="store_true", help="only built-in and spec tasks")
    p.add_argument(
        "--all-modalities",
        action="store_true",
        help="also image, audio and video tasks (default: text-only tasks)",
    )
    p.add_argument(
        "--wide",
        action="store_true",
        help="also the data source, full cells, no 100-column limit on the table",
    )
    p.add_argument(
        "--present-only", action="store_true", help="only tasks whose data is in the mirror"
    )
    p.add_argument(
        "--tasks-path",
        type=Path,
        action="append",
        default=None,
        metavar="PATH",
        help="spec file or folder (repeatable); default $MTEBKIT_TASKS_PATH and the declared "
        "specs (format: mtebkit-task) in ./tasks",
    )
    p.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    p.add_argument(
        "--rehash",
        type=Path,
        nargs="+",
        metavar="SPEC",
        help="recompute the sha256 of SPEC's data files and write them into SPEC",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="with --rehash: print the hashes, change nothing"
    )


def _lang_matches(wanted: str, languages: tuple[str, ...]) -> bool:
    w = wanted.strip()
    codes = _LANG_ALIASES.get(w.lower(), (w,))
    return any(lang == c or lang.split("-")[0] == c for c in codes for lang in languages)


def _short_langs(languages: tuple[str, ...], limit: int = 3) -> str:
    shown = ",".join(languages[:limit])
    return shown + (f",+{len(languages) - limit}" if len(languages) > limit else "")


def _rehash(args: argparse.Namespace) -> int:
    from mtebkit.tasks import rehash_spec

    for spec in args.rehash:
        digests = rehash_spec(spec, write=not args.dry_run)
        verb = "would record" if args.dry_run else "recorded"
        print(f"{spec}: {verb} {len(digests)} file hash(es)")
        for rel, digest in sorted(digests.items()):
            print(f"  {rel}: {digest}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.rehash:
        return _rehash(args)
    if args.dry_run:
        print("mtebkit tasks: --dry-run only applies to --rehash", file=sys.stderr)
        return 2

    from mtebkit.tasks import list_tasks, resolve_data_dir, spec_problems

    data_dir = resolve_data_dir(args.data_dir)
    if args.present_only and data_dir is None:
        print(
            "mtebkit tasks: --present-only needs --data-dir (or $MTEBKIT_DATA_DIR)",
            file=sys.stderr,
        )
        return 2
    infos = list_tasks(
        data_dir=data_dir, spec_paths=args.tasks_path, include_native=not args.custom_only
    )
    problems = spec_problems(args.tasks_path)
    hidden = 0
    if not args.all_modalities:
        text_only = [i for i in infos if set(i.modalities) <= {"text"}]
        hidden = len(infos) - len(text_only)
        infos = text_only
    if args.task_type:
        infos = [i for i in infos if i.type.lower() == args.task_type.lower()]
    if args.lang:
        infos = [i for i in infos if _lang_matches(args.lang, i.languages)]
    if args.present_only:
        # local spec data is always present; hub data must be in the mirror
        infos = [i for i in infos if i.present_in_mirror is not False]

    if args.json:
        for i in infos:
            record = {
                "name": i.name,
                "type": i.type,
                "languages": list(i.languages),
                "splits": list(i.splits),
                "main_score": i.main_score,
                "source": i.source,
                "kind": i.kind,
                "modalities": list(i.modalities),
                "present_in_mirror": i.present_in_mirror,
                "unpinned": i.unpinned,
            }
            print(json.dumps(record, ensure_ascii=False))
        return _report_problems(problems)

    show_present = data_dir is not None
    header = ["name", "type", "languages", "splits", "main score", "kind", "source"]
    if show_present:
        header.insert(6, "mirror")
    rows: list[list[str]] = []
    for i in infos:
        row = [
            i.name,
            i.type,
            _short_langs(i.languages, 3 if args.wide else 2),
            ",".join(i.splits),
            i.main_score,
            f"{i.kind} (unpinned)" if i.unpinned else i.kind,
            i.source,
        ]
        if show_present:
            row.insert(6, {True: "yes", False: "no", None: "local"}[i.present_in_mirror])
        rows.append(row if args.wide else row[:-1])
    if not args.wide:  # the data source is the least read column: --wide and --json show it
        header.pop()
    from mtebkit.reporting import Table

    # every column is text; a task name is never cut (it is what --tasks is given)
    table = Table(header, rows, align_left=len(header), uncut=(0,))
    print(table.to_terminal(max_width=None if args.wide else TERMINAL_WIDTH))
    where = f" (mirror: {data_dir})" if data_dir is not None else ""
    more = f"; {hidden} image/audio/video task(s) hidden (--all-modalities)" if hidden else ""
    print(f"{len(rows)} task(s){where}{more}", file=sys.stderr)
    if os.environ.get("MTEBKIT_TASKS_PATH") and args.tasks_path is None:
        print(
            f"custom specs also from $MTEBKIT_TASKS_PATH={os.environ['MTEBKIT_TASKS_PATH']}",
            file=sys.stderr,
        )
    return _report_problems(problems)


def _report_problems(problems: dict[Path, str]) -> int:
    """Print every spec that could not be loaded; exit 2 if there is one (the rest is listed)."""
    for message in problems.values():
        print(f"mtebkit: error: {message}", file=sys.stderr)
    return 2 if problems else 0
