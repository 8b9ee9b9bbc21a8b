"""Synthetic STS, pair-classification, retrieval and reranking tasks (mteb mock tasks with more
items, some with exactly tied scores) and a runner that files
results exactly as ``mtebkit run`` does: mteb.evaluate -> write_task_result -> save_item_scores."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from datasets import Dataset, DatasetDict
from mteb.abstasks.retrieval_dataset_loaders import RetrievalSplitData
from mteb.mocks.mock_tasks.pair_classification import MockPairClassificationTask
from mteb.mocks.mock_tasks.reranking import MockRerankingTask
from mteb.mocks.mock_tasks.retrieval import MockRetrievalTask
from mteb.mocks.mock_tasks.sts import MockSTSTask

from tests.helpers.reporting.factory import settings
from tests.helpers.reporting.stub_encoder import StubEncoder
from tests.helpers.tiny_models import WORDS as TINY_WORDS

VOCAB = [f"w{i}" for i in range(60)]
# words the tiny BERT of tests/helpers/tiny_models.py knows (VOCAB's are all one [UNK] to it)
WORDS = [w for w in TINY_WORDS if w.isascii()]


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


def _pair_dataset(seed: int, column: str, gold: Callable[[int], float]) -> DatasetDict:
    """150 pairs with ``k`` of 8 words replaced and gold ``gold(k)`` in ``column``; every fifth
    pair repeats an earlier one, so models give exactly tied scores."""
    s1, s2, ks = _pairs(seed, 150)
    data = {"sentence1": s1, "sentence2": s2, column: [gold(k) for k in ks]}
    return DatasetDict({"test": Dataset.from_dict(data)})


def _pairs(seed: int, n: int) -> tuple[list[str], list[str], list[int]]:
    rng = np.random.default_rng(seed)
    s1: list[str] = []
    s2: list[str] = []
    ks: list[int] = []
    for i in range(n):
        if i % 5 == 4:
            j = int(rng.integers(0, i))
            s1.append(s1[j])
            s2.append(s2[j])
            ks.append(ks[j])
            continue
        words = list(rng.choice(WORDS, 8, replace=False))
        k = int(rng.integers(0, 9))
        s1.append(" ".join(words))
        s2.append(" ".join(words[: 8 - k] + list(rng.choice(WORDS, k))))
        ks.append(k)
    return s1, s2, ks


class SyntheticSTSTied(MockSTSTask):
    """STS pairs with repeats (tied scores); gold similarity ``1 - k/8``."""

    metadata = MockSTSTask.metadata.model_copy(update={"name": "SyntheticSTSTied"})

    def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
        self.dataset = _pair_dataset(3, "score", lambda k: 1 - k / 8)
        self.data_loaded = True


class SyntheticPairClassification(MockPairClassificationTask):
    """Label 1 when at most 3 of 8 words differ; main score ``max_ap`` as MTEB(eng)'s."""

    metadata = MockPairClassificationTask.metadata.model_copy(
        update={"name": "SyntheticPairClassification", "main_score": "max_ap"}
    )

    def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
        self.dataset = _pair_dataset(5, "labels", lambda k: int(k <= 3))
        self.data_loaded = True


class SyntheticPairClassificationAcc(SyntheticPairClassification):
    """The same pairs with C-MTEB's main score ``max_accuracy``."""

    metadata = SyntheticPairClassification.metadata.model_copy(
        update={"name": "SyntheticPairClassificationAcc", "main_score": "max_accuracy"}
    )


def _retrieval_split(seed: int, *, top_ranked: bool) -> RetrievalSplitData:
    """40 queries over 80 documents; documents d80.. duplicate the text of d0.. (tied scores
    under different ids), and some queries judge a duplicate relevant, some a non-relevant one."""
    rng = np.random.default_rng(seed)
    docs = [
        {"id": f"d{i}", "text": " ".join(rng.choice(WORDS, 12)), "title": ""} for i in range(80)
    ]
    docs += [{"id": f"d{80 + i}", "text": docs[i]["text"], "title": ""} for i in range(20)]
    queries, qrels, ranked = [], {}, {}
    for q in range(40):
        words = docs[q]["text"].split()
        text = " ".join(list(rng.choice(words, 4)) + list(rng.choice(WORDS, 2)))
        queries.append({"id": f"q{q}", "text": text})
        qrels[f"q{q}"] = {f"d{q}": 1}
        if q < 20:  # the twin of the relevant document: relevant for even, judged 0 for odd
            qrels[f"q{q}"][f"d{80 + q}"] = 1 if q % 2 == 0 else 0
        ranked[f"q{q}"] = [f"d{q}", f"d{80 + q % 20}", *(f"d{int(i)}" for i in rng.choice(80, 8))]
    return RetrievalSplitData(
        queries=Dataset.from_list(queries),
        corpus=Dataset.from_list(docs),
        relevant_docs=qrels,
        top_ranked=ranked if top_ranked else None,
    )


class SyntheticRetrievalTied(MockRetrievalTask):
    """Retrieval with twin documents (tied scores under different ids); main score ndcg_at_10."""

    metadata = MockRetrievalTask.metadata.model_copy(
        update={"name": "SyntheticRetrievalTied", "eval_splits": ["test"]}
    )

    def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
        self.dataset = {"default": {"test": _retrieval_split(11, top_ranked=False)}}
        self.data_loaded = True


class SyntheticRetrievalMRR(MockRetrievalTask):
    """Retrieval with tied documents whose main score is ``mrr_at_10`` (as some C-MTEB tasks)."""

    metadata = MockRetrievalTask.metadata.model_copy(
        update={"name": "SyntheticRetrievalMRR", "eval_splits": ["test"], "main_score": "mrr_at_10"}
    )

    def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
        self.dataset = {"default": {"test": _retrieval_split(13, top_ranked=False)}}
        self.data_loaded = True


class SyntheticReranking(MockRerankingTask):
    """Reranking of 10 candidates per query (tied twins among them); main score map_at_1000."""

    metadata = MockRerankingTask.metadata.model_copy(update={"name": "SyntheticReranking"})

    def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
        self.dataset = {"default": {"test": _retrieval_split(17, top_ranked=True)}}
        self.data_loaded = True


def make_run(
    root: Path,
    model: str,
    *,
    noise: float,
    tasks: tuple[type, ...] = (SyntheticSTS, SyntheticRetrieval),
) -> Path:
    """Evaluate a stub encoder on ``tasks`` and file the results + item scores under ``root``."""

    from mtebkit.evaluation import evaluate_one
    from mtebkit.results import item_scores_path, save_item_scores, write_task_result

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
