"""What mteb's classification receives from mtebkit: one vector per input row, in the input order,
identical rows for identical texts, and the vectors sentence-transformers gives to float noise.

mteb (2.26.24) undersamples the train split by row position, encodes the union of the rows its
ten experiments use once, and indexes that matrix by position; so a vector out of place, or two
copies of one text encoded differently, would change what the logistic regression trains on.
mtebkit encodes each distinct text once, longest first, in token-budget batches: these tests show
that the result is still per row and in order. The real-data check (Banking77: the same score to
every digit as mteb + sentence-transformers) is in bench/README.md.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from mtebkit import Embedder
from tests.helpers.tiny_models import make_tiny_bert

WORDS = [
    "the",
    "card",
    "was",
    "lost",
    "stolen",
    "blocked",
    "new",
    "pin",
    "top",
    "up",
    "transfer",
    "fee",
    "refund",
]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_bert(
        tmp_path_factory.mktemp("tiny"),
        st_config={"pooling": "mean", "normalize": True, "max_length": 48},
    )


def _texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    distinct = [" ".join(rng.choices(WORDS, k=rng.randint(1, 30))) for _ in range(n // 2)]
    return [rng.choice(distinct) for _ in range(n)]  # about half are repeats, lengths mixed


def _as_mteb_batches(texts: list[str], size: int) -> list[dict[str, list[str]]]:
    """What mteb's DataLoader yields: batches of ``{"text": [...]}`` in the dataset's order."""
    return [{"text": texts[i : i + size]} for i in range(0, len(texts), size)]


@pytest.mark.slow  # an end-to-end run: kept out of the fast loop
def test_rows_in_input_order_and_duplicates_identical(tiny_dir: Path) -> None:
    from mteb.mocks.mock_tasks.classification import MockClassificationTask
    from sentence_transformers import SentenceTransformer

    texts = _texts(200)
    emb = Embedder(tiny_dir, batch_size=8)
    got = emb.encode(
        _as_mteb_batches(texts, 32),
        task_metadata=MockClassificationTask.metadata,
        hf_split="train",
        hf_subset="default",
    )
    assert got.shape == (200, 32) and got.dtype == np.float32
    first: dict[str, int] = {}
    for i, t in enumerate(texts):
        j = first.setdefault(t, i)
        assert np.array_equal(got[i], got[j]), (i, j)  # bit-identical, not just close
    alone = np.stack([emb.encode([t], batch_size=1)[0] for t in texts])  # no batching at all
    np.testing.assert_allclose(got, alone, atol=1e-6, rtol=0)
    st = SentenceTransformer(str(tiny_dir), device="cpu").encode(texts, batch_size=32)
    diff = float(np.abs(got - st).max())
    assert diff < 1e-6, diff
    # and the rows really differ from each other: an order mix-up could not hide
    assert len({got[i].tobytes() for i in range(len(texts))}) == len(set(texts))


@pytest.mark.slow  # an end-to-end run: kept out of the fast loop
def test_logistic_regression_predictions_do_not_see_float_noise(tiny_dir: Path) -> None:
    """mteb's classifier (LogisticRegression, max_iter 100, seeded) trained on mtebkit's vectors
    and on sentence-transformers' predicts the same labels."""
    from sentence_transformers import SentenceTransformer
    from sklearn.linear_model import LogisticRegression

    texts = _texts(240, seed=1)
    labels = [WORDS.index(t.split()[0]) % 3 for t in texts]  # a label the text determines
    ours = Embedder(tiny_dir, batch_size=8).encode(texts)
    st = SentenceTransformer(str(tiny_dir), device="cpu").encode(texts, batch_size=32)
    preds = []
    for x in (ours, st):
        clf = LogisticRegression(max_iter=100, random_state=42).fit(x[:160], labels[:160])
        preds.append(clf.predict(x[160:]))
    assert np.array_equal(preds[0], preds[1])
