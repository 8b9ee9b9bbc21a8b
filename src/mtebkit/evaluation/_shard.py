"""Sharding one encode across workers: the batches of one process, run by several.

The encoding engine forms an encode's batches from the whole length-sorted text list
(:meth:`~mtebkit.models._engine.EncodingEngine.batch_plan`) before anything is handed out;
:func:`encode_sharded` then deals out runs of *whole* batches (shards) to helper workers that
hold the same model, runs shards itself while they work, and puts every returned batch back at
its place in the plan. A vector depends only on its batch, so the vectors (and so the top-k and
scores of the exact search that follows) are the same as in one process, whatever the number of
helpers or the order they answer in. A shard whose helper is lost is run again elsewhere (by
another helper, or here); with no helper left the caller encodes the rest itself, so a sharded
encode never waits for a worker that is not coming.

Nothing here knows Ray: :class:`ShardHelpers` is implemented by the Ray executor
(``_ray.py``) and by fakes in the tests.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from mtebkit.errors import MtebkitError

if TYPE_CHECKING:
    import numpy as np

    from mtebkit._util.progress import Progress
    from mtebkit.models import BatchRunner, EncodingEngine, EncodingSettings

__all__ = [
    "DEFAULT_SHARD_TEXTS",
    "HelperLost",
    "Shard",
    "ShardHelpers",
    "encode_sharded",
    "sharded_runner",
    "split_shards",
]

# Texts per shard: a few batches, so a shard's round trip is small against its compute and
# the caller, which runs shards between handing them out, checks on its helpers often.
DEFAULT_SHARD_TEXTS = 256


@dataclass(frozen=True)
class Shard:
    """Whole batches of token ids; ``key`` is the plan index of the first one."""

    key: int
    batches: list[list[list[int]]]

    @property
    def n_texts(self) -> int:
        return sum(len(b) for b in self.batches)


@dataclass(frozen=True)
class HelperLost:
    """A helper went away before answering (process killed, node removed)."""

    reason: str


class ShardHelpers(Protocol):
    """Workers that encode shards, each with the model already (or about to be) loaded."""

    def helpers(self) -> list[Hashable]: ...

    def submit(self, helper: Hashable, shard: Shard) -> Hashable:
        """Start ``shard`` on ``helper``; return a ticket."""
        ...

    def ready(
        self, tickets: Sequence[Hashable], *, block: bool
    ) -> list[tuple[Hashable, tuple[int, list[np.ndarray]] | HelperLost]]:
        """Answered tickets (at least one when ``block``): ``(shard key, vectors per batch)``."""
        ...


def split_shards(batches: Sequence[Sequence[Any]], shard_texts: int) -> list[range]:
    """Runs of consecutive whole batches of about ``shard_texts`` texts (at least one batch)."""
    shards: list[range] = []
    start, size = 0, 0
    for k, b in enumerate(batches):
        size += len(b)
        if size >= shard_texts:
            shards.append(range(start, k + 1))
            start, size = k + 1, 0
    if start < len(batches):
        shards.append(range(start, len(batches)))
    return shards


def encode_sharded(
    batches: Sequence[list[list[int]]],
    *,
    local: Callable[[list[list[list[int]]]], list[np.ndarray]],
    helpers: ShardHelpers,
    shard_texts: int = DEFAULT_SHARD_TEXTS,
    depth: int = 2,
    on_remote: Callable[[int, int], None] | None = None,
) -> list[np.ndarray]:
    """One array per batch, in plan order: shards dealt to ``helpers`` (``depth`` queued on each,
    so none idles while this caller runs a shard itself with ``local``).

    Helpers take shards from the front of the plan and the caller from the back. A lost helper's
    shards go back to the queue and it gets no more. ``on_remote(n, tokens)``: ``n`` texts of ``tokens`` tokens came back.
    """
    spans = split_shards(batches, shard_texts)
    queue = deque(range(len(spans)))
    done: list[list[np.ndarray] | None] = [None] * len(spans)
    alive = list(helpers.helpers())
    inflight: dict[Hashable, tuple[Hashable, int]] = {}

    def shard(i: int) -> Shard:
        return Shard(spans[i].start, [batches[k] for k in spans[i]])

    def harvest(block: bool) -> None:
        for ticket, answer in helpers.ready(list(inflight), block=block):
            helper, i = inflight.pop(ticket)
            if isinstance(answer, HelperLost):
                if helper in alive:
                    alive.remove(helper)
                queue.appendleft(i)
                continue
            key, vectors = answer
            # the answer names its shard: a mix-up fails loudly instead of misplacing vectors
            if key != spans[i].start or len(vectors) != len(spans[i]):
                raise MtebkitError(f"internal error: shard {i} came back as shard at {key}")
            done[i] = vectors
            if on_remote is not None:
                came = [batches[k] for k in spans[i]]
                on_remote(sum(len(b) for b in came), sum(len(x) for b in came for x in b))

    while queue or inflight:
        for helper in list(alive):
            while queue and sum(1 for h, _ in inflight.values() if h == helper) < depth:
                i = queue.popleft()
                inflight[helpers.submit(helper, shard(i))] = (helper, i)
        if inflight:
            harvest(block=False)
        if queue:
            i = queue.pop()
            done[i] = local(shard(i).batches)
        elif inflight:
            harvest(block=True)
    return [v for part in done for v in (part or [])]


def sharded_runner(
    helpers_for: Callable[[EncodingSettings], ShardHelpers | None],
    *,
    min_texts: int,
    shard_texts: int = DEFAULT_SHARD_TEXTS,
) -> BatchRunner:
    """A :data:`~mtebkit.models._engine.BatchRunner` that shards encodes of ``min_texts`` texts
    or more across ``helpers_for(settings)`` (None: no helper, encode here)."""

    def run(
        engine: EncodingEngine,
        batches: list[list[list[int]]],
        settings: EncodingSettings,
        progress: Progress | None,
    ) -> list[np.ndarray]:
        def here(part: list[list[list[int]]]) -> list[np.ndarray]:
            return engine.forward_batches(part, settings=settings, progress=progress)

        n = sum(len(b) for b in batches)
        pool = helpers_for(settings) if n >= min_texts else None
        if pool is None or not pool.helpers():
            return here(batches)
        return encode_sharded(
            batches,
            local=here,
            helpers=pool,
            shard_texts=shard_texts,
            on_remote=None if progress is None else progress.update,
        )

    return run
