"""Synthetic STS and retrieval tasks (mteb mock tasks with more items) and a runner that files
results exactly as ``mtebkit run`` does: mteb.evaluate -> write_task_result -> save_item_scores."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from datasets import Dataset, DatasetDict
from mteb.abstasks.retrieval_dataset_loaders import RetrievalSplitData
from mteb.mocks.mock_tasks.retrieval import MockRetrievalTask
from mteb.mocks.mock_tasks.sts import MockSTSTask

from tests.helpers.reporting.factory import settings
from tests.helpers.reporting.stub_encoder import StubEncoder

VOCAB = [f"w{i}" for i in range(60)]


class SyntheticSTS(MockSTSTask):
    metadata = MockSTSTask.metadata.model_copy(update={"name": "SyntheticSTS"})

    def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
        rng = np.random.default_rng(7)
        s1, s2, score = [], [], []
        for _ in range(120):
            words = list(rng.choice(VOCAB, 8, replace=False))
            k = int(rng.integers(0, 9))  # words replaced: gold similarity 1 - k/8
            other = words[: 8 - k] + list(rng.choice(VOCAB, k))
            s1.append(" ".join(words))
            s2.append(" ".join(other))
            score.append(1 - k / 8)
        self.dataset = DatasetDict(
            {"test": Dataset.from_dict({"sentence1": s1, "sentence2": s2, "score": score})}
        )
        self.data_loaded = True


class SyntheticRetrieval(MockRetrievalTask):
    metadata = MockRetrievalTask.metadata.model_copy(
        update={"name": "SyntheticRetrieval", "eval_splits": ["test"]}
    )

    def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
        rng = np.random.default_rng(11)
        docs, queries, qrels = [], [], {}
        for i in range(80):
            docs.append({"id": f"d{i}", "text": " ".join(rng.choice(VOCAB, 12)), "title": ""})
        for q in range(40):
            target = docs[q]
            words = target["text"].split()
            queries.append(
                {
                    "id": f"q{q}",
                    "text": " ".join(list(rng.choice(words, 4)) + list(rng.choice(VOCAB, 2))),
                }
            )
            qrels[f"q{q}"] = {f"d{q}": 1}
        split = RetrievalSplitData(
            queries=Dataset.from_list(queries),
            corpus=Dataset.from_list(docs),
            relevant_docs=qrels,
            top_ranked=None,
        )
        self.dataset = {"default": {"test": split}}
        self.data_loaded = True


def make_run(
    root: Path,
    model: str,
    *,
    noise: float,
    tasks: tuple[type, ...] = (SyntheticSTS, SyntheticRetrieval),
) -> Path:
    """Evaluate a stub encoder on ``tasks`` and file the results + item scores under ``root``."""

    from mtebkit.evaluation._two_stage import evaluate_one
    from mtebkit.results import write_task_result
    from mtebkit.results._item_scores import item_scores_path, save_item_scores

    enc = StubEncoder(name=model, noise=noise)
    for cls in tasks:
        task = cls()
        task.load_data()
        pred = Path(tempfile.mkdtemp(prefix="mtebkit-test-pred-"))
        try:
            result = evaluate_one(enc, task, encode_kwargs={}, prediction_folder=pred)
            path = write_task_result(
                root, enc.mteb_model_meta, result, settings(model=model, revision="0" * 40)
            )
            save_item_scores(
                task,
                pred / f"{task.metadata.name}_predictions.json",
                item_scores_path(path.parent, task.metadata.name),
            )
        finally:
            shutil.rmtree(pred, ignore_errors=True)
    return root
