"""``RunConfig``: what to evaluate and how; the options of ``mtebkit run``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mteb.abstasks.abstask import AbsTask

__all__ = ["DEFAULT_RESULTS_DIR", "RunConfig"]

DEFAULT_RESULTS_DIR = Path("results")


@dataclass
class RunConfig:
    """What to evaluate and how. Mirrors the options of ``mtebkit run``.

    ``tasks`` are names (native, built-in or custom) or mteb task classes (also as
    ``"package.module:ClassName"``); ``tasks`` and
    ``benchmark`` are exclusive; with neither, the embedded demo tasks run.
    ``instruction_ablation`` runs retrieval and reranking tasks with and without the query
    instruction. ``reranker`` turns retrieval and reranking tasks into two-stage runs
    (retrieve ``rerank_top_k`` with the embedder, rerank with the cross-encoder); several
    depths are a sweep (one first stage, each pair reranked once); ``first_stage`` gives fixed
    candidates instead of the embedder's.
    """

    models: Sequence[str]
    tasks: Sequence[str | type[AbsTask]] | None = None
    benchmark: str | None = None
    data_dir: Path | None = None
    spec_paths: Sequence[Path] | None = None  # None: $MTEBKIT_TASKS_PATH and ./tasks
    results_dir: Path = DEFAULT_RESULTS_DIR
    batch_size: int | None = None
    max_length: int | None = None
    query_max_length: int | None = None  # queries only (retrieval, reranking); else max_length
    pooling: str | None = None  # cls / mean; None: the preset's or the model folder's
    normalize: bool | None = None
    query_instruction: str | None = None  # one for every query-side task; None: the preset's
    query_template: str | None = None  # "{}{}" style: template.format(instruction, query)
    use_fp16: bool = True
    dtype: str | None = None  # float32 / float16 / bfloat16; wins over use_fp16
    use_instructions: bool = True
    task_instructions: Mapping[str, str | None] = field(default_factory=dict)
    preset: str | None = None
    devices: Sequence[str] | None = None
    cpu_lanes: int | None = None
    overwrite: bool = False
    use_cache: bool = True
    cache_dir: Path | None = None
    reranker: str | None = None
    # several: a depth sweep, one experiment each; None: 100, cut to shorter candidate lists
    rerank_top_k: int | Sequence[int] | None = None
    # fixed candidates: "TASK=PATH" / "PATH" items or {task: path} (TREC run, mteb predictions)
    first_stage: Sequence[str] | Mapping[str, str | Path] | None = None
    instruction_ablation: bool = False
    keep_item_scores: bool = True
    save_predictions: bool = False  # mteb's <Task>_predictions.json beside each result
    task_types: Sequence[str] | None = None
    languages: Sequence[str] | None = None
    splits: Sequence[str] | None = None
    show_progress: bool = True  # task n of N, texts/s, ETA on stderr (live on a terminal)
