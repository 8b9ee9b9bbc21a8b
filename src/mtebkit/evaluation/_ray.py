"""Running a plan on a Ray cluster: :class:`RayExecutor` (the optional extra ``mtebkit[ray]``).

One actor per worker slot loads a model once and runs every job for it; the driver hands jobs
out as slots free up (a slot keeps the model it has loaded while jobs for it remain), gathers
the outcomes and, through :func:`~mtebkit.evaluation._execute.execute`, writes every file: the
workers need no access to the results folder. A job whose worker dies (a killed process, a
removed node) is run again elsewhere; it writes nothing itself, so a retry is idempotent. A job
that fails for good comes back as an outcome with ``error`` and the others go on.

When the queue runs dry, the job started last borrows the idle slots that hold its model (or
none): its worker shards each large encode across them (:mod:`~mtebkit.evaluation._shard`),
and they come back to the pool when the job ends. Only idle slots are lent, and the job's own
worker runs shards too, so no worker ever waits on a busy one.

The dispatch logic (:func:`schedule`) knows nothing of Ray: it drives a :class:`WorkerPool`,
which tests replace with a fake. ``ray`` is imported only when a :class:`RayExecutor` runs.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import deque
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mtebkit.errors import ConfigError, MtebkitError
from mtebkit.evaluation._jobs import Job, JobOutcome, ModelSpec
from mtebkit.evaluation._shard import DEFAULT_SHARD_TEXTS, HelperLost, Shard

if TYPE_CHECKING:
    import numpy as np

    from mtebkit.models import EncodingSettings

__all__ = ["RayExecutor", "WorkerLost", "WorkerPool", "schedule"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerLost:
    """A job's worker went away before answering (process killed, node removed)."""

    reason: str


class WorkerPool(Protocol):
    """Worker slots that run one job at a time each."""

    def start(self) -> list[Hashable]:
        """Start the workers; return their slot keys."""
        ...

    def submit(self, slot: Hashable, job: Job, helpers: Sequence[Hashable] = ()) -> Hashable:
        """Start ``job`` on ``slot`` (lent ``helpers`` to shard its encodes on); return a ticket
        for :meth:`wait`."""
        ...

    def reclaim(self, slots: Sequence[Hashable]) -> list[Hashable]:
        """Lent slots back from a finished job: those alive, lost ones replaced where possible."""
        ...

    def wait(self, tickets: Sequence[Hashable]) -> tuple[Hashable, JobOutcome | WorkerLost]:
        """Block until one ticket is answered."""
        ...

    def replace(self, slot: Hashable) -> Hashable | None:
        """A fresh worker for a lost one (None when its node is gone)."""
        ...

    def describe(self, slot: Hashable) -> str:
        """Where a slot runs, for progress lines."""
        ...

    def close(self) -> None: ...


def _pick(queue: deque[Job], loaded: ModelSpec | None, busy_models: set[ModelSpec]) -> Job:
    """The next job for a slot: one for the model it holds, else one for a model no other slot
    is running (so each model loads on as few workers as possible), else the next in order."""
    for want in (lambda j: j.model == loaded, lambda j: j.model not in busy_models):
        for job in queue:
            if want(job):
                queue.remove(job)
                return job
    return queue.popleft()


def schedule(
    jobs: Sequence[Job],
    pool: WorkerPool,
    *,
    max_retries: int = 2,
    progress: Callable[[str], None] | None = None,
    lend_idle: bool = False,
) -> Iterator[JobOutcome]:
    """Run ``jobs`` on ``pool``'s slots and yield one outcome per job as each finishes.

    Jobs marked ``"done"`` by the plan are never dispatched. A job whose worker is lost is
    queued again up to ``max_retries`` times (the lost worker is replaced while its node lives);
    after that, or when no worker is left, it yields an outcome with ``error``. With
    ``lend_idle``, a job started when no other job waits is lent the idle slots that hold its
    model or none (to shard its encodes), until it ends.
    """
    queue = deque(j for j in jobs if j.status != "done")
    total = len(queue)
    attempts: dict[Path, int] = {}  # by result path (jobs are not hashable)
    loaded: dict[Hashable, ModelSpec] = {}
    idle: list[Hashable] = list(pool.start())
    running: dict[Hashable, tuple[Hashable, Job]] = {}
    lent: dict[Hashable, list[Hashable]] = {}
    finished = 0

    def say(event: str) -> None:
        if progress is not None:
            left = total - finished - len(running)
            progress(f"[{finished} done, {len(running)} running, {left} left] {event}")

    try:
        while queue or running:
            while queue and idle:
                slot = idle.pop(0)
                busy = {job.model for _, job in running.values()}
                job = _pick(queue, loaded.get(slot), busy)
                helpers = _lendable(idle, loaded, job.model) if lend_idle and not queue else []
                idle = [s for s in idle if s not in helpers]
                ticket = pool.submit(slot, job, helpers) if helpers else pool.submit(slot, job)
                running[ticket], lent[ticket] = (slot, job), helpers
                say(f"{job.label} started on {pool.describe(slot)}")
                if helpers:
                    loaded.update(dict.fromkeys(helpers, job.model))
                    where = "; ".join(pool.describe(h) for h in helpers)
                    say(f"{job.label}: lent {len(helpers)} idle worker(s) to shard on: {where}")
            if not running:  # work left but every worker gone
                while queue:
                    job = queue.popleft()
                    finished += 1
                    yield JobOutcome(job=job, error="no worker left to run it")
                break
            ticket, answer = pool.wait(list(running))
            slot, job = running.pop(ticket)
            if lent.get(ticket):
                idle.extend(pool.reclaim(lent[ticket]))
            lent.pop(ticket, None)
            if isinstance(answer, WorkerLost):
                loaded.pop(slot, None)
                fresh = pool.replace(slot)
                if fresh is not None:
                    idle.append(fresh)
                tries = attempts[job.result_path] = attempts.get(job.result_path, 0) + 1
                if tries <= max_retries:
                    queue.appendleft(job)
                    say(f"{job.label}: worker lost ({answer.reason}); retrying")
                    continue
                finished += 1
                say(f"{job.label}: worker lost ({answer.reason}); giving up")
                yield JobOutcome(
                    job=job,
                    error=f"its worker was lost {tries} time(s), last: {answer.reason}",
                )
                continue
            loaded[slot] = job.model
            idle.append(slot)
            finished += 1
            say(f"{job.label} {'failed' if answer.error else 'finished'} on {pool.describe(slot)}")
            yield answer
    finally:
        pool.close()


def _lendable(
    idle: list[Hashable], loaded: dict[Hashable, ModelSpec], model: ModelSpec
) -> list[Hashable]:
    """Idle slots that hold ``model`` or nothing (lending others would swap their model out)."""
    return [s for s in idle if loaded.get(s) in (None, model)]


# file systems on which SQLite's locking (and so the cache's WAL index) is not safe
NETWORK_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "ceph", "lustre", "gpfs", "beegfs", "glusterfs"}
)


def network_filesystem(path: Path, mounts: str | None = None) -> str | None:
    """The network file system type ``path`` lies on (from ``/proc/mounts``), or None."""
    if mounts is None:
        try:
            mounts = Path("/proc/mounts").read_text(encoding="utf-8")
        except OSError:  # not Linux: cannot tell
            return None
    target = Path(os.path.abspath(path))
    best: tuple[int, str] | None = None
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point, fstype = Path(fields[1].replace("\\040", " ")), fields[2]
        if (target == point or point in target.parents) and (
            best is None or len(point.parts) > best[0]
        ):
            best = (len(point.parts), fstype)
    if best is None:
        return None
    fstype = best[1].removeprefix("fuse.")
    return fstype if fstype in NETWORK_FILESYSTEMS or fstype == "sshfs" else None


# passed on to the workers: they read the same mirror and cache settings as the driver
FORWARDED_ENV = (
    "HF_HUB_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_HOME",
    "MTEBKIT_DATA_DIR",
    "MTEBKIT_CACHE_DIR",
)


def _init_kwargs(given: dict[str, Any]) -> dict[str, Any]:
    """``ray.init`` arguments: ``given``, with the driver's :data:`FORWARDED_ENV` added to the
    runtime environment (values already in ``given`` win)."""
    env = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
    runtime_env = dict(given.get("runtime_env") or {})
    runtime_env["env_vars"] = {**env, **runtime_env.get("env_vars", {})}
    return {"log_to_driver": False, **given, "runtime_env": runtime_env}


def check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail fast on a ``host:port`` GCS address nothing listens at: ``ray.init`` would retry
    for minutes. Other forms (``auto``, ``ray://``, ``http://``) are left to Ray."""
    host, sep, port = address.rpartition(":")
    if not sep or "://" in address or not port.isdigit():
        return
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
            pass
    except OSError as exc:
        raise MtebkitError(f"cannot reach the Ray cluster at {address}: {exc}") from None


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MtebkitError(
            "Ray is not installed: pip install 'mtebkit[ray]' (ray[default] 2.x)"
        ) from None
    return ray


class _Worker:
    """The body of a Ray actor: one model slot on a node, torch limited to its CPUs."""

    def __init__(self, cpus: int, cache_dir: str | None, use_cache: bool) -> None:
        import torch

        from mtebkit.evaluation._execute import LoadedModels, _quiet_hf_progress

        # torch's default threads on shared cores were 2.5-3x slower than the CPUs given
        torch.set_num_threads(max(1, cpus))
        _quiet_hf_progress()
        cache = None
        if use_cache:
            from mtebkit.models import EmbeddingCache

            cache = EmbeddingCache(Path(cache_dir)) if cache_dir else EmbeddingCache()
            fstype = network_filesystem(cache.root)
            if fstype is not None:
                raise MtebkitError(
                    f"the embedding cache {cache.root} on {socket.gethostname()} is on {fstype}, "
                    "a network file system where SQLite's locking is not safe: give a cache "
                    "folder on each node's local disk, or run without the cache (docs/ray.md)"
                )
        self.models = LoadedModels(cache=cache)

    def where(self) -> dict[str, Any]:
        import ray

        ctx = ray.get_runtime_context()
        return {
            "executor": "ray",
            "ray_node_id": ctx.get_node_id(),
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "gpu_ids": [str(g) for g in ray.get_gpu_ids()],
        }

    def run(
        self,
        job: Job,
        helpers: Sequence[Any] = (),
        shard_min_texts: int = 0,
        shard_texts: int = DEFAULT_SHARD_TEXTS,
    ) -> JobOutcome:
        """Run ``job``; with ``helpers`` (lent actors), encodes of ``shard_min_texts`` texts or
        more are sharded across them and this worker."""
        where = self.where()
        if helpers and shard_min_texts > 0:
            from mtebkit.evaluation._shard import sharded_runner
            from mtebkit.models import batches_run_by

            lost: set[int] = set()  # helpers lost in one encode are not asked again in the next
            stats = {"lent_workers": len(helpers), "texts_by_lent_workers": 0}

            def helpers_for(settings: EncodingSettings) -> _RayShardHelpers:
                return _RayShardHelpers(list(helpers), lost, job.model, settings, stats)

            runner = sharded_runner(helpers_for, min_texts=shard_min_texts, shard_texts=shard_texts)
            with batches_run_by(runner):
                outcome = self.models.evaluate(job)
            where["sharding"] = {**stats, "lost": len(lost)}
        else:
            outcome = self.models.evaluate(job)
        devices = list(outcome.where.get("devices", []))
        extra = {k: outcome.where[k] for k in ("encoding", "vectors_reused") if k in outcome.where}
        return replace(outcome, where={**where, "devices": devices, **extra})

    def encode_shard(
        self, model: ModelSpec, settings: EncodingSettings, shard: Shard
    ) -> tuple[int, list[np.ndarray]]:
        """Vectors of a lent shard's batches, with the shard's key; loads ``model`` if needed
        (and keeps it: the next job for it here will not load it again)."""
        engine = self.models.embedder(model).engine
        mine = engine.settings(
            pooling=settings.pooling,
            normalize=settings.normalize,
            max_length=settings.max_length,
            append_eos=settings.append_eos,
        )
        if mine != settings:  # e.g. other model files at the same path on this node
            raise MtebkitError(f"a shard's settings {settings} differ from this worker's {mine}")
        return shard.key, engine.forward_batches(shard.batches, settings=settings)


class _RayShardHelpers:
    """:class:`~mtebkit.evaluation._shard.ShardHelpers` over lent actors (inside a worker)."""

    def __init__(
        self,
        actors: list[Any],
        lost: set[int],
        model: ModelSpec,
        settings: EncodingSettings,
        stats: dict[str, int],
    ) -> None:
        import ray

        self.ray, self.actors, self.lost = ray, actors, lost
        self.model, self.settings, self.stats = model, settings, stats
        self.of: dict[Any, int] = {}

    def helpers(self) -> list[Hashable]:
        return [i for i in range(len(self.actors)) if i not in self.lost]

    def submit(self, helper: Hashable, shard: Shard) -> Hashable:
        assert isinstance(helper, int)
        ref = self.actors[helper].encode_shard.remote(self.model, self.settings, shard)
        self.of[ref] = helper
        ticket: Hashable = ref
        return ticket

    def ready(
        self, tickets: Sequence[Hashable], *, block: bool
    ) -> list[tuple[Hashable, tuple[int, list[np.ndarray]] | HelperLost]]:
        ray = self.ray
        refs = list(tickets)
        done, _ = ray.wait(
            refs, num_returns=1 if block else len(refs), timeout=None if block else 0
        )
        out: list[tuple[Hashable, tuple[int, list[np.ndarray]] | HelperLost]] = []
        for ref in done:
            helper = self.of.pop(ref)
            try:
                answer: tuple[int, list[np.ndarray]] = ray.get(ref)
                self.stats["texts_by_lent_workers"] += sum(len(v) for v in answer[1])
                out.append((ref, answer))
                continue
            except ray.exceptions.RayTaskError as exc:
                # the helper raised (could not load the model...): its shards run here instead
                reason = _error_line(exc)
                logger.warning("a shard helper failed (%s); encoding its shards elsewhere", reason)
            except ray.exceptions.RayError as exc:
                reason = type(exc).__name__
            self.lost.add(helper)
            out.append((ref, HelperLost(reason)))
        return out


@dataclass
class _Slot:
    actor: Any
    node_id: str | None
    host: str
    pid: int | None = None


class _RayPool:
    """Actors on a Ray cluster: one per node with its CPUs, or one per GPU, or as configured."""

    def __init__(self, ray: Any, executor: RayExecutor) -> None:
        self.ray = ray
        self.num_workers = executor.num_workers
        self.cpus = executor.cpus_per_worker
        self.gpus = executor.gpus_per_worker
        self.cache_dir = executor.cache_dir
        self.use_cache = executor.use_cache
        self.start_timeout_s = executor.start_timeout_s
        self.shard_min_texts = executor.shard_min_texts or 0
        self.shard_texts = executor.shard_texts
        self.slots: dict[int, _Slot] = {}
        self.options: dict[int, dict[str, Any]] = {}
        self.next_key = 0
        self.jobs: dict[Any, Job] = {}
        self.actor_class = ray.remote(_Worker)

    def _layout(self) -> list[dict[str, Any]]:
        """Actor options per slot (the defaults: one per GPU, else one per node with its CPUs)."""
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        res = self.ray.cluster_resources()
        gpus = self.gpus
        if gpus is None and self.num_workers is None and self.cpus is None:
            gpus = 1.0 if res.get("GPU", 0) >= 1 else 0.0
        if gpus or self.num_workers is not None or self.cpus is not None:
            gpus = gpus or 0.0
            n = self.num_workers
            if n is None:
                n = int(res.get("GPU", 0) // gpus) if gpus else int(res.get("CPU", 1) // self.cpus)
            if n < 1:
                raise MtebkitError(
                    f"the Ray cluster ({res.get('CPU', 0):g} CPUs, {res.get('GPU', 0):g} GPUs) "
                    f"has no room for one worker of {self.cpus or 1:g} CPUs, {gpus:g} GPUs"
                )
            cpus = self.cpus or max(1.0, float(int(res.get("CPU", 1) // n)))
            return [{"num_cpus": cpus, "num_gpus": gpus} for _ in range(n)]
        out = []
        for node in self.ray.nodes():
            cpus = node.get("Resources", {}).get("CPU", 0)
            if node.get("Alive") and cpus >= 1:
                strategy = NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)
                out.append({"num_cpus": cpus, "scheduling_strategy": strategy})
        if not out:
            raise MtebkitError("the Ray cluster has no live node with a CPU")
        return out

    def _spawn(self, options: dict[str, Any]) -> int:
        cpus = int(options.get("num_cpus") or 1)
        actor = self.actor_class.options(**options).remote(cpus, self.cache_dir, self.use_cache)
        key, self.next_key = self.next_key, self.next_key + 1
        self.options[key] = options
        self.slots[key] = _Slot(actor, None, "starting")
        return key

    def start(self) -> list[Hashable]:
        keys = [self._spawn(o) for o in self._layout()]
        for key in keys:
            self._locate(key)
        return list(keys)

    def _locate(self, key: int) -> None:
        slot = self.slots[key]
        try:
            where = self.ray.get(slot.actor.where.remote(), timeout=self.start_timeout_s)
        except self.ray.exceptions.GetTimeoutError:
            raise MtebkitError(
                f"a Ray worker ({self.options[key]}) did not start within "
                f"{self.start_timeout_s:g} s: are those resources free on the cluster?"
            ) from None
        except self.ray.exceptions.RayError as exc:
            raise MtebkitError(f"a Ray worker did not start: {exc}") from None
        slot.node_id, slot.host, slot.pid = where["ray_node_id"], where["hostname"], where["pid"]

    def submit(self, slot: Hashable, job: Job, helpers: Sequence[Hashable] = ()) -> Hashable:
        assert isinstance(slot, int)
        lent = [self.slots[h].actor for h in helpers if isinstance(h, int)]
        ref = self.slots[slot].actor.run.remote(job, lent, self.shard_min_texts, self.shard_texts)
        self.jobs[ref] = job
        ticket: Hashable = ref
        return ticket

    def reclaim(self, slots: Sequence[Hashable]) -> list[Hashable]:
        back: list[Hashable] = []
        for slot in slots:
            assert isinstance(slot, int)
            try:
                self.ray.get(self.slots[slot].actor.where.remote(), timeout=self.start_timeout_s)
                back.append(slot)
            except self.ray.exceptions.RayError:  # killed while lent: replace it
                fresh = self.replace(slot)
                if fresh is not None:
                    back.append(fresh)
        return back

    def wait(self, tickets: Sequence[Hashable]) -> tuple[Hashable, JobOutcome | WorkerLost]:
        ray = self.ray
        (ref,), _ = ray.wait(list(tickets), num_returns=1)
        job = self.jobs.pop(ref)
        try:
            return ref, ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            # the job itself raised (not an MtebkitError): a bug or bad input, not retried
            return ref, JobOutcome(job=job, error=_error_line(exc))
        except ray.exceptions.RayError as exc:
            return ref, WorkerLost(type(exc).__name__)

    def _node_alive(self, node_id: str | None) -> bool:
        return any(n.get("NodeID") == node_id and n.get("Alive") for n in self.ray.nodes())

    def replace(self, slot: Hashable) -> Hashable | None:
        assert isinstance(slot, int)
        old = self.slots.pop(slot)
        options = self.options.pop(slot)
        self.ray.kill(old.actor, no_restart=True)
        if not self._node_alive(old.node_id):
            return None
        if "scheduling_strategy" not in options and old.node_id is not None:
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

            # same resources, on the node that still has them free
            options = {
                **options,
                "scheduling_strategy": NodeAffinitySchedulingStrategy(old.node_id, soft=True),
            }
        key = self._spawn(options)
        try:
            self._locate(key)
        except MtebkitError as exc:
            logger.warning("could not replace a lost Ray worker: %s", exc)
            self.slots.pop(key, None)
            return None
        return key

    def describe(self, slot: Hashable) -> str:
        assert isinstance(slot, int)
        s = self.slots.get(slot)
        if s is None:
            return "a lost worker"
        return f"{s.host} (node {(s.node_id or '?')[:8]}, pid {s.pid})"

    def close(self) -> None:
        for s in self.slots.values():
            self.ray.kill(s.actor, no_restart=True)
        self.slots.clear()


def _error_line(exc: BaseException) -> str:
    """The last line of what a job raised inside its worker."""
    cause = getattr(exc, "cause", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[-1] if lines else ''}"


# Encodes at least this large are sharded across lent workers: a corpus (SciFact: 5183 texts),
# not a task's queries or an STS set, whose encode is short against loading a helper's model.
DEFAULT_SHARD_MIN_TEXTS = 2048


class RayExecutor:
    """Runs jobs on a Ray cluster (``pip install 'mtebkit[ray]'``).

    Args:
        address: the cluster to join (``"auto"``, ``"ray://host:10001"``, ``"host:6379"``);
            None: ``$RAY_ADDRESS`` if set, else a local cluster started here for the run.
            Ignored when Ray is already initialised in this process.
        num_workers: worker slots (default: one per GPU; on CPU-only clusters one per node).
        cpus_per_worker: CPUs each worker reserves (and its torch threads).
        gpus_per_worker: GPUs each worker reserves (default 1 on a cluster with GPUs).
        use_cache: each worker keeps an embedding cache on its node's local disk.
        cache_dir: that cache's folder on every node (default: the cache root there).
        max_retries: runs of a job after its worker is lost.
        start_timeout_s: how long a worker may take to start (resources busy, image pulled).
        shard_min_texts: an encode of this many texts or more (a large corpus) is sharded across
            the idle workers lent to its job (docs/ray.md); 0 or None: never.
        shard_texts: texts per shard (whole batches).
        progress: called with one line per event (default: logging at INFO).
        init_kwargs: passed to ``ray.init`` (e.g. ``runtime_env``).
    """

    def __init__(
        self,
        *,
        address: str | None = None,
        num_workers: int | None = None,
        cpus_per_worker: float | None = None,
        gpus_per_worker: float | None = None,
        use_cache: bool = False,
        cache_dir: str | None = None,
        max_retries: int = 2,
        start_timeout_s: float = 600.0,
        shard_min_texts: int | None = DEFAULT_SHARD_MIN_TEXTS,
        shard_texts: int = DEFAULT_SHARD_TEXTS,
        progress: Callable[[str], None] | None = None,
        init_kwargs: dict[str, Any] | None = None,
    ) -> None:
        for name, value in (
            ("num_workers", num_workers),
            ("cpus_per_worker", cpus_per_worker),
        ):
            if value is not None and value < 1:
                raise ConfigError(f"{name} must be >= 1, not {value}")
        if gpus_per_worker is not None and gpus_per_worker < 0:
            raise ConfigError(f"gpus_per_worker must be >= 0, not {gpus_per_worker}")
        if max_retries < 0:
            raise ConfigError(f"max_retries must be >= 0, not {max_retries}")
        if shard_min_texts is not None and shard_min_texts < 0:
            raise ConfigError(f"shard_min_texts must be >= 0, not {shard_min_texts}")
        if shard_texts < 1:
            raise ConfigError(f"shard_texts must be >= 1, not {shard_texts}")
        self.shard_min_texts = shard_min_texts
        self.shard_texts = shard_texts
        self.address = address
        self.num_workers = num_workers
        self.cpus_per_worker = cpus_per_worker
        self.gpus_per_worker = gpus_per_worker
        self.use_cache = use_cache
        self.cache_dir = cache_dir
        self.max_retries = max_retries
        self.start_timeout_s = start_timeout_s
        self.progress = progress or logger.info
        self.init_kwargs = dict(init_kwargs or {})

    def run(self, jobs: Sequence[Job]) -> Iterator[JobOutcome]:
        todo = [j for j in jobs if j.status != "done"]
        if not todo:
            return
        ray = _ray()
        started = False
        if not ray.is_initialized():
            address = self.address or os.environ.get("RAY_ADDRESS") or None
            if address is not None:
                check_reachable(address)
            try:
                ray.init(address=address, **_init_kwargs(self.init_kwargs))
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise MtebkitError(f"cannot start or join the Ray cluster: {exc}") from None
            started = True
        try:
            yield from schedule(
                todo,
                _RayPool(ray, self),
                max_retries=self.max_retries,
                progress=self.progress,
                lend_idle=bool(self.shard_min_texts),
            )
        finally:
            if started:
                ray.shutdown()
