"""The task layer: native mteb tasks, mtebkit's built-in tasks, custom YAML specs, benchmarks
and offline dataset mirrors.

Everything here knows tasks and their data; nothing here knows models or results. Names are
imported lazily, so ``import mtebkit.tasks`` does not import mteb.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mtebkit._util.lazy import lazy_exports

_LAZY: dict[str, str] = {
    "DEMO_TASKS": "mtebkit.tasks._catalog",
    "TaskInfo": "mtebkit.tasks._catalog",
    "describe_task": "mtebkit.tasks._catalog",
    "get_tasks": "mtebkit.tasks._catalog",
    "list_tasks": "mtebkit.tasks._catalog",
    "spec_problems": "mtebkit.tasks._catalog",
    "with_mirror": "mtebkit.tasks._catalog",
    "TaskFacts": "mtebkit.tasks._facts",
    "task_facts": "mtebkit.tasks._facts",
    "BENCHMARK_ALIASES": "mtebkit.tasks._benchmarks",
    "BenchmarkTask": "mtebkit.tasks._benchmarks",
    "benchmark_tasks": "mtebkit.tasks._benchmarks",
    "canonical_benchmark": "mtebkit.tasks._benchmarks",
    "get_benchmark_task": "mtebkit.tasks._benchmarks",
    "get_benchmark_tasks": "mtebkit.tasks._benchmarks",
    "list_benchmarks": "mtebkit.tasks._benchmarks",
    "SpecPath": "mtebkit.tasks._discovery",
    "default_spec_paths": "mtebkit.tasks._discovery",
    "resolve_data_dir": "mtebkit.tasks._discovery",
    "TaskSpec": "mtebkit.tasks._spec",
    "load_spec": "mtebkit.tasks._spec",
    "rehash_spec": "mtebkit.tasks._spec",
    "hf_offline": "mtebkit.tasks._offline",
    "MirrorFidelity": "mtebkit.tasks._fidelity",
    "mirror_fidelity": "mtebkit.tasks._fidelity",
    "mirror_fidelity_of": "mtebkit.tasks._fidelity",
}

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
    "rehash_spec",
    "resolve_data_dir",
    "spec_problems",
    "task_facts",
    "with_mirror",
]

__getattr__, __dir__ = lazy_exports("mtebkit.tasks", _LAZY, globals(), __all__)

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
    from mtebkit.tasks._offline import hf_offline
    from mtebkit.tasks._spec import TaskSpec, load_spec, rehash_spec
