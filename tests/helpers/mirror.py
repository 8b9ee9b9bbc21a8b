"""Writing offline dataset mirrors (the Hugging Face layout) in a test's folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STS12 = ("mteb/sts12-sts", "a0d554a64d88156834ff5ae9920b964011b16384")


def _card(configs: list[dict[str, Any]]) -> str:
    import yaml

    return "---\n" + yaml.safe_dump({"configs": configs}, sort_keys=False) + "---\n"


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


STS_ROWS = [
    {"sentence1": f"sentence number {i}", "sentence2": f"another sentence {i}", "score": i % 6}
    for i in range(8)
]


def write_sts12(root: Path, *, rows: list[dict[str, Any]] | None = None, card: bool = True) -> Path:
    repo = root / STS12[0]
    _jsonl(repo / "test.jsonl", STS_ROWS if rows is None else rows)
    if card:
        (repo / "README.md").write_text(
            _card(
                [
                    {
                        "config_name": "default",
                        "data_files": [{"split": "test", "path": "test.jsonl"}],
                    }
                ]
            ),
            encoding="utf-8",
        )
    return repo
