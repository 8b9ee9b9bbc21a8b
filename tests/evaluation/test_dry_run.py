"""``estimate(config)``: a dry run's counts, cache hits and makespan, with no weights loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mtebkit.errors import TokenizerMissingError, UnknownNameError
from mtebkit.evaluation import ModelSpec, RunConfig, TaskRef, Throughput, estimate
from mtebkit.evaluation._estimate import simulate_makespan
from mtebkit.evaluation._jobs import Job
from tests.helpers.tiny_models import make_tiny_bert


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_bert(tmp_path_factory.mktemp("tiny") / "ckpt")


@pytest.fixture
def no_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to load model weights fails the test."""
    import transformers

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a dry run loaded model weights")

    monkeypatch.setattr(transformers.AutoModel, "from_pretrained", refuse)
    monkeypatch.setattr(ModelSpec, "build", refuse)


def _config(tmp_path: Path, model: Path, tasks: list[str], **extra: Any) -> RunConfig:
    return RunConfig(
        models=[str(model)],
        tasks=tasks,
        results_dir=tmp_path / "results",
        cache_dir=tmp_path / "cache",
        dry_run=True,
        **extra,
    )


def _demo_texts() -> dict[str, list[str]]:
    """Independently of the estimate: the texts mteb hands the embedder for two demo tasks."""
    from mtebkit.tasks import get_tasks

    sts, retrieval = get_tasks(["DemoSTSEn", "DemoRetrievalEn"])
    sts.load_data()
    split = sts.dataset["test"]
    retrieval.load_data()
    data = retrieval.dataset["default"]["test"]
    corpus = [
        f"{d['title']} {d['text']}".strip() if d["title"] else d["text"].strip()
        for d in data["corpus"]
    ]
    return {
        "DemoSTSEn": list(split["sentence1"]) + list(split["sentence2"]),
        "DemoRetrievalEn": list(data["queries"]["text"]) + corpus,
    }


def test_exact_counts_from_the_data_and_the_tokenizer(
    tmp_path: Path, tiny: Path, no_weights: None
) -> None:
    from transformers import AutoTokenizer

    from mtebkit.models import configure_embedder

    config = _config(tmp_path, tiny, ["DemoSTSEn", "DemoRetrievalEn"])
    plan = estimate(config, throughput=Throughput(1000.0))
    tok = AutoTokenizer.from_pretrained(str(tiny))
    length = configure_embedder(str(tiny)).max_length
    expected = _demo_texts()
    assert [e.job.task.name for e in plan.jobs] == list(expected)
    for e in plan.jobs:
        texts = expected[e.job.task.name]
        distinct = list(dict.fromkeys(texts))
        tokens = sum(len(tok(t, truncation=True, max_length=length)["input_ids"]) for t in distinct)
        assert (e.texts, e.distinct_texts, e.tokens) == (len(texts), len(distinct), tokens)
        assert e.token_source == "tokenizer" and e.cached == 0 and e.splits == ("test",)
        assert e.estimated_seconds == pytest.approx(tokens / 1000.0)
        assert e.cache_bytes == 4 * 32 * len(distinct)  # float32 x the tiny model's 32 dims
    total = plan.total()
    assert total["tokens"] == sum(e.tokens for e in plan.jobs)
    assert total["workers"] == 1
    assert total["makespan_seconds"] == pytest.approx(total["estimated_seconds"], abs=1e-3)
    assert not (tmp_path / "results").exists()  # a dry run writes nothing
    assert not (tmp_path / "cache").exists()  # nor creates a cache


def test_cached_texts_are_counted(tmp_path: Path, tiny: Path) -> None:
    from mtebkit.models import Embedder, EmbeddingCache

    texts = _demo_texts()["DemoSTSEn"]
    first = list(dict.fromkeys(texts))[:5]
    with EmbeddingCache(tmp_path / "cache") as cache:
        Embedder(str(tiny), cache=cache).encode(first)
    config = _config(tmp_path, tiny, ["DemoSTSEn"])
    before = estimate(config.replace(use_cache=False)).jobs[0]
    (job,) = estimate(config).jobs
    assert job.cached == 5 and before.cached == 0
    assert job.cache_bytes == 4 * 32 * (job.distinct_texts - 5)
    assert job.estimated_seconds < before.estimated_seconds


def test_absent_data_is_estimated_from_descriptive_statistics(
    tmp_path: Path, tiny: Path, no_weights: None
) -> None:
    import mteb

    empty = tmp_path / "mirror"
    empty.mkdir()
    config = _config(tmp_path, tiny, ["STSBenchmark"], data_dir=empty)
    (job,) = estimate(config).jobs
    stats = mteb.get_task("STSBenchmark").metadata.descriptive_stats["test"]
    assert job.token_source == "characters" and job.cached is None
    assert job.texts == 2 * stats["num_samples"]
    unique = stats["text1_statistics"]["unique_texts"] + stats["text2_statistics"]["unique_texts"]
    assert job.distinct_texts == unique
    # English at the tiny vocabulary's ratio: a few characters per token, 2 special tokens each
    chars = (
        stats["text1_statistics"]["total_text_length"]
        + stats["text2_statistics"]["total_text_length"]
    )
    assert 2 * unique < job.tokens < chars
    assert list(empty.iterdir()) == [] and not (tmp_path / "results").exists()


def _job(i: int, model: str = "m") -> Job:
    return Job(
        model=ModelSpec(model),
        task=TaskRef(f"T{i}"),
        task_type="STS",
        use_instructions=True,
        experiment_kwargs=(),
        model_name=model,
        revision="r",
        experiment=None,
        result_path=Path(f"/nowhere/{model}/T{i}.json"),
        settings={},
    )


@pytest.mark.parametrize(("workers", "makespan"), [(1, 8.0), (2, 4.0), (3, 3.0), (8, 3.0)])
def test_makespan_is_the_ray_schedule_on_a_virtual_clock(workers: int, makespan: float) -> None:
    jobs = [_job(i) for i in range(4)]
    seconds = dict(zip((j.result_path for j in jobs), (3.0, 2.0, 2.0, 1.0), strict=True))
    # 2 workers: 3 | 2 then 2 (at 2) | 1 (at 3): both end at 4
    assert simulate_makespan(jobs, lambda j: seconds[j.result_path], workers) == makespan


def test_makespan_with_idle_workers_lent_to_the_last_large_job() -> None:
    jobs = [_job(0), _job(1)]
    seconds = {jobs[0].result_path: 1.0, jobs[1].result_path: 4.0}
    # 3 workers: T0 on w0; T1 starts with nothing left to wait, so it is lent w2: 4 s / 2
    lent = simulate_makespan(jobs, lambda j: seconds[j.result_path], 3, shards=lambda j: True)
    assert lent == 2.0
    small = simulate_makespan(jobs, lambda j: seconds[j.result_path], 3, shards=lambda j: False)
    assert small == simulate_makespan(jobs, lambda j: seconds[j.result_path], 3) == 4.0


def test_makespan_skips_done_jobs() -> None:
    import dataclasses

    jobs = [_job(0), dataclasses.replace(_job(1), status="done")]
    assert simulate_makespan(jobs, lambda j: 5.0, 2) == 5.0


def test_unknown_task_and_model_without_tokenizer_are_named_errors(
    tmp_path: Path, tiny: Path
) -> None:
    with pytest.raises(UnknownNameError, match=r"(?i)did you mean"):
        estimate(_config(tmp_path, tiny, ["DemoSTSEnn"]))
    import shutil

    bare = tmp_path / "bare"
    shutil.copytree(tiny, bare)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        (bare / name).unlink(missing_ok=True)
    with pytest.raises(TokenizerMissingError, match="no tokenizer"):
        estimate(_config(tmp_path, bare, ["DemoSTSEn"]))
    assert not (tmp_path / "results").exists()


def test_real_mirror_counts_are_exact_and_the_statistics_estimate_is_close(
    tmp_path: Path, data_dir: Path, no_weights: None
) -> None:
    """all-MiniLM-L6-v2 on STSBenchmark: from the mirror (exact) and without it (statistics)."""
    from transformers import AutoTokenizer

    from mtebkit.models import configure_embedder
    from mtebkit.tasks import get_tasks

    minilm = "sentence-transformers/all-MiniLM-L6-v2"
    config = RunConfig(
        models=[minilm],
        tasks=["STSBenchmark"],
        results_dir=tmp_path / "results",
        use_cache=False,
        data_dir=data_dir,
    )
    (exact,) = estimate(config).jobs
    (task,) = get_tasks(["STSBenchmark"], data_dir=data_dir)
    task.load_data()
    test = task.dataset["test"]
    texts = list(test["sentence1"]) + list(test["sentence2"])
    distinct = list(dict.fromkeys(texts))
    cfg = configure_embedder(minilm)
    tok = AutoTokenizer.from_pretrained(str(cfg.resolved.path))
    lengths = tok(distinct, truncation=True, max_length=cfg.max_length)["input_ids"]
    assert exact.token_source == "tokenizer"
    assert (exact.texts, exact.distinct_texts) == (len(texts), len(distinct))
    assert exact.tokens == sum(len(x) for x in lengths)
    empty = tmp_path / "empty"
    empty.mkdir()
    (guess,) = estimate(config.replace(data_dir=empty)).jobs
    assert guess.token_source == "characters" and guess.texts == exact.texts
    assert abs(guess.tokens - exact.tokens) < 0.3 * exact.tokens


def test_cache_keys_are_the_instructed_queries(tmp_path: Path, tiny: Path) -> None:
    """A query is looked up as the embedder encodes it: with its instruction."""
    from mtebkit.models import Embedder, EmbeddingCache
    from mtebkit.tasks import get_tasks

    (task,) = get_tasks(["DemoRetrievalEn"])
    task.load_data()
    queries = list(dict.fromkeys(task.dataset["default"]["test"]["queries"]["text"]))
    with EmbeddingCache(tmp_path / "cache") as cache:
        Embedder(str(tiny), cache=cache).encode([f"Q: {q}" for q in queries])
    config = _config(tmp_path, tiny, ["DemoRetrievalEn"], query_instruction="Q: ")
    (instructed,) = estimate(config).jobs
    (plain,) = estimate(config.replace(query_instruction=None)).jobs
    assert instructed.cached == len(queries) and plain.cached == 0


def test_a_benchmarks_subset_of_a_multilingual_task_counts_those_subsets(
    tmp_path: Path, tiny: Path
) -> None:
    import mteb

    empty = tmp_path / "mirror"
    empty.mkdir()
    config = RunConfig(
        models=[str(tiny)],
        benchmark="MTEB(eng, v2)",
        task_types=["STS"],
        data_dir=empty,
        results_dir=tmp_path / "results",
        use_cache=False,
    )
    (sts17,) = [e for e in estimate(config).jobs if e.job.task.name == "STS17"]
    subsets = mteb.get_task("STS17").metadata.descriptive_stats["test"]
    assert sts17.texts == 2 * subsets["hf_subset_descriptive_stats"]["en-en"]["num_samples"]
    assert sts17.texts < 2 * subsets["num_samples"]


def test_run_evaluation_never_runs_a_dry_run(tmp_path: Path, tiny: Path) -> None:
    from mtebkit.errors import ConfigError
    from mtebkit.evaluation import run_evaluation

    with pytest.raises(ConfigError, match="estimate"):
        run_evaluation(_config(tmp_path, tiny, ["DemoSTSEn"]))
    assert not (tmp_path / "results").exists()
