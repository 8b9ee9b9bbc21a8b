"""Builders for sweep tests: a training output folder of tiny checkpoints, an STS spec with a
validation split, and a fake executor that scores each checkpoint by its step."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from mtebkit.evaluation import Job, JobOutcome
from mtebkit.tasks import rehash_spec
from tests.helpers.tiny_models import make_tiny_bert

ST_CONFIG = {"pooling": "mean", "normalize": True, "max_length": 32}

# pairs of the tiny vocabulary (tests.helpers.tiny_models.WORDS): the tiny models tokenize them
_PAIRS = [
    ("the cat eats food", "a cat eats food", 4.8),
    ("the dog runs", "a dog runs in the city", 4.0),
    ("a man reads a book", "the woman writes a book", 2.5),
    ("the river is big", "a small fire", 0.3),
    ("a red car", "the blue car", 2.8),
    ("the old house", "a new house", 3.0),
    ("music and film", "water and fire", 0.5),
    ("a green tree on the mountain", "the tree is green", 3.5),
    ("the woman sings", "a man swims", 0.8),
    ("who cooks food", "what food is this", 1.5),
    ("the game is new", "a new game", 4.5),
    ("the city river", "a river in the city", 4.2),
]


def _jsonl(path: Path, rows: Sequence[Mapping[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def write_dev_sts(
    root: Path, name: str = "DevSTS", splits: Sequence[str] = ("validation", "test")
) -> Path:
    """A custom STS task with these evaluation splits (six pairs each) in ``root``."""
    import yaml

    files = {}
    for i, split in enumerate(splits):
        rows = [
            {"sentence1": a, "sentence2": b, "score": s}
            for a, b, s in _PAIRS[i % 2 :: 2] + _PAIRS[(i + 1) % 2 :: 4]
        ]
        _jsonl(root / name / f"{split}.jsonl", rows)
        files[split] = f"{name}/{split}.jsonl"
    spec = root / f"{name}.yaml"
    body = {
        "name": name,
        "type": "sts",
        "description": "tiny STS with a dev split",
        "languages": ["eng-Latn"],
        "eval_splits": list(splits),
        "main_score": "cosine_spearman",
        "min_score": 0,
        "max_score": 5,
        "data": {"format": "rows", "files": files},
    }
    spec.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    rehash_spec(spec)
    return spec


def write_checkpoint(out: Path, step: int, *, seed: int | None = None, state: bool = True) -> Path:
    """``out/checkpoint-<step>``: a tiny sentence-transformers model, and the trainer's
    ``trainer_state.json`` when ``state``."""
    folder = make_tiny_bert(
        out / f"checkpoint-{step}", seed=step if seed is None else seed, st_config=ST_CONFIG
    )
    if state:
        (folder / "trainer_state.json").write_text(json.dumps({"global_step": step}), "utf-8")
    return folder


def write_run(out: Path, steps: Sequence[int] = (100, 200, 300)) -> Path:
    """A training output folder with one tiny checkpoint per step (different weights)."""
    for step in steps:
        write_checkpoint(out, step)
    return out


class StepExecutor:
    """Loads no model: a checkpoint's score on every split it was planned on is ``scores[step]``
    (the step from its folder name); ``ran`` lists the labels of the jobs given to it."""

    def __init__(self, scores: Mapping[int, float], fail: Sequence[int] = ()) -> None:
        self.scores, self.fail = dict(scores), set(fail)
        self.ran: list[str] = []

    def run(self, jobs: Sequence[Job]) -> Iterator[JobOutcome]:
        from mteb.results import TaskResult

        for job in jobs:
            self.ran.append(job.label)
            step = int(Path(job.model.model).name.rsplit("-", 1)[1])
            if step in self.fail:
                yield JobOutcome(job=job, error=f"step {step} cannot be evaluated")
                continue
            row = {
                "main_score": self.scores[step],
                "hf_subset": "default",
                "languages": ["eng-Latn"],
            }
            splits = job.task.eval_splits or ("test",)
            result = TaskResult(
                dataset_revision=job.dataset_revision or "fake",
                task_name=job.task.name,
                mteb_version="2.0.0",
                scores={split: [dict(row)] for split in splits},
                evaluation_time=0.0,
            )
            yield JobOutcome(
                job=job,
                result=result,
                settings=dict(job.settings),
                model_meta={"name": job.model_name, "revision": job.revision},
            )
