"""The Ray executor's dispatch logic, without Ray: a fake worker pool.

Grouping by model (a slot keeps its model), skipping done jobs before dispatch, retries after a
lost worker, failure isolation, and what happens when workers (nodes) go away.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Sequence
from pathlib import Path

import pytest

from mtebkit.evaluation import Job, JobOutcome, ModelSpec, TaskRef
from mtebkit.evaluation._ray import RayExecutor, WorkerLost, schedule


def _job(model: str, task: str, status: str = "todo") -> Job:
    return Job(
        model=ModelSpec(model),
        task=TaskRef(task),
        task_type="STS",
        use_instructions=True,
        experiment_kwargs=(),
        model_name=model,
        revision="r",
        experiment=None,
        result_path=Path(f"/results/{model}/{task}.json"),
        settings={},
        status=status,  # type: ignore[arg-type]
    )


class FakePool:
    """Slots that answer in submission order. ``script[task]`` lists what each attempt of a
    task gives: "ok", "error" (the job failed) or "lost" (its worker died)."""

    def __init__(
        self, n: int, script: dict[str, list[str]] | None = None, *, replaceable: bool = True
    ) -> None:
        self.n = n
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.replaceable = replaceable
        self.next_slot = n
        self.pending: dict[int, tuple[int, Job]] = {}
        self.next_ticket = 0
        self.loads: list[tuple[int, str]] = []  # (slot, model) each time a slot loads a model
        self.holding: dict[int, str] = {}
        self.submitted: list[str] = []
        self.closed = False
        self.lent: list[tuple[str, list[Hashable]]] = []  # (task, slots lent to it) per submit
        self.out_on_loan: set[int] = set()
        self.dies_on_loan: set[int] = set()  # slots that are found dead when reclaimed

    def start(self) -> list[Hashable]:
        return list(range(self.n))

    def submit(self, slot: Hashable, job: Job, helpers: Sequence[Hashable] = ()) -> Hashable:
        assert isinstance(slot, int)
        assert slot not in self.out_on_loan and not set(helpers) & self.out_on_loan
        self.lent.append((job.task.name, list(helpers)))
        self.out_on_loan.update(helpers)  # type: ignore[arg-type]
        if self.holding.get(slot) != job.model.model:
            self.loads.append((slot, job.model.model))
            self.holding[slot] = job.model.model
        self.submitted.append(job.task.name)
        self.next_ticket += 1
        self.pending[self.next_ticket] = (slot, job)
        return self.next_ticket

    def wait(self, tickets: Sequence[Hashable]) -> tuple[Hashable, JobOutcome | WorkerLost]:
        ticket = min(t for t in tickets if isinstance(t, int))
        slot, job = self.pending.pop(ticket)
        steps = self.script.get(job.task.name, [])
        step = steps.pop(0) if steps else "ok"
        if step == "lost":
            self.holding.pop(slot, None)
            return ticket, WorkerLost("killed")
        return ticket, JobOutcome(job=job, error="boom" if step == "error" else None)

    def replace(self, slot: Hashable) -> Hashable | None:
        if not self.replaceable:
            return None
        self.next_slot += 1
        return self.next_slot

    def reclaim(self, slots: Sequence[Hashable]) -> list[Hashable]:
        back: list[Hashable] = []
        for slot in slots:
            assert isinstance(slot, int)
            self.out_on_loan.discard(slot)
            fresh = self.replace(slot) if slot in self.dies_on_loan else slot
            if fresh is not None:
                back.append(fresh)
        return back

    def describe(self, slot: Hashable) -> str:
        return f"slot {slot}"

    def close(self) -> None:
        self.closed = True


def _errors(outcomes: list[JobOutcome]) -> dict[str, str | None]:
    return {o.job.task.name: o.error for o in outcomes}


def test_one_slot_loads_each_model_once_whatever_the_plan_order() -> None:
    jobs = [_job("a", "T1"), _job("b", "T2"), _job("a", "T3"), _job("b", "T4")]
    pool = FakePool(1)
    out = list(schedule(jobs, pool))
    assert sorted(o.job.task.name for o in out) == ["T1", "T2", "T3", "T4"]
    assert pool.loads == [(0, "a"), (0, "b")]
    assert pool.closed


def test_two_slots_split_models_rather_than_both_loading_each() -> None:
    jobs = [_job("a", f"A{i}") for i in range(3)] + [_job("b", f"B{i}") for i in range(3)]
    pool = FakePool(2)
    list(schedule(jobs, pool))
    assert sorted(pool.loads) == [(0, "a"), (1, "b")]


def test_done_jobs_are_never_dispatched() -> None:
    jobs = [_job("a", "T1", "done"), _job("a", "T2"), _job("a", "T3", "done")]
    pool = FakePool(2)
    out = list(schedule(jobs, pool))
    assert pool.submitted == ["T2"]
    assert [o.job.task.name for o in out] == ["T2"]


def test_a_lost_worker_is_replaced_and_its_job_retried_once_filed_once() -> None:
    jobs = [_job("a", "T1"), _job("a", "T2")]
    pool = FakePool(1, {"T1": ["lost"]})
    lines: list[str] = []
    out = list(schedule(jobs, pool, progress=lines.append))
    assert _errors(out) == {"T1": None, "T2": None}
    assert len(out) == 2
    assert pool.submitted.count("T1") == 2
    assert any("worker lost" in line and "retrying" in line for line in lines)
    assert lines[-1].startswith("[2 done, 0 running, 0 left]")


def test_a_job_lost_too_often_fails_for_good_and_the_others_finish() -> None:
    jobs = [_job("a", "T1"), _job("a", "T2"), _job("a", "T3")]
    pool = FakePool(2, {"T2": ["lost", "lost", "lost"]})
    out = list(schedule(jobs, pool, max_retries=2))
    errors = _errors(out)
    assert errors["T1"] is None and errors["T3"] is None
    assert errors["T2"] is not None and "lost 3 time(s)" in errors["T2"]
    assert pool.submitted.count("T2") == 3


def test_a_failing_job_does_not_stop_the_others_and_is_not_retried() -> None:
    jobs = [_job("a", "T1"), _job("a", "T2"), _job("a", "T3")]
    pool = FakePool(1, {"T1": ["error"]})
    out = list(schedule(jobs, pool))
    assert _errors(out) == {"T1": "boom", "T2": None, "T3": None}
    assert pool.submitted.count("T1") == 1


def test_idle_slots_are_lent_to_the_last_job_only_when_nothing_else_waits() -> None:
    jobs = [_job("a", "T1"), _job("a", "T2")]
    pool = FakePool(4)
    lines: list[str] = []
    out = list(schedule(jobs, pool, lend_idle=True, progress=lines.append))
    assert _errors(out) == {"T1": None, "T2": None}
    # T1 started while T2 waited: nothing lent; T2 was the last: the two idle slots
    assert pool.lent == [("T1", []), ("T2", [2, 3])]
    assert any("T2: lent 2 idle worker(s) to shard on: slot 2; slot 3" in x for x in lines)
    assert pool.out_on_loan == set()


def test_nothing_is_lent_without_lend_idle_or_when_every_slot_is_busy() -> None:
    pool = FakePool(2)
    list(schedule([_job("a", "T1")], pool))
    assert pool.lent == [("T1", [])]
    # as many jobs as slots: every slot runs its own job, none is idle to lend (no deadlock:
    # a job with no helper encodes alone)
    pool = FakePool(2)
    out = list(schedule([_job("a", "T1"), _job("a", "T2")], pool, lend_idle=True))
    assert len(out) == 2 and pool.lent == [("T1", []), ("T2", [])]


def test_only_slots_holding_the_jobs_model_or_none_are_lent() -> None:
    jobs = [_job("b", "B1"), _job("a", "A1"), _job("a", "A2")]
    # 2 slots: B1 on 0, A1 on 1; then A2 gets slot 1 (holds a) and may borrow 0 only if it
    # is idle and holds a or nothing: it holds b, so nothing is lent
    pool = FakePool(2)
    list(schedule(jobs, pool, lend_idle=True))
    assert pool.lent[-1] == ("A2", [])
    pool = FakePool(3)
    list(schedule([_job("a", "A1"), _job("b", "B1")], pool, lend_idle=True))
    assert pool.lent == [("A1", []), ("B1", [2])]


def test_a_lent_slot_lost_meanwhile_is_replaced_when_reclaimed() -> None:
    jobs = [_job("a", "T1"), _job("a", "T2"), _job("a", "T3")]
    pool = FakePool(2, {"T2": ["lost"]})
    pool.dies_on_loan = {1}
    out = list(schedule([jobs[0]], pool, lend_idle=True))
    assert pool.lent == [("T1", [1])] and _errors(out) == {"T1": None}
    pool = FakePool(2, {"T1": ["lost"]})
    pool.dies_on_loan = {1}
    out = list(schedule([jobs[0]], pool, lend_idle=True))
    # T1's worker was lost and its lent slot too: both replaced (slots 3, 4), T1 retried there
    assert _errors(out) == {"T1": None}
    assert pool.lent == [("T1", [1]), ("T1", [4])]
    assert pool.out_on_loan == set()


def test_when_a_node_goes_the_other_slots_take_its_work() -> None:
    jobs = [_job("a", f"T{i}") for i in range(4)]
    pool = FakePool(2, {"T0": ["lost"]}, replaceable=False)
    out = list(schedule(jobs, pool))
    assert all(o.error is None for o in out) and len(out) == 4


def test_when_every_worker_is_gone_the_rest_fail_with_a_reason() -> None:
    jobs = [_job("a", "T1"), _job("a", "T2")]
    pool = FakePool(1, {"T1": ["lost"]}, replaceable=False)
    out = list(schedule(jobs, pool))
    assert _errors(out) == {"T1": "no worker left to run it", "T2": "no worker left to run it"}
    assert pool.closed


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_workers": 0}, "num_workers must be >= 1"),
        ({"cpus_per_worker": 0.0}, "cpus_per_worker must be >= 1"),
        ({"gpus_per_worker": -1.0}, "gpus_per_worker must be >= 0"),
        ({"max_retries": -1}, "max_retries"),
        ({"shard_min_texts": -1}, "shard_min_texts must be >= 0"),
        ({"shard_texts": 0}, "shard_texts must be >= 1"),
    ],
)
def test_bad_executor_options_are_clear_errors(kwargs: dict[str, float], message: str) -> None:
    from mtebkit.errors import MtebkitError

    with pytest.raises(MtebkitError, match=message):
        RayExecutor(**kwargs)  # type: ignore[arg-type]


def test_nothing_to_do_needs_no_ray() -> None:
    # every job done: no cluster is started or joined (works without ray installed)
    assert list(RayExecutor().run([_job("a", "T1", "done")])) == []


MOUNTS = """\
/dev/sda1 / ext4 rw 0 0
server:/export /home nfs4 rw 0 0
/dev/sdb1 /home/local ext4 rw 0 0
host:/x /mnt/ss fuse.sshfs rw 0 0
"""


@pytest.mark.parametrize(
    ("path", "fstype"),
    [
        ("/home/alice/.cache/mtebkit", "nfs4"),
        ("/home/local/cache", None),
        ("/tmp/cache", None),
        ("/mnt/ss/cache", "sshfs"),
        ("/home", "nfs4"),
    ],
)
def test_a_cache_on_a_network_filesystem_is_detected(path: str, fstype: str | None) -> None:
    from mtebkit.evaluation._ray import network_filesystem

    assert network_filesystem(Path(path), MOUNTS) == fstype


@pytest.mark.parametrize(
    "argv",
    [
        ["--ray-workers", "0"],
        ["--ray-cpus-per-worker", "0.5"],
        ["--ray-gpus-per-worker", "-1"],
        ["--ray-workers", "two"],
        ["--ray-shard-min-texts", "-1"],
    ],
)
def test_bad_ray_options_are_usage_errors(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from mtebkit.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["run", "--ray", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert argv[0] in err and "Traceback" not in err


@pytest.mark.parametrize(("argv", "expected"), [([], 2048), (["--ray-shard-min-texts", "0"], 0)])
def test_the_shard_threshold_reaches_the_executor(argv: list[str], expected: int) -> None:
    from mtebkit.cli import run_config
    from mtebkit.evaluation import make_executor

    executor = make_executor(run_config(["--ray", *argv]))
    assert isinstance(executor, RayExecutor) and executor.shard_min_texts == expected


def test_the_driver_passes_its_offline_and_mirror_settings_to_the_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mtebkit.evaluation._ray import _init_kwargs

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("MTEBKIT_DATA_DIR", "/data/hf")
    monkeypatch.delenv("HF_HOME", raising=False)
    kw = _init_kwargs({"runtime_env": {"env_vars": {"MTEBKIT_DATA_DIR": "/mine"}, "pip": ["x"]}})
    env = kw["runtime_env"]["env_vars"]
    assert env["HF_HUB_OFFLINE"] == "1" and env["MTEBKIT_DATA_DIR"] == "/mine"
    assert "HF_HOME" not in env and kw["runtime_env"]["pip"] == ["x"]
    assert kw["log_to_driver"] is False


# these import ray (nothing is started): like every Ray test they run only in the .ci/run block,
# inside the loopback-only namespace
in_ray_block = [
    pytest.mark.ray,
    pytest.mark.skipif(
        os.environ.get("MTEBKIT_RAY_TESTS") != "1", reason="Ray tests run with MTEBKIT_RAY_TESTS=1"
    ),
]


class FakeRay:
    """Just what the pool's layout reads from a cluster."""

    def __init__(self, resources: dict[str, float], nodes: list[dict[str, object]]) -> None:
        self.resources = resources
        self.node_list = nodes

    def cluster_resources(self) -> dict[str, float]:
        return self.resources

    def nodes(self) -> list[dict[str, object]]:
        return self.node_list

    def remote(self, cls: type) -> type:
        return cls


def _layout(resources: dict[str, float], **options: float) -> list[dict[str, object]]:
    pytest.importorskip("ray")
    from mtebkit.evaluation._ray import _RayPool

    nodes = [
        {"NodeID": "1" * 56, "Alive": True, "Resources": {"CPU": 8.0}},
        {"NodeID": "2" * 56, "Alive": True, "Resources": {"CPU": 4.0}},
        {"NodeID": "3" * 56, "Alive": False, "Resources": {"CPU": 4.0}},
        {"NodeID": "4" * 56, "Alive": True, "Resources": {}},
    ]
    return _RayPool(FakeRay(resources, nodes), RayExecutor(**options))._layout()  # type: ignore[arg-type]


@in_ray_block[0]
@in_ray_block[1]
def test_default_layout_on_gpus_is_one_worker_per_gpu_with_a_share_of_cpus() -> None:
    assert _layout({"CPU": 32.0, "GPU": 4.0}) == [{"num_cpus": 8.0, "num_gpus": 1.0}] * 4


@in_ray_block[0]
@in_ray_block[1]
def test_default_layout_on_cpus_is_one_worker_per_live_node_with_its_cpus() -> None:
    out = _layout({"CPU": 12.0})
    assert [o["num_cpus"] for o in out] == [8.0, 4.0]
    assert [o["scheduling_strategy"].node_id for o in out] == ["1" * 56, "2" * 56]  # type: ignore[attr-defined]


@in_ray_block[0]
@in_ray_block[1]
def test_explicit_layouts() -> None:
    assert _layout({"CPU": 12.0}, cpus_per_worker=3.0) == [{"num_cpus": 3.0, "num_gpus": 0.0}] * 4
    assert _layout({"CPU": 12.0}, num_workers=2) == [{"num_cpus": 6.0, "num_gpus": 0.0}] * 2
    two_per_gpu = _layout({"CPU": 8.0, "GPU": 2.0}, gpus_per_worker=0.5)
    assert two_per_gpu == [{"num_cpus": 2.0, "num_gpus": 0.5}] * 4


@in_ray_block[0]
@in_ray_block[1]
def test_a_worker_larger_than_the_cluster_is_a_clear_error() -> None:
    from mtebkit.errors import MtebkitError

    with pytest.raises(MtebkitError, match="no room for one worker"):
        _layout({"CPU": 2.0}, cpus_per_worker=4.0)


def test_an_unreachable_cluster_address_fails_fast_with_a_clear_error() -> None:
    import socket

    from mtebkit.errors import MtebkitError
    from mtebkit.evaluation._ray import check_reachable

    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(MtebkitError, match=f"cannot reach the Ray cluster at 127.0.0.1:{port}"):
        check_reachable(f"127.0.0.1:{port}")
    check_reachable("auto")  # left to Ray
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        check_reachable(f"127.0.0.1:{server.getsockname()[1]}")
