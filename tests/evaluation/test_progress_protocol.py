"""The one progress protocol: what the engine reports, the tqdm bar a user gets, the run's
reporter behind the same calls."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest

from mtebkit import Embedder
from mtebkit._util.progress import Progress, TqdmProgress
from mtebkit.evaluation import ProgressReporter
from tests.helpers.tiny_models import make_tiny_bert


class _Recorder:
    """A Progress that keeps what it was told."""

    def __init__(self, counts_tokens: bool) -> None:
        self.counts_tokens = counts_tokens
        self.starts: list[tuple[int, int | None]] = []
        self.texts = self.tokens = self.closed = 0
        self._lock = threading.Lock()

    def start(self, total: int, tokens: int | None = None) -> None:
        self.starts.append((total, tokens))

    def update(self, n: int, tokens: int = 0) -> None:
        with self._lock:
            self.texts += n
            self.tokens += tokens

    def close(self) -> None:
        self.closed += 1


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_bert(
        tmp_path_factory.mktemp("tiny"),
        st_config={"pooling": "mean", "normalize": True, "max_length": 48},
    )


TEXTS = ["the cat", "a dog plays in the river", "the cat", "big red car on the road"]


@pytest.mark.parametrize("counts_tokens", [True, False])
def test_engine_reports_each_new_text_and_its_tokens(tiny_dir: Path, counts_tokens: bool) -> None:
    emb = Embedder(tiny_dir, batch_size=2)
    rec = _Recorder(counts_tokens)
    emb.progress = rec
    emb.encode(TEXTS)
    unique = list(dict.fromkeys(TEXTS))
    n_tokens = sum(len(x) for x in emb.engine.tokenizer(unique, truncation=True)["input_ids"])
    # tokens are counted up front only for a progress that asks (an ETA by tokens)
    assert rec.starts == [(len(unique), n_tokens if counts_tokens else None)]
    assert (rec.texts, rec.tokens, rec.closed) == (len(unique), n_tokens, 1)
    emb.encode([])  # nothing to encode: no call to report
    assert len(rec.starts) == 1


def test_show_progress_bar_draws_a_tqdm_bar(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[TqdmProgress] = []
    out = io.StringIO()

    class _Bar(TqdmProgress):
        def __init__(self) -> None:
            super().__init__(file=out, mininterval=0)
            drawn.append(self)

    monkeypatch.setattr("mtebkit.models._embedder.TqdmProgress", _Bar)
    emb = Embedder(tiny_dir, show_progress_bar=True)
    emb.encode(["the cat", "a dog"])
    emb.encode(["a bird"], show_progress_bar=False)  # the call's own flag wins
    assert len(drawn) == 1
    assert "Encoding" in out.getvalue() and "2/2" in out.getvalue()


def test_a_run_progress_wins_over_the_bar(tiny_dir: Path) -> None:
    emb = Embedder(tiny_dir, show_progress_bar=True)
    rec = _Recorder(False)
    emb.progress = rec
    emb.encode(["the cat"], show_progress_bar=False)  # what mteb passes in a run
    assert rec.starts == [(1, None)]


def test_reporter_encoding_is_the_protocol_over_its_counts() -> None:
    clock = iter(float(t) for t in range(100))
    via, direct = io.StringIO(), io.StringIO()
    a = ProgressReporter(via, live=False, interval=0, clock=lambda: next(clock))
    clock_b = iter(float(t) for t in range(100))
    b = ProgressReporter(direct, live=False, interval=0, clock=lambda: next(clock_b))
    for p in (a, b):
        p.task_started(1, 1, "Task")
    progress: Progress = a.encoding
    assert progress.counts_tokens
    progress.start(10, 200)
    progress.update(4, 150)
    progress.update(6, 50)
    progress.close()
    b.encoded(0, 10, 0, 200)
    b.encoded(4, 10, 150, 200)
    b.encoded(10, 10, 200, 200)
    a.task_finished()
    b.task_finished()
    assert via.getvalue() == direct.getvalue()
    assert "ETA" in via.getvalue() and "encoded 10 texts" in via.getvalue()


def test_reporter_scoring_counts_pairs() -> None:
    out = io.StringIO()
    p = ProgressReporter(out, live=False, interval=0)
    p.task_started(1, 1, "Task")
    assert not p.scoring.counts_tokens
    p.scoring.start(8)
    p.scoring.update(4)
    assert "reranking 4/8 pairs" in out.getvalue()
