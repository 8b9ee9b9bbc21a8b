"""A dry run: what a plan will cost before anything is loaded or encoded (``mtebkit run --dry-run``).

:func:`estimate` works on the whole batch of planned jobs (``plan(config)``): per job the texts
and distinct texts to encode, their tokens, how many the embedding cache already holds, and the
seconds that takes at a :class:`Throughput`; for the plan, the totals and the makespan on N
workers, simulated with the Ray executor's own dispatch (:func:`~mtebkit.evaluation._ray.schedule`
driven by a pool whose jobs "take" their estimated seconds on a virtual clock).

Counts are exact when a task's data loads here (the mirror, or data embedded in a spec): the
texts are the ones the embedder would be given (queries with their instruction, corpus records
joined ``"title text"`` as mteb joins them) and the tokens are counted by the model's own
tokenizer, truncated at the model's max length (``token_source="tokenizer"``). Without the data,
texts come from mteb's descriptive statistics and tokens from their characters, at a
characters-per-token ratio the tokenizer measures on a sample of the task's language
(``token_source="characters"``). Only the tokenizer is loaded: never the weights.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from mtebkit.errors import MtebkitError, TokenizerMissingError
from mtebkit.evaluation._config import RunConfig
from mtebkit.evaluation._jobs import Job, JobOutcome, ModelSpec, TaskRef
from mtebkit.evaluation._plan import plan
from mtebkit.evaluation._ray import DEFAULT_SHARD_MIN_TEXTS, schedule
from mtebkit.models import InstructionPolicy, config_dim, join_doc, text_key

if TYPE_CHECKING:
    from mteb.abstasks.abstask import AbsTask

    from mtebkit.models import EmbedderConfig

__all__ = [
    "BYTES_PER_VALUE",
    "DEFAULT_TOKENS_PER_S",
    "JobEstimate",
    "PlanEstimate",
    "Throughput",
    "estimate",
    "simulate_makespan",
]

logger = logging.getLogger(__name__)

# Stated defaults until a measured profile exists (issue 20 item 2 makes them measured): a
# MiniLM-class encoder, float32 on a few CPU cores, fp16 on one datacenter GPU.
DEFAULT_TOKENS_PER_S: Mapping[str, float] = {"cpu": 2_000.0, "cuda": 100_000.0}
BYTES_PER_VALUE = 4  # the cache stores float32 vectors

TokenSource = Literal["tokenizer", "characters", "none"]

# A few sentences per language for the characters-per-token ratio when a task's data is absent
# (a language without a sample uses English's: said in the docs).
_SAMPLES: Mapping[str, str] = {
    "eng": "The quick brown fox jumps over the lazy dog. Researchers evaluated the model on "
    "retrieval, clustering and semantic similarity tasks, and reported the average score. "
    "What is the capital of France, and how many people live there?",
    "cmn": "今天天气很好，我们去公园散步吧。研究人员在检索、聚类和语义相似度任务上评估了模型，"
    "并报告了平均分数。请问北京到上海的高铁需要多长时间？",
    "deu": "Der schnelle braune Fuchs springt über den faulen Hund. Die Forscher bewerteten das "
    "Modell bei Such- und Ähnlichkeitsaufgaben und berichteten die durchschnittliche Punktzahl.",
    "fra": "Le renard brun rapide saute par-dessus le chien paresseux. Les chercheurs ont évalué "
    "le modèle sur des tâches de recherche et de similarité, puis ont publié le score moyen.",
    "spa": "El rápido zorro marrón salta sobre el perro perezoso. Los investigadores evaluaron "
    "el modelo en tareas de búsqueda y similitud, y publicaron la puntuación media.",
    "rus": "Быстрая коричневая лиса прыгает через ленивую собаку. Исследователи оценили модель "
    "на задачах поиска и семантического сходства и сообщили средний результат.",
    "jpn": "今日はとても良い天気なので、公園へ散歩に行きましょう。研究者は検索と類似度のタスクで"
    "モデルを評価し、平均スコアを報告しました。",
    "kor": "오늘은 날씨가 아주 좋아서 공원에 산책하러 갑시다. 연구자들은 검색과 유사도 과제에서 "
    "모델을 평가하고 평균 점수를 보고했습니다.",
    "ara": "الثعلب البني السريع يقفز فوق الكلب الكسول. قيّم الباحثون النموذج في مهام البحث "
    "والتشابه الدلالي وأبلغوا عن متوسط النتيجة.",
}
_LANGUAGE_ALIASES = {"zho": "cmn", "zh": "cmn", "en": "eng"}

# the columns of a loaded split that hold texts the embedder is given
_TEXT_COLUMNS = ("text", "sentence1", "sentence2", "sentences")
_NOT_TEXTS = frozenset({"relevant_docs", "top_ranked"})
# statistics block -> the count of texts it describes (others: total length / average length)
_STAT_COUNTS = {
    "documents_text_statistics": "num_documents",
    "queries_text_statistics": "num_queries",
    "text1_statistics": "num_samples",
    "text2_statistics": "num_samples",
    "text_statistics": "num_samples",
}


@dataclass(frozen=True)
class Throughput:
    """Tokens per second the estimate assumes on one worker (an input: a later measured
    profile replaces the default)."""

    tokens_per_s: float
    device: str = "cpu"  # "cpu" | "cuda"
    source: str = "default"  # "default" | "given" | "profile"

    @classmethod
    def default(cls, device: str) -> Throughput:
        kind = "cuda" if device.startswith("cuda") else "cpu"
        return cls(DEFAULT_TOKENS_PER_S[kind], kind, "default")


@dataclass(frozen=True)
class JobEstimate:
    """One planned job's cost: ``tokens`` are those of its distinct texts (what is encoded),
    ``cached`` the distinct texts the cache holds (None: unknown, the texts are not known)."""

    job: Job
    texts: int
    distinct_texts: int
    tokens: int
    token_source: TokenSource
    cached: int | None
    estimated_seconds: float
    cache_bytes: int  # bytes the vectors not yet cached will take in the cache
    status: str = "todo"  # "todo" | "done" (an identical result exists) | "reused"
    splits: tuple[str, ...] = ()  # the task's eval splits (its split set)

    def as_json(self) -> dict[str, Any]:
        return {
            "model": self.job.model_name,
            "experiment": self.job.experiment,
            "task": self.job.task.name,
            "splits": list(self.splits),
            "status": self.status,
            "texts": self.texts,
            "distinct_texts": self.distinct_texts,
            "tokens": self.tokens,
            "token_source": self.token_source,
            "cached": self.cached,
            "cache_bytes": self.cache_bytes,
            "estimated_seconds": round(self.estimated_seconds, 3),
        }


@dataclass(frozen=True)
class PlanEstimate:
    """A whole plan's cost: its jobs' estimates, the throughput assumed and the makespan on
    ``workers`` workers (the Ray executor's dispatch, simulated)."""

    jobs: tuple[JobEstimate, ...]
    throughput: Throughput
    workers: int
    makespan_seconds: float

    @property
    def tokens(self) -> int:
        return sum(j.tokens for j in self.jobs)

    @property
    def estimated_seconds(self) -> float:
        return sum(j.estimated_seconds for j in self.jobs)

    @property
    def device_hours(self) -> float:
        """CPU- or GPU-hours (``throughput.device``): the work summed over workers."""
        return self.estimated_seconds / 3600.0

    @property
    def cache_bytes(self) -> int:
        return sum(j.cache_bytes for j in self.jobs)

    def total(self) -> dict[str, Any]:
        """The per-job fields summed (unknown counts as 0), with the makespan and workers."""
        return {
            "jobs": len(self.jobs),
            "texts": sum(j.texts for j in self.jobs),
            "distinct_texts": sum(j.distinct_texts for j in self.jobs),
            "tokens": self.tokens,
            "cached": sum(j.cached or 0 for j in self.jobs),
            "cache_bytes": self.cache_bytes,
            "estimated_seconds": round(self.estimated_seconds, 3),
            "device_hours": round(self.device_hours, 6),
            "device": self.throughput.device,
            "tokens_per_s": self.throughput.tokens_per_s,
            "throughput_source": self.throughput.source,
            "makespan_seconds": round(self.makespan_seconds, 3),
            "workers": self.workers,
        }

    def json_lines(self) -> Iterator[str]:
        """One JSON object per job, then ``{"total": {...}}``."""
        for j in self.jobs:
            yield json.dumps(j.as_json(), ensure_ascii=False)
        yield json.dumps({"total": self.total()})


# --------------------------------------------------------------------------- the makespan


class _SimulatedPool:
    """A :class:`~mtebkit.evaluation._ray.WorkerPool` on a virtual clock: a job submitted at
    time t is answered at t + its estimated seconds; nothing runs."""

    def __init__(
        self,
        workers: int,
        seconds: Callable[[Job], float],
        shards: Callable[[Job], bool] | None = None,
    ) -> None:
        self.workers = workers
        self.seconds = seconds
        self.shards = shards
        self.clock = 0.0
        self._ends: dict[int, tuple[float, Job]] = {}
        self._next = 0

    def start(self) -> list[Hashable]:
        return list(range(self.workers))

    def submit(self, slot: Hashable, job: Job, helpers: Sequence[Hashable] = ()) -> Hashable:
        self._next += 1
        took = self.seconds(job)
        if helpers and self.shards is not None and self.shards(job):
            took /= 1 + len(helpers)  # its encodes split evenly over itself and the lent slots
        self._ends[self._next] = (self.clock + took, job)
        return self._next

    def reclaim(self, slots: Sequence[Hashable]) -> list[Hashable]:
        return list(slots)

    def wait(self, tickets: Sequence[Hashable]) -> tuple[Hashable, JobOutcome]:
        # the earliest end first; ties by submission order, as a deterministic clock would
        ticket = min(tickets, key=lambda t: (self._ends[t][0], t))  # type: ignore[index]
        end, job = self._ends.pop(ticket)  # type: ignore[call-overload]
        self.clock = max(self.clock, end)
        return ticket, JobOutcome(job=job)

    def replace(self, slot: Hashable) -> Hashable | None:
        return None

    def describe(self, slot: Hashable) -> str:
        return f"simulated worker {slot}"

    def close(self) -> None:
        return None


def simulate_makespan(
    jobs: Sequence[Job],
    seconds: Callable[[Job], float],
    workers: int,
    *,
    shards: Callable[[Job], bool] | None = None,
) -> float:
    """The wall time of ``jobs`` on ``workers`` slots under the Ray executor's dispatch (jobs of
    a loaded model first, one model per slot where possible), each taking ``seconds(job)``.

    With ``shards`` (Ray's ``--ray-shard-min-texts``), a job started when none waits is lent the
    idle slots, as ``schedule(lend_idle=True)`` does, and one that ``shards(job)`` takes its
    seconds divided among them (an even split: the shards' overhead is not modelled)."""
    if workers < 1:
        raise MtebkitError(f"the makespan needs at least one worker, not {workers}")
    pool = _SimulatedPool(workers, seconds, shards)
    for _ in schedule(jobs, pool, max_retries=0, lend_idle=shards is not None):
        pass
    return pool.clock


# --------------------------------------------------------------------------- counting


@dataclass(frozen=True)
class _Texts:
    """A task's texts as loaded, by role (queries get the instruction; the rest do not)."""

    queries: tuple[str, ...]
    others: tuple[str, ...]


def _dataset_texts(data: Any) -> list[str]:
    cols = list(getattr(data, "column_names", ()))
    if "text" in cols and "title" in cols:  # a corpus: records joined as mteb joins them
        return [
            join_doc({"title": t, "text": x}, i)
            for i, (t, x) in enumerate(zip(data["title"], data["text"], strict=True))
            if isinstance(x, str)
        ]
    out: list[str] = []
    for c in _TEXT_COLUMNS:
        if c in cols:
            for v in data[c]:
                if isinstance(v, str):
                    out.append(v)
                elif isinstance(v, list):  # clustering: a list of sentences per row
                    out.extend(s for s in v if isinstance(s, str))
    return out


def _walk(data: Any, splits: frozenset[str], path: tuple[str, ...], out: _Collect) -> None:
    import datasets

    if isinstance(data, datasets.Dataset):  # a DatasetDict is a Mapping of these
        if splits & set(path):
            (out.queries if "queries" in path else out.others).extend(_dataset_texts(data))
        return
    if isinstance(data, Mapping):
        for key, value in data.items():
            if key not in _NOT_TEXTS:
                _walk(value, splits, (*path, str(key)), out)


@dataclass
class _Collect:
    queries: list[str] = dataclasses.field(default_factory=list)
    others: list[str] = dataclasses.field(default_factory=list)


def _splits_encoded(task: AbsTask) -> frozenset[str]:
    """The eval splits, and a classification task's train split (at most: mteb samples it)."""
    splits = set(task.eval_splits)
    train = getattr(task, "train_split", None)
    if str(task.metadata.type) == "Classification" and isinstance(train, str):
        splits.add(train)
    return frozenset(splits)


def _loaded_texts(task: AbsTask) -> _Texts | None:
    """The task's texts if its data loads here (mirror or embedded), else None."""
    from mtebkit.tasks import hf_offline, mirror_missing

    if mirror_missing(task) is not None:  # absent from the mirror: never try the hub instead
        return None
    import datasets

    datasets.disable_progress_bars()  # "Generating test split" per file: noise in a table
    try:
        # a dry run never downloads: data from the mirror or the local HF cache, else estimated
        with hf_offline():
            task.load_data()
    # absent from the mirror (MirrorMissingError), offline with no copy (datasets raises
    # FileNotFoundError / ConnectionError), or a dataset of another shape: estimate instead
    except (MtebkitError, OSError, ConnectionError, ValueError, RuntimeError) as exc:
        logger.info("%s: data not loaded (%s): estimating from statistics", task.metadata.name, exc)
        return None
    try:
        out = _Collect()
        _walk(task.dataset, _splits_encoded(task), (), out)
        return _Texts(tuple(out.queries), tuple(out.others))
    finally:
        if task.data_loaded:
            task.unload_data()


@dataclass(frozen=True)
class _Stats:
    texts: int
    distinct: int
    # (texts in the block, their average characters) per statistics block
    blocks: tuple[tuple[int, float], ...]


def _stats_of(task: AbsTask) -> _Stats | None:
    """Texts, distinct texts and characters from mteb's stored statistics (None: none)."""
    stats: Mapping[str, Any] = task.metadata.descriptive_stats or {}
    texts = distinct = 0
    blocks: list[tuple[int, float]] = []
    for entry in _stat_entries(task, stats):
        if not isinstance(entry, Mapping):
            return None
        found = False
        for key, block in entry.items():
            if not (key.endswith("_statistics") and isinstance(block, Mapping)):
                continue
            total, avg = block.get("total_text_length"), block.get("average_text_length")
            if not isinstance(total, int | float) or not isinstance(avg, int | float) or avg <= 0:
                continue
            count_key = _STAT_COUNTS.get(key)
            n = entry.get(count_key) if count_key else None
            n = int(n) if isinstance(n, int) else round(total / avg)
            unique = block.get("unique_texts")
            texts += n
            distinct += int(unique) if isinstance(unique, int) else n
            blocks.append((n if not isinstance(unique, int) else int(unique), float(avg)))
            found = True
        if not found:
            return None
    return _Stats(texts, distinct, tuple(blocks))


def _stat_entries(task: AbsTask, stats: Mapping[str, Any]) -> list[Any]:
    """The statistics of each encoded split; of the selected subsets only when a benchmark
    keeps some of a multilingual task's (its split totals would count them all)."""
    out: list[Any] = []
    wanted = list(getattr(task, "hf_subsets", None) or ())
    for split in sorted(_splits_encoded(task)):
        entry = stats.get(split)
        subs = entry.get("hf_subset_descriptive_stats") if isinstance(entry, Mapping) else None
        if (
            task.metadata.is_multilingual
            and isinstance(subs, Mapping)
            and wanted
            and set(wanted) < set(subs)
        ):
            out.extend(subs[w] for w in wanted)
        else:
            out.append(entry)
    return out


def _language(task: AbsTask) -> str:
    langs = list(task.metadata.languages or ())
    code = str(langs[0]).split("-")[0].lower() if langs else "eng"
    return _LANGUAGE_ALIASES.get(code, code)


class _Tokenizer:
    """The model's own tokenizer (never its weights): token counts and characters per token."""

    def __init__(self, path: Path) -> None:
        from transformers import AutoTokenizer

        try:
            self.tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        except (OSError, ValueError, TypeError) as exc:
            raise TokenizerMissingError(
                f"{path}: no tokenizer can be loaded ({type(exc).__name__}: {exc}); a dry run "
                "counts tokens with the model's own tokenizer"
            ) from None
        self.specials = int(self.tok.num_special_tokens_to_add())
        self._ratios: dict[str, float] = {}

    def lengths(self, texts: Sequence[str], max_length: int) -> list[int]:
        out: list[int] = []
        for start in range(0, len(texts), 4096):  # bounded memory on a large corpus
            enc = self.tok(
                list(texts[start : start + 4096]), truncation=True, max_length=max_length
            )
            out.extend(len(ids) for ids in enc["input_ids"])
        return out

    def chars_per_token(self, language: str) -> float:
        lang = language if language in _SAMPLES else "eng"
        if lang not in self._ratios:
            sample = _SAMPLES[lang]
            n = len(self.tok(sample, add_special_tokens=False)["input_ids"])
            self._ratios[lang] = len(sample) / max(1, n)
        return self._ratios[lang]


@dataclass
class _Context:
    """What the jobs of one estimate share: configured models, tokenizers, built tasks, cache."""

    config: RunConfig
    configs: dict[ModelSpec, EmbedderConfig] = dataclasses.field(default_factory=dict)
    tokenizers: dict[Path, _Tokenizer] = dataclasses.field(default_factory=dict)
    tasks: dict[TaskRef, AbsTask] = dataclasses.field(default_factory=dict)
    loaded: dict[TaskRef, _Texts | None] = dataclasses.field(default_factory=dict)
    cache: Any = None
    cache_opened: bool = False

    def cfg(self, spec: ModelSpec) -> EmbedderConfig:
        if spec not in self.configs:
            self.configs[spec] = spec.configure()
        return self.configs[spec]

    def tokenizer(self, cfg: EmbedderConfig) -> _Tokenizer:
        path = cfg.resolved.path
        if path not in self.tokenizers:
            self.tokenizers[path] = _Tokenizer(path)
        return self.tokenizers[path]

    def task(self, ref: TaskRef) -> AbsTask:
        if ref not in self.tasks:
            self.tasks[ref] = ref.build()
        return self.tasks[ref]

    def texts(self, ref: TaskRef) -> _Texts | None:
        if ref not in self.loaded:
            self.loaded[ref] = _loaded_texts(self.task(ref))
        return self.loaded[ref]

    def stored(self, namespace: str, keys: Sequence[str]) -> set[str]:
        """Keys the embedding cache holds; a cache that does not exist yet is not created."""
        if not self.config.runtime.use_cache:
            return set()
        if not self.cache_opened:
            from mtebkit.models import EmbeddingCache

            self.cache_opened = True
            cache = EmbeddingCache(self.config.runtime.cache_dir)
            self.cache = cache if cache.index_path.exists() else None
        return set() if self.cache is None else set(self.cache.stored_keys(namespace, keys))


def _policy(job: Job, cfg: EmbedderConfig) -> InstructionPolicy:
    # the embedder's own policy, as ModelSpec.build() and Embedder.variant() make it
    return InstructionPolicy(
        query_instruction=cfg.query_instruction,
        preset=cfg.preset,
        enabled=job.use_instructions,
        task_overrides=dict(job.model.options.task_instructions),
        spec_instructions=dict(job.model.spec_instructions),
        template=cfg.query_template,
    )


def _estimate_job(ctx: _Context, job: Job, throughput: Throughput) -> JobEstimate:
    cfg = ctx.cfg(job.model)
    tok = ctx.tokenizer(cfg)
    dim = config_dim(cfg.resolved.path) or 0
    eos = 1 if cfg.append_eos else 0
    query_length = cfg.query_max_length or cfg.max_length
    loaded = ctx.texts(job.task)
    if loaded is not None:
        instr = _policy(job, cfg).for_task(job.task.name, job.task_type)
        queries = _policy(job, cfg).apply(instr, list(loaded.queries))
        # one encode per role and length: distinct within each (as the engine dedups a call);
        # texts of one length share a cache namespace
        groups: dict[int, dict[str, None]] = {}
        for length, texts in ((query_length, queries), (cfg.max_length, loaded.others)):
            groups.setdefault(length, {}).update(dict.fromkeys(texts))
        distinct = tokens = cached = todo_tokens = 0
        for length, unique in groups.items():
            texts = list(unique)
            lengths = tok.lengths(texts, length)
            keys = [text_key(t) for t in texts]
            hit = ctx.stored(cfg.settings(length).namespace(), keys)
            distinct += len(texts)
            tokens += sum(lengths) + eos * len(texts)
            cached += sum(k in hit for k in keys)
            todo_tokens += sum(n + eos for n, k in zip(lengths, keys, strict=True) if k not in hit)
        return JobEstimate(
            job,
            texts=len(queries) + len(loaded.others),
            distinct_texts=distinct,
            tokens=tokens,
            token_source="tokenizer",
            cached=cached,
            estimated_seconds=todo_tokens / throughput.tokens_per_s,
            cache_bytes=BYTES_PER_VALUE * dim * (distinct - cached),
        )
    task = ctx.task(job.task)
    stats = _stats_of(task)
    if stats is None:  # no data, no statistics (a custom task absent from the mirror)
        return JobEstimate(job, 0, 0, 0, "none", None, 0.0, 0)
    ratio = tok.chars_per_token(_language(task))
    # per block: its average text in tokens, capped at the max length, times its distinct texts
    tokens = round(
        sum(n * min(avg / ratio + tok.specials + eos, cfg.max_length) for n, avg in stats.blocks)
    )
    return JobEstimate(
        job,
        texts=stats.texts,
        distinct_texts=stats.distinct,
        tokens=tokens,
        token_source="characters",
        cached=None,  # the texts are unknown: so are their cache keys
        estimated_seconds=tokens / throughput.tokens_per_s,
        cache_bytes=BYTES_PER_VALUE * dim * stats.distinct,
    )


def _workers(config: RunConfig) -> int:
    # the Ray option's slots when given; in-process runs one job at a time
    return config.executor.ray_workers or 1


def estimate(
    config: RunConfig,
    *,
    throughput: Throughput | None = None,
    jobs: Sequence[Job] | None = None,
    workers: int | None = None,
) -> PlanEstimate:
    """What ``config``'s plan will cost (see the module docstring); loads no model weights and
    writes nothing. ``throughput``: default ``config.runtime.tokens_per_s``, else
    :data:`DEFAULT_TOKENS_PER_S` for the first model's device kind. ``jobs``: a plan already
    made (default ``plan(config)``, as a dry run). ``workers``: default
    ``config.executor.ray_workers``, else 1."""
    if not config.runtime.dry_run:
        config = config.replace(dry_run=True)  # the plan then never probes the results folder
    from mtebkit.tasks import mirror_optional

    # tasks absent from the mirror are planned from their metadata (their statistics estimate
    # them) rather than refused: a dry run is how one learns what a download would cost
    with mirror_optional():
        return _estimate(config, throughput, jobs, workers)


def _estimate(
    config: RunConfig,
    throughput: Throughput | None,
    jobs: Sequence[Job] | None,
    workers: int | None,
) -> PlanEstimate:
    planned = list(plan(config) if jobs is None else jobs)
    ctx = _Context(config)
    if throughput is None:
        device = ctx.cfg(planned[0].model).devices[0] if planned else "cpu"
        throughput = Throughput.default(device)
        if config.runtime.tokens_per_s is not None:
            throughput = Throughput(config.runtime.tokens_per_s, throughput.device, "given")
    out: list[JobEstimate] = []
    seen: set[tuple[Any, ...]] = set()
    for job in planned:
        if job.status == "done":
            out.append(JobEstimate(job, 0, 0, 0, "none", None, 0.0, 0, status="done"))
            continue
        est = _estimate_job(ctx, job, throughput)
        # a vector variant (--dim / --precision) or another depth of a sweep reuses the
        # encoding of the first job of its task: it encodes nothing itself
        key = (job.model, job.use_instructions, job.task, job.reranker, job.first_stage)
        if key in seen and (job.vectors is not None or job.rerank_sweep):
            est = dataclasses.replace(
                est,
                cached=est.distinct_texts,
                estimated_seconds=0.0,
                cache_bytes=0,
                status="reused",
            )
        seen.add(key)
        out.append(est)
    out = [dataclasses.replace(e, splits=tuple(ctx.task(e.job.task).eval_splits)) for e in out]
    seconds = {e.job.result_path: e.estimated_seconds for e in out}
    distinct = {e.job.result_path: e.distinct_texts for e in out}
    n = workers if workers is not None else _workers(config)
    # Ray lends idle workers to a large encode (--ray-shard-min-texts; 0: never)
    min_texts = config.executor.ray_shard_min_texts
    min_texts = DEFAULT_SHARD_MIN_TEXTS if min_texts is None else min_texts
    makespan = simulate_makespan(
        planned,
        lambda j: seconds[j.result_path],
        n,
        shards=(lambda j: distinct[j.result_path] >= min_texts) if min_texts > 0 else None,
    )
    return PlanEstimate(tuple(out), throughput, n, makespan)
