"""Sharding one encode across workers, without Ray: fake helpers that answer out of order or
go away, and a tiny real model whose sharded vectors must equal an unsharded encode's."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from pathlib import Path

import numpy as np
import pytest

from mtebkit.evaluation._shard import (
    HelperLost,
    Shard,
    encode_sharded,
    sharded_runner,
    split_shards,
)
from tests.helpers.tiny_models import varied_texts


def _fake_vectors(batches: list[list[list[int]]]) -> list[np.ndarray]:
    """A "model": each text's vector is (sum of its ids, its length), so a misplaced batch shows."""
    return [np.array([[sum(t), len(t)] for t in b], dtype=np.float32) for b in batches]


class FakeHelpers:
    """Helpers that compute with ``compute``; ``ready`` answers the newest tickets first (out of
    order); ``lose_after[h] = n``: helper ``h`` answers n shards, then is lost with all it holds."""

    def __init__(
        self,
        n: int,
        compute: Callable[[list[list[list[int]]]], list[np.ndarray]] = _fake_vectors,
        lose_after: dict[int, int] | None = None,
    ) -> None:
        self.n, self.compute = n, compute
        self.lose_after = dict(lose_after or {})
        self.pending: dict[int, tuple[int, Shard]] = {}
        self.next_ticket = 0
        self.answered: dict[int, int] = {}
        self.dead: set[int] = set()

    def helpers(self) -> list[Hashable]:
        return list(range(self.n))

    def submit(self, helper: Hashable, shard: Shard) -> Hashable:
        assert isinstance(helper, int)
        self.next_ticket += 1
        self.pending[self.next_ticket] = (helper, shard)
        return self.next_ticket

    def ready(
        self, tickets: Sequence[Hashable], *, block: bool
    ) -> list[tuple[Hashable, tuple[int, list[np.ndarray]] | HelperLost]]:
        if not block:
            return []  # never ready at a glance: the caller must block or work itself
        out: list[tuple[Hashable, tuple[int, list[np.ndarray]] | HelperLost]] = []
        for ticket in sorted((t for t in tickets if isinstance(t, int)), reverse=True):
            helper, shard = self.pending.pop(ticket)
            if helper in self.dead or self.answered.get(helper, 0) >= self.lose_after.get(
                helper, 10**9
            ):
                self.dead.add(helper)
                out.append((ticket, HelperLost("killed")))
                continue
            self.answered[helper] = self.answered.get(helper, 0) + 1
            out.append((ticket, (shard.key, self.compute(shard.batches))))
        return out


def _batches(n: int, size: int = 3) -> list[list[list[int]]]:
    texts = [[i, i + 1, i * 2][: 1 + i % 3] for i in range(n)]
    return [texts[k : k + size] for k in range(0, n, size)]


def _equal(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_split_shards_keeps_batches_whole_and_in_order() -> None:
    batches = [[0] * n for n in (4, 4, 3, 1, 5, 2)]
    assert split_shards(batches, 8) == [range(0, 2), range(2, 5), range(5, 6)]
    assert split_shards(batches, 1) == [range(k, k + 1) for k in range(6)]
    assert split_shards(batches, 100) == [range(0, 6)]
    assert split_shards([], 8) == []


@pytest.mark.parametrize("n_helpers", [0, 1, 3])
def test_out_of_order_answers_land_at_their_place(n_helpers: int) -> None:
    batches = _batches(40)
    ran_here: list[int] = []

    def local(part: list[list[list[int]]]) -> list[np.ndarray]:
        ran_here.append(sum(len(b) for b in part))
        return _fake_vectors(part)

    remote: list[int] = []
    got = encode_sharded(
        batches,
        local=local,
        helpers=FakeHelpers(n_helpers),
        shard_texts=6,
        on_remote=lambda n, tokens: remote.append(n),
    )
    assert _equal(got, _fake_vectors(batches))
    assert sum(ran_here) + sum(remote) == 40  # every text ran exactly once
    assert (sum(remote) > 0) == (n_helpers > 0)


def test_a_lost_helpers_shards_are_run_again_elsewhere() -> None:
    batches = _batches(60)
    helpers = FakeHelpers(2, lose_after={0: 1})
    got = encode_sharded(batches, local=_fake_vectors, helpers=helpers, shard_texts=3)
    assert _equal(got, _fake_vectors(batches))
    assert helpers.dead == {0} and helpers.answered[0] == 1 and helpers.answered[1] > 1


def test_with_every_helper_lost_the_caller_encodes_the_rest() -> None:
    batches = _batches(30)
    helpers = FakeHelpers(2, lose_after={0: 0, 1: 0})
    got = encode_sharded(batches, local=_fake_vectors, helpers=helpers, shard_texts=3)
    assert _equal(got, _fake_vectors(batches))
    assert helpers.dead == {0, 1}


def test_a_shard_answered_with_the_wrong_key_fails_loudly() -> None:
    class Mixup(FakeHelpers):
        def ready(self, tickets: Sequence[Hashable], *, block: bool):  # type: ignore[no-untyped-def]
            return [
                (t, (a[0] + 1, a[1]) if not isinstance(a, HelperLost) else a)
                for t, a in super().ready(tickets, block=block)
            ]

    from mtebkit.errors import MtebkitError

    with pytest.raises(MtebkitError, match="came back as shard"):
        encode_sharded(_batches(30), local=_fake_vectors, helpers=Mixup(1), shard_texts=3)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.helpers.tiny_models import make_tiny_mean_bert

    return make_tiny_mean_bert(tmp_path_factory.mktemp("tiny") / "m")


@pytest.mark.slow  # an end-to-end run: kept out of the fast loop
def test_a_sharded_encode_gives_the_unsharded_vectors_bit_for_bit(tiny_model: Path) -> None:
    """Helpers are a second engine loaded from the same files (another worker's model); the plan
    is the caller's, so the vectors are bit-identical whatever the number of helpers."""
    from mtebkit import Embedder
    from mtebkit.models import EncodingSettings, batches_run_by
    from tests.helpers.invariance import same_in_any_batch

    texts = varied_texts(60) + varied_texts(6)  # with repeats: encoded once, restored everywhere
    here = Embedder(tiny_model, batch_size=4, cpu_lanes=1)
    other = Embedder(tiny_model, batch_size=4, cpu_lanes=1).engine
    plain = here.encode(texts)
    settings = here.engine.settings(pooling="mean", normalize=True, max_length=48)

    for n in (1, 3):
        made: list[FakeHelpers] = []

        def helpers_for(
            s: EncodingSettings, n: int = n, made: list[FakeHelpers] = made
        ) -> FakeHelpers:
            assert s == settings
            made.append(
                FakeHelpers(
                    n, compute=lambda b: other.forward_batches(b, settings=s), lose_after={0: 1}
                )
            )
            return made[-1]

        runner = sharded_runner(helpers_for, min_texts=30, shard_texts=8)
        with batches_run_by(runner):
            sharded = here.encode(texts)
            small = here.encode(texts[:20])  # under min_texts: never sharded
        (helpers,) = made
        assert helpers.answered[0] == 1 and helpers.dead == {0}  # one shard, then lost
        assert n == 1 or sum(helpers.answered.values()) > 1
        assert sharded.dtype == np.float32 and np.array_equal(sharded, plain)
        # another batch plan: the engine's invariant (tests/models/test_batch_invariance.py)
        assert same_in_any_batch(small, plain[:20], here.engine.cpu_kernels)
    # outside the block, encodes run here again
    assert np.array_equal(here.encode(texts), plain)
