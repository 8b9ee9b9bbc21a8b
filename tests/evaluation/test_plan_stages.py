"""The planner's four whole-batch stages, each on its own and without loading a model's weights:
select (tasks and what every job shares), expand (the product over the run's axes), name_jobs
(experiment, path, settings from one place), mark_done (one pass over the results folder)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mtebkit import Embedder, RunConfig
from mtebkit.evaluation._plan import expand, mark_done, name_jobs, plan, select
from tests.helpers.reporting.factory import result_json
from tests.helpers.tiny_models import make_tiny_bert

TASKS = ["DemoSTSEn", "DemoRetrievalEn"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_bert(
        tmp_path_factory.mktemp("m") / "tiny", st_config={"pooling": "mean", "max_length": 32}
    )


def _config(tiny: Path, results: Path, **options: object) -> RunConfig:
    return RunConfig(models=[str(tiny)], tasks=TASKS, results_dir=results, **options)


def test_select_decides_the_shared_parts_without_weights(tiny: Path, tmp_path: Path) -> None:
    ctx = select(_config(tiny, tmp_path))
    assert [ref.name for ref, _ in ctx.tasks] == TASKS
    ((spec, cfg),) = ctx.models
    assert spec.model == str(tiny) and cfg.pooling == "mean" and cfg.max_length == 32
    assert ctx.reranker is None and ctx.first_stage == {} and ctx.depths == [100]
    assert not list(tmp_path.iterdir())  # nothing written by planning


def test_expand_is_the_product_less_what_means_nothing(tiny: Path, tmp_path: Path) -> None:
    config = _config(tiny, tmp_path, instruction_ablation=True, dims=[16, 8], precisions=["int8"])
    points = expand(config, select(config))
    got = [(p.use_instructions, p.ref.name, p.vectors and p.vectors.dim) for p in points]
    # instructions on: both tasks; off: retrieval only (STS takes no instruction); x 2 dims
    assert got == [
        (True, "DemoSTSEn", 16),
        (True, "DemoSTSEn", 8),
        (True, "DemoRetrievalEn", 16),
        (True, "DemoRetrievalEn", 8),
        (False, "DemoRetrievalEn", 16),
        (False, "DemoRetrievalEn", 8),
    ]
    assert all(p.depths == (None,) for p in points)  # no reranker: no depth axis


def test_name_jobs_gives_each_point_its_own_experiment_and_path(tiny: Path, tmp_path: Path) -> None:
    config = _config(tiny, tmp_path, instruction_ablation=True, dims=[16, 8], precisions=["int8"])
    ctx = select(config)
    groups = name_jobs(config, ctx, expand(config, ctx))
    jobs = [j for g in groups for j in g]
    assert len({j.result_path for j in jobs}) == len(jobs) == 6
    assert {j.experiment for j in jobs} == {
        "dim_16__precision_int8",
        "dim_8__precision_int8",
        "dim_16__instructions_off__precision_int8",
        "dim_8__instructions_off__precision_int8",
    }
    assert all(j.status == "todo" for j in jobs)
    # planning twice names the same jobs: the stages are pure functions of the config
    again = [j for g in name_jobs(config, ctx, expand(config, ctx)) for j in g]
    assert [j.result_path for j in again] == [j.result_path for j in jobs]


def test_mark_done_reads_the_results_folder_once_per_job(tiny: Path, tmp_path: Path) -> None:
    config = _config(tiny, tmp_path)
    ctx = select(config)
    groups = name_jobs(config, ctx, expand(config, ctx))
    assert [j.status for j in mark_done(config, groups)] == ["todo", "todo"]
    # a result filed with the planned settings is done; the other task still to do
    job = groups[0][0]
    job.result_path.parent.mkdir(parents=True, exist_ok=True)
    data = result_json(job.task.name, {"test": {"default": {"x": 0.5}}}, main_metric="x")
    data["dataset_revision"] = job.dataset_revision
    data["mtebkit"] = {"schema_version": 1, "settings": job.settings}
    job.result_path.write_text(json.dumps(data), encoding="utf-8")
    assert [j.status for j in mark_done(config, groups)] == ["done", "todo"]
    assert [j.status for j in plan(config)] == ["done", "todo"]


def test_reranker_settings_that_change_scores_are_recorded(tmp_path: Path) -> None:

    from mtebkit.evaluation._plan import job_settings
    from mtebkit.models import configure_embedder, configure_reranker
    from mtebkit.results import comparable_settings

    path = make_tiny_bert(tmp_path / "ce", classifier=True)
    cfg = configure_embedder(make_tiny_bert(tmp_path / "bi"), devices="cpu")
    policy = Embedder(cfg.resolved.path, device="cpu").policy
    short = job_settings(cfg, policy, "T", "Retrieval", configure_reranker(path, max_length=32), 10)
    long = job_settings(cfg, policy, "T", "Retrieval", configure_reranker(path, max_length=64), 10)
    assert short["reranker"]["max_length"] == 32 and short["reranker"]["top_k"] == 10
    assert comparable_settings(short) != comparable_settings(long)
    assert "model_source" not in comparable_settings(short)["reranker"]
