"""The task layer: native mteb tasks, mtebkit's built-in tasks, custom YAML specs, benchmarks
and offline dataset mirrors.

Everything here knows tasks and their data; nothing here knows models or results. Names are
imported lazily, so ``import mtebkit.tasks`` does not import mteb.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mtebkit._util.lazy import lazy_exports

__all__ = [
    "BENCHMARK_ALIASES",
    "DEMO_TASKS",
    "BenchmarkTask",
    "MirrorFidelity",
    "SpecPath",
    "TaskFacts",
    "TaskInfo",
    "TaskSpec",
    "benchmark_tasks",
    "canonical_benchmark",
    "default_spec_paths",
    "describe_task",
    "get_benchmark_task",
    "get_benchmark_tasks",
    "get_tasks",
    "hf_offline",
    "list_benchmarks",
    "list_tasks",
    "load_spec",
    "mirror_fidelity",
    "mirror_fidelity_of",
    "mirror_missing",
    "mirror_optional",
    "rehash_spec",
    "resolve_data_dir",
    "spec_problems",
    "task_facts",
    "with_mirror",
]

__getattr__, __dir__ = lazy_exports(globals())

if TYPE_CHECKING:  # pragma: no cover
    from mtebkit.tasks._benchmarks import (
        BENCHMARK_ALIASES,
        BenchmarkTask,
        benchmark_tasks,
        canonical_benchmark,
        get_benchmark_task,
        get_benchmark_tasks,
        list_benchmarks,
    )
    from mtebkit.tasks._catalog import (
        DEMO_TASKS,
        TaskInfo,
        describe_task,
        get_tasks,
        list_tasks,
        spec_problems,
        with_mirror,
    )
    from mtebkit.tasks._discovery import SpecPath, default_spec_paths, resolve_data_dir
    from mtebkit.tasks._facts import TaskFacts, task_facts
    from mtebkit.tasks._fidelity import MirrorFidelity, mirror_fidelity, mirror_fidelity_of
    from mtebkit.tasks._mirror import mirror_missing, mirror_optional
    from mtebkit.tasks._offline import hf_offline
    from mtebkit.tasks._spec import TaskSpec, load_spec, rehash_spec
