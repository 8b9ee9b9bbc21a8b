"""Writing custom task specs and their data, and a word-overlap encoder to evaluate them with."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from mtebkit.tasks import rehash_spec


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


def write_sts(root: Path, rows: list[dict[str, Any]] | None = None, name: str = "MySTS") -> Path:
    _jsonl(root / "sts" / "test.jsonl", STS_ROWS if rows is None else rows)
    spec = root / f"{name}.yaml"
    spec.write_text(
        "# a comment that must survive rehashing\n"
        + _yaml(
            {
                "name": name,
                "type": "sts",
                "description": "tiny test sts",
                "languages": ["eng-Latn"],
                "main_score": "cosine_spearman",
                "min_score": 0,
                "max_score": 5,
                "data": {"format": "rows", "files": {"test": "sts/test.jsonl"}},
            }
        ),
        encoding="utf-8",
    )
    rehash_spec(spec)
    return spec


def _yaml(body: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(body, sort_keys=False, allow_unicode=True)


class OverlapEncoder:
    """Word-count vectors over a fixed vocabulary: cosine = lexical overlap. No weights."""

    def __init__(self) -> None:
        from mteb.models.model_meta import ModelMeta, ScoringFunction

        self.vocab: dict[str, int] = {}
        self.mteb_model_meta = ModelMeta.create_empty(
            overwrites={
                "name": "test/overlap-encoder",
                "revision": "1" * 40,
                "embed_dim": 256,
                "similarity_fn_name": ScoringFunction.COSINE,
                "framework": ["PyTorch"],
            }
        )

    def vec(self, text: str) -> np.ndarray:
        v = np.full(256, 1e-4)
        for w in re.findall(r"\w+", text.lower()):
            v[int(hashlib.md5(w.encode()).hexdigest(), 16) % 256] += 1.0
        return v

    def encode(self, inputs: Any, **kwargs: Any) -> np.ndarray:
        texts = [t for batch in inputs for t in batch["text"]]
        return np.stack([self.vec(t) for t in texts]).astype(np.float32)

    def similarity(self, a: Any, b: Any) -> Any:
        import torch

        a, b = torch.as_tensor(np.asarray(a)), torch.as_tensor(np.asarray(b))
        return torch.nn.functional.normalize(a, dim=-1) @ torch.nn.functional.normalize(b, dim=-1).T

    def similarity_pairwise(self, a: Any, b: Any) -> Any:
        import torch

        a, b = torch.as_tensor(np.asarray(a)), torch.as_tensor(np.asarray(b))
        return (
            torch.nn.functional.normalize(a, dim=-1) * torch.nn.functional.normalize(b, dim=-1)
        ).sum(-1)


def _evaluate(task: Any) -> dict[str, Any]:
    import mteb

    res = mteb.evaluate(
        OverlapEncoder(), task, cache=None, show_progress_bar=False, co2_tracker=False
    )
    assert not res.exceptions, res.exceptions
    (tr,) = res.task_results
    (row,) = next(iter(tr.scores.values()))
    return row


STS_ROWS = [
    {"sentence1": "a cat sleeps", "sentence2": "a cat is sleeping", "score": 4.5},
    {"sentence1": "a dog runs", "sentence2": "the market fell", "score": 0.0},
    {"sentence1": "rain in the city", "sentence2": "rain falls on the city", "score": 3.8},
    {"sentence1": "red car", "sentence2": "blue boat", "score": 0.5},
]
