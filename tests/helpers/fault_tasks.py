"""mteb task classes for the hardening tests (import paths usable on the CLI's ``--tasks``)."""

from __future__ import annotations

from typing import Any

from datasets import Dataset, DatasetDict
from mteb.mocks.mock_tasks.sts import MockSTSTask


class ConstantSTSTask(MockSTSTask):
    """An STS split whose gold scores are all equal: every correlation is undefined (NaN)."""

    metadata = MockSTSTask.metadata.model_copy(update={"name": "ConstantSTSTask"})

    def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
        self.dataset = DatasetDict(
            {
                "test": Dataset.from_dict(
                    {
                        "sentence1": ["the cat plays", "a dog runs", "red car"],
                        "sentence2": ["a cat plays", "the river", "blue car"],
                        "score": [0.5, 0.5, 0.5],
                    }
                )
            }
        )
        self.data_loaded = True


class BigSTSTask(MockSTSTask):
    """An STS task with enough texts that encoding takes a while (kill -9 during encoding)."""

    metadata = MockSTSTask.metadata.model_copy(update={"name": "BigSTSTask"})

    def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
        words = ["cat", "dog", "river", "music", "car", "tree", "house", "film", "game", "city"]
        s1 = [f"the {words[i % 10]} {words[(i // 10) % 10]} plays {i}" for i in range(1000)]
        s2 = [f"a {words[(i * 7) % 10]} and the {words[i % 10]} {i}" for i in range(1000)]
        score = [float((i * 37) % 11) / 10 for i in range(1000)]
        self.dataset = DatasetDict(
            {"test": Dataset.from_dict({"sentence1": s1, "sentence2": s2, "score": score})}
        )
        self.data_loaded = True
