"""An :class:`~mtebkit.evaluation.Executor` that loads no model and runs no evaluator.

For the runner's skip / refuse / experiment-naming tests: what they check is decided by the
planner and by filing outcomes, not by mteb's evaluators, so each job gets a made-up score
(a fixed ``score``, or one per task) with exactly the settings and model it was planned with.
The real round trip through mteb is kept once per executor (tests/evaluation/test_runner.py for the
in-process executor, tests/evaluation/test_ray.py for Ray).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from mtebkit.evaluation import Job, JobOutcome


class FakeExecutor:
    """Yields one outcome per job: ``score`` on each of the task's evaluation splits, or an error
    for the tasks named in ``fail``. ``ran`` lists the labels of the jobs it was given."""

    def __init__(
        self,
        score: float = 0.5,
        *,
        scores: Mapping[str, float] | None = None,
        fail: Mapping[str, str] | None = None,
        splits: Sequence[str] = ("test",),
    ) -> None:
        self.score, self.scores = score, dict(scores or {})
        self.fail, self.splits = dict(fail or {}), tuple(splits)
        self.ran: list[str] = []

    def run(self, jobs: Sequence[Job]) -> Iterator[JobOutcome]:
        from mteb.results import TaskResult

        for job in jobs:
            self.ran.append(job.label)
            name = job.task.name
            if name in self.fail:
                yield JobOutcome(job=job, error=self.fail[name])
                continue
            value = self.scores.get(name, self.score)
            row = {"main_score": value, "hf_subset": "default", "languages": ["eng-Latn"]}
            result = TaskResult(
                dataset_revision=job.dataset_revision or "fake",
                task_name=name,
                mteb_version="2.0.0",
                scores={split: [dict(row)] for split in self.splits},
                evaluation_time=0.0,
            )
            yield JobOutcome(
                job=job,
                result=result,
                settings=dict(job.settings),
                model_meta={"name": job.model_name, "revision": job.revision},
            )
