"""Builders of real-looking mteb result folders for the reporting tests (TaskResult JSON layout)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# the real model card (data) stays under tests/data; this module is code
CARD = (
    Path(__file__).resolve().parents[2]
    / "data"
    / "reporting"
    / "bge-base-en-v1.5_card_model-index.md"
)


def result_json(
    task: str,
    scores: Mapping[str, Mapping[str, Mapping[str, float]]],
    *,
    main_metric: str,
    languages: tuple[str, ...] = ("eng-Latn",),
    mteb_version: str = "2.26.24",
) -> dict[str, Any]:
    """A TaskResult dict: ``scores`` is ``{split: {hf_subset: {metric: value}}}`` on the 0-1 scale."""
    return {
        "dataset_revision": "0" * 40,
        "task_name": task,
        "mteb_version": mteb_version,
        "scores": {
            split: [
                {
                    **dict(m),
                    "hf_subset": subset,
                    "languages": list(languages),
                    "main_score": m[main_metric],
                }
                for subset, m in subsets.items()
            ]
            for split, subsets in scores.items()
        },
        "evaluation_time": 1.5,
        "kg_co2_emissions": None,
        "date": None,
    }


def write_result(
    root: Path,
    model: str,
    task: str,
    scores: Mapping[str, Mapping[str, Mapping[str, float]]],
    *,
    main_metric: str,
    revision: str = "rev1",
    experiment: str | None = None,
    settings: Mapping[str, Any] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> Path:
    """Write one result file in mteb's layout (plus model_meta.json); return its path."""
    rev_dir = root / model.replace("/", "__") / revision
    folder = rev_dir / "experiments" / experiment if experiment else rev_dir
    folder.mkdir(parents=True, exist_ok=True)
    obj = result_json(task, scores, main_metric=main_metric)
    if settings is not None:
        obj["mtebkit"] = {"schema_version": 1, "settings": dict(settings)}
    path = folder / f"{task}.json"
    path.write_text(json.dumps(obj, indent=2), encoding="utf-8")
    meta_obj = {
        "name": model,
        "revision": revision,
        "embed_dim": 384,
        "max_tokens": 512,
        **(meta or {}),
    }
    (rev_dir / "model_meta.json").write_text(json.dumps(meta_obj), encoding="utf-8")
    return path


def sts(value: float) -> dict[str, dict[str, dict[str, float]]]:
    return {"test": {"default": {"cosine_spearman": value, "cosine_pearson": value - 0.01}}}


def spearman_of(scores: list[float], gold: list[float]) -> float:
    """The main score (6 decimals, as mteb writes it) that STS items ``scores`` / ``gold`` give:
    a result whose stored score differs is refused as hand-edited."""
    from scipy.stats import spearmanr

    return round(float(spearmanr(gold, scores)[0]), 6)


def settings(**over: Any) -> dict[str, Any]:
    base = {
        "model": "org/m",
        "revision": "rev1",
        "query_instruction": None,
        "pooling": "cls",
        "normalize": True,
        "max_length": 512,
        "dtype": "float32",
        "reranker": None,
    }
    return {**base, **over}


def write_pair_items(
    result_path: Path,
    scores: list[float],
    gold: list[float],
    *,
    task_type: str = "STS",
    split: str = "test",
    subset: str = "default",
) -> Path:
    """Write ``<Task>.items.json.gz`` (schema 2, one ``cosine_scores`` column) beside ``result_path``."""
    import gzip

    task = result_path.name.removesuffix(".json")
    pc = task_type == "PairClassification"
    obj = {
        "format": "mtebkit-item-scores",
        "schema_version": 2,
        "task": task,
        "task_type": task_type,
        "kind": "pair_classification" if pc else "sts",
        "main_metric": "cosine_ap" if pc else "cosine_spearman",
        "higher_is_similar": {"cosine_scores": True},
        "entries": [
            {"split": split, "subset": subset, "gold": gold, "scores": {"cosine_scores": scores}}
        ],
    }
    out = result_path.with_name(f"{task}.items.json.gz")
    with gzip.open(out, "wt", encoding="utf-8") as f:
        json.dump(obj, f)
    return out
