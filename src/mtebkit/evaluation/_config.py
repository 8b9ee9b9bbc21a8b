"""``RunConfig``: what to evaluate and how, declared once for Python, the CLI and run files.

Each option is one field of one frozen, validated options model (one per concern: the task
selection, the encoder, the reranker, the vector and instruction variants, the output, the
runtime, the executor). ``RunConfig`` is made of them and is validated on construction: a bad value raises
:class:`~mtebkit.errors.ConfigError` naming the option. A field's ``Cli`` metadata is all the
CLI needs: ``mtebkit run``'s flags are generated from the fields (``mtebkit.cli._options``), and
a run file (YAML, ``RunConfig.from_yaml``) uses the same names. Options may be given flat
(``RunConfig(models=[...], batch_size=32)``) or by group (``encoder={"batch_size": 32}``);
they are read by group (``config.encoder.batch_size``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    ByteSize,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)

from mtebkit._util.options import Cli, Count, Names, Options
from mtebkit._util.untrusted import compose_bounded, construct_bounded, read_regular
from mtebkit.errors import ConfigError
from mtebkit.models import EncoderOptions

__all__ = [
    "DEFAULT_RESULTS_DIR",
    "Cli",
    "ExecutorOptions",
    "OutputOptions",
    "RerankOptions",
    "RunConfig",
    "RuntimeOptions",
    "TaskSelection",
    "VariantOptions",
]

DEFAULT_RESULTS_DIR = Path("results")


class TaskSelection(Options):
    """Which tasks, on which data."""

    cli_group: ClassVar[tuple[str, str] | None] = (
        "task selection",
        "applied to --tasks, --benchmark, or (with neither) every text task",
    )

    tasks: Annotated[
        tuple[str | type, ...] | None, Cli(("--tasks", "-t"), metavar="T", exclusive="tasks")
    ] = Field(
        default=None,
        description="native mteb and custom task names, or mteb task classes (also as "
        '"package.module:ClassName"); default: the embedded demo tasks',
    )
    benchmark: Annotated[str | None, Cli(("--benchmark", "-b"), metavar="B", exclusive="tasks")] = (
        Field(default=None, description='an mteb benchmark, e.g. "MTEB(cmn, v1)"')
    )
    task_types: Annotated[Names | None, Cli(("--task-type",), metavar="TYPE")] = Field(
        default=None, description="e.g. Retrieval STS"
    )
    languages: Annotated[Names | None, Cli(("--lang",), metavar="L")] = Field(
        default=None, description="e.g. eng cmn zh (eng-Latn also)"
    )
    splits: Annotated[Names | None, Cli(("--split",), metavar="S")] = Field(
        default=None, description="evaluate only these splits"
    )
    data_dir: Annotated[Path | None, Cli(("--data-dir",), metavar="DIR")] = Field(
        default=None,
        description="offline dataset mirror laid out <org>/<name>/ as on the HF hub "
        "(env MTEBKIT_DATA_DIR)",
    )
    spec_paths: Annotated[
        tuple[Path, ...] | None, Cli(("--tasks-path",), kind="repeat", metavar="PATH")
    ] = Field(
        default=None,
        description="custom task spec file or folder (repeatable; replaces $MTEBKIT_TASKS_PATH and ./tasks)",
    )

    @model_validator(mode="after")
    def _one_source(self) -> TaskSelection:
        if self.tasks and self.benchmark:
            raise ValueError("give tasks or benchmark, not both")
        return self


class RerankOptions(Options):
    """Two-stage retrieval: retrieve with the embedder, rerank with a cross-encoder."""

    cli_group: ClassVar[tuple[str, str] | None] = (
        "reranking",
        "retrieval and reranking tasks become two-stage runs",
    )

    reranker: Annotated[str | None, Cli(("--reranker",), metavar="M")] = Field(
        default=None, description="cross-encoder for two-stage retrieval"
    )
    rerank_top_k: Annotated[
        Annotated[tuple[Count, ...], Field(min_length=1)] | None,
        Cli(("--rerank-top-k",), metavar="K"),
    ] = Field(
        default=None,
        description="candidates the reranker rescores (default 100, or fewer where a query "
        "has fewer); several depths, e.g. 10 50 100, are a sweep: one first stage, one "
        "reranker pass, one experiment per depth",
    )
    first_stage: Annotated[
        tuple[str, ...] | dict[str, str | Path] | None, Cli(("--first-stage",), metavar="RUN")
    ] = Field(
        default=None,
        description="fixed candidates to rerank instead of the embedder's: a TREC run file "
        "(qid Q0 docid rank score tag) or an mteb predictions file (--save-predictions); "
        "TASK=PATH per task, or a folder with <Task>.trec / <Task>_predictions.json",
    )

    @field_validator("rerank_top_k", mode="before")
    @classmethod
    def _depths(cls, value: Any) -> Any:
        # one depth is a sweep of one: the plan reads every form the same way
        return (value,) if isinstance(value, int) and not isinstance(value, bool) else value


class VariantOptions(Options):
    """Experiments computed beside the default one."""

    cli_group: ClassVar[tuple[str, str] | None] = (
        "variants",
        "each dim x precision is its own experiment (dim_256__precision_int8), computed from "
        "one encoding of the full vectors",
    )

    instruction_ablation: Annotated[bool, Cli(("--instruction-ablation",), kind="flag")] = Field(
        default=False,
        description="evaluate retrieval/reranking tasks with and without the instruction",
    )
    # plain ints: <= 0 and too large (for the model) are named errors of the plan
    dims: Annotated[tuple[int, ...] | None, Cli(("--dim",), metavar="D")] = Field(
        default=None, description="Matryoshka dimensions, e.g. 768 256 64"
    )
    precisions: Annotated[Names | None, Cli(("--precision",), metavar="P")] = Field(
        default=None, description="float32 int8 binary"
    )


class OutputOptions(Options):
    """Where results go and what is kept beside them."""

    results_dir: Annotated[Path, Cli(("--results",), metavar="DIR")] = Field(
        default=DEFAULT_RESULTS_DIR, description="results folder"
    )
    overwrite: Annotated[bool, Cli(("--overwrite",), kind="flag")] = Field(
        default=False, description="redo tasks that already have results"
    )
    keep_item_scores: Annotated[bool, Cli(("--no-item-scores",), kind="off")] = Field(
        default=True, description="do not keep per-pair / per-query scores beside the results"
    )
    json_lines: Annotated[bool, Cli(("--json",), kind="flag")] = Field(
        default=False,
        description='with --dry-run: one JSON object per job, then {"total": {...}}',
    )
    save_predictions: Annotated[bool, Cli(("--save-predictions",), kind="flag")] = Field(
        default=False,
        description="keep mteb's <Task>_predictions.json (retrieval: top documents per query) "
        "beside each result (not for two-stage runs)",
    )


class RuntimeOptions(Options):
    """Where and how the work runs: devices, CPU lanes, the embedding cache, progress."""

    devices: Annotated[Names | None, Cli(("--device",), metavar="DEVICE")] = Field(
        default=None, description="e.g. cuda:0 cuda:1 (default: all GPUs, else CPU)"
    )
    cpu_lanes: Annotated[Count | None, Cli(("--cpu-lanes",), metavar="N")] = Field(
        default=None,
        description="CPU: batches encoded at once, one thread each (default: one per core)",
    )
    use_cache: Annotated[bool, Cli(("--no-cache",), kind="off")] = Field(
        default=True, description="do not read or write the embedding cache"
    )
    cache_dir: Annotated[Path | None, Cli(("--cache-dir",), metavar="DIR")] = Field(
        default=None,
        description="embedding cache folder (default <cache root>/embeddings; the cache root is "
        "$MTEBKIT_CACHE_DIR, else $XDG_CACHE_HOME/mtebkit, else ~/.cache/mtebkit)",
    )
    cache_max_bytes: Annotated[ByteSize | None, Cli(("--cache-max-bytes",), metavar="SIZE")] = (
        Field(
            default=None,
            description="bound the embedding cache (e.g. 20GiB, 500MB): least-recently-used "
            "vectors are evicted past it (default: unbounded)",
        )
    )
    show_progress: Annotated[bool, Cli(("--quiet", "-q"), kind="off")] = Field(
        default=True, description="no progress display and no per-task lines"
    )
    # a plan, not a run: the estimate reads the data and the tokenizer only (docs/running.md)
    dry_run: Annotated[bool, Cli(("--dry-run",), kind="flag")] = Field(
        default=False,
        description="plan only: per task the texts, tokens, cached texts and estimated "
        "seconds, and the makespan on --ray-workers workers (default 1); no weights are "
        "loaded (the tokenizer only), nothing is encoded or written",
    )
    tokens_per_s: Annotated[
        Annotated[float, Field(gt=0)] | None, Cli(("--tokens-per-s",), metavar="N")
    ] = Field(
        default=None,
        description="with --dry-run: the throughput the estimate assumes (default: a stated "
        "default per device kind, cpu or cuda)",
    )


class ExecutorOptions(Options):
    """Where the jobs run: here (the default), or on a Ray cluster (docs/ray.md)."""

    cli_group: ClassVar[tuple[str, str] | None] = (
        "Ray",
        "pip install 'mtebkit[ray]'; see docs/ray.md",
    )

    ray: Annotated[bool, Cli(("--ray",), kind="flag")] = Field(
        default=False,
        description="run on Ray: join $RAY_ADDRESS if set, else start a local cluster",
    )
    ray_address: Annotated[str | None, Cli(("--ray-address",), metavar="ADDR")] = Field(
        default=None, description="join this Ray cluster (implies --ray)"
    )
    ray_workers: Annotated[Count | None, Cli(("--ray-workers",), metavar="N")] = Field(
        default=None, description="worker slots (default: one per GPU, else one per node)"
    )
    ray_cpus_per_worker: Annotated[
        Annotated[float, Field(ge=1)] | None, Cli(("--ray-cpus-per-worker",), metavar="N")
    ] = Field(default=None, description="CPUs per worker (and its threads)")
    ray_gpus_per_worker: Annotated[
        Annotated[float, Field(ge=0)] | None, Cli(("--ray-gpus-per-worker",), metavar="N")
    ] = Field(default=None, description="GPUs per worker (default 1 if any)")
    ray_shard_min_texts: Annotated[
        Annotated[int, Strict(), Field(ge=0)] | None, Cli(("--ray-shard-min-texts",), metavar="N")
    ] = Field(
        default=None,
        description="shard an encode of N texts or more (a large corpus) across idle workers "
        "(default 2048; 0: never)",
    )

    @property
    def on_ray(self) -> bool:
        return self.ray or self.ray_address is not None


# group name -> its options model; a flat option belongs to the one group that declares it
GROUPS: dict[str, type[Options]] = {
    "selection": TaskSelection,
    "encoder": EncoderOptions,
    "rerank": RerankOptions,
    "variants": VariantOptions,
    "output": OutputOptions,
    "runtime": RuntimeOptions,
    "executor": ExecutorOptions,
}
_GROUP_OF: dict[str, str] = {f: g for g, cls in GROUPS.items() for f in cls.model_fields}


def _error_text(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
        msg = str(err["msg"]).removeprefix("Value error, ")
        if where and not isinstance(err.get("input"), Mapping):
            msg += f", got {err.get('input')!r}"
        lines.append(f"{where}: {msg}" if where else msg)
    return "invalid run options: " + "; ".join(lines)


class RunConfig(BaseModel):
    """What to evaluate and how: the options of ``mtebkit run``, by concern.

    ``tasks`` and ``benchmark`` are exclusive; with neither, the embedded demo tasks run.
    ``variants.instruction_ablation`` runs retrieval and reranking tasks with and without the
    query instruction. ``rerank.reranker`` turns retrieval and reranking tasks into two-stage
    runs (retrieve ``rerank_top_k`` with the embedder, rerank with the cross-encoder); several
    depths are a sweep; ``first_stage`` gives fixed candidates instead of the embedder's.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    models: Annotated[tuple[str, ...], Field(min_length=1)]
    # frozen groups: one shared default instance is safe
    selection: TaskSelection = TaskSelection()
    encoder: EncoderOptions = EncoderOptions()
    rerank: RerankOptions = RerankOptions()
    variants: VariantOptions = VariantOptions()
    output: OutputOptions = OutputOptions()
    runtime: RuntimeOptions = RuntimeOptions()
    executor: ExecutorOptions = ExecutorOptions()

    def __init__(self, **options: Any) -> None:
        try:
            super().__init__(**options)
        except ValidationError as exc:
            raise ConfigError(_error_text(exc)) from None

    @model_validator(mode="before")
    @classmethod
    def _route_flat_options(cls, data: Any) -> Any:
        """``batch_size=32`` means ``encoder={"batch_size": 32}``; unknown names are refused."""
        if not isinstance(data, Mapping):
            return data
        out: dict[str, Any] = {}
        grouped: dict[str, dict[str, Any]] = {}
        for key, value in data.items():
            if key in cls.model_fields:
                if key in GROUPS and isinstance(value, Mapping):
                    grouped.setdefault(key, {}).update(value)
                else:
                    out[key] = value
            elif key in _GROUP_OF:
                grouped.setdefault(_GROUP_OF[key], {})[key] = value
            else:
                known = [*cls.model_fields, *_GROUP_OF]
                near = difflib.get_close_matches(str(key), known, n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                raise ConfigError(f"unknown run option {key!r}{hint}")
        for group, values in grouped.items():
            if group in out:  # given as an options object and by field: the object, then these
                base = out[group]
                values = {**base.model_dump(exclude_unset=True), **values}
            out[group] = values
        if isinstance(out.get("models"), str):  # one model is a list of one, not of characters
            out["models"] = (out["models"],)
        return out

    @model_validator(mode="after")
    def _supported_together(self) -> RunConfig:
        if self.executor.on_ray and self.runtime.cache_max_bytes is not None:
            # each Ray worker keeps its own cache on its node: bound those with `cache evict`
            raise ValueError(
                "cache_max_bytes is not applied on Ray (each node keeps its own cache): "
                "run `mtebkit cache evict --max-bytes SIZE` on the nodes instead"
            )
        if self.output.json_lines and not self.runtime.dry_run:
            # a run's output is its results folder; JSON lines are the estimate's form
            raise ValueError("json_lines (--json) applies to dry_run (--dry-run) only")
        return self

    # ------------------------------------------------------------------ building and reading

    @classmethod
    def from_options(cls, options: Mapping[str, Any], *, source: str | None = None) -> RunConfig:
        """Build from flat or grouped options (a run file's content); errors name ``source``."""
        try:
            return cls(**{str(k): v for k, v in options.items()})
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}" if source else str(exc)) from None

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides: Any) -> RunConfig:
        """A run described in a YAML file (the same option names); ``overrides`` win over it."""
        return cls.from_options({**read_run_file(Path(path)), **overrides}, source=str(path))

    def replace(self, **options: Any) -> RunConfig:
        """A copy with some options changed (flat names), validated like a new one."""
        return RunConfig.from_options({**self.flat(), **options})

    def flat(self) -> dict[str, Any]:
        """Every option by its own name (the form a run file uses)."""
        out: dict[str, Any] = {"models": self.models}
        for group in GROUPS:
            out.update(getattr(self, group).model_dump())
        return out

    @staticmethod
    def fields() -> Iterator[tuple[str, type[Options] | None, str]]:
        """(group, its options model, field name) of every option; ``models`` first (no group)."""
        yield "", None, "models"
        for group, model in GROUPS.items():
            for name in model.model_fields:
                yield group, model, name


_RUN_FILE_LIMIT = 1 << 20  # a run file is a page of options: refuse anything larger


def read_run_file(path: Path) -> dict[str, Any]:
    """The options mapping of a YAML run file, read as task specs are (a regular file of at most
    1 MiB, bounded aliases and nesting: ``mtebkit._util.untrusted``)."""
    import yaml

    if not path.exists():
        raise ConfigError(f"{path}: run file not found")
    data = read_regular(path, ConfigError, _RUN_FILE_LIMIT)
    try:
        root = compose_bounded(data.decode("utf-8"))
        value = construct_bounded(root) if root is not None else None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: a run file is a mapping of options, not {type(value).__name__}")
    return {str(k): v for k, v in value.items()}
