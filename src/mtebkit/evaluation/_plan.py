"""Planning a run: ``plan(config) -> list[Job]``, before any model is loaded.

For every model, settings variant and task, the plan decides the experiment folder (settings
that differ from the model's published defaults name an mteb experiment), the result path (from
mteb's ``ResultCache``), the settings to record, and whether an identical result already exists
(then the job is ``"done"``). A result computed with *different* settings under the same path is
refused here, before anything runs, rather than replaced.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import logging
import math
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtebkit.errors import ConfigError, ResultsError
from mtebkit.evaluation._config import RunConfig
from mtebkit.evaluation._first_stage import FirstStageRun
from mtebkit.evaluation._jobs import Job, ModelSpec, RerankerSpec, TaskRef
from mtebkit.evaluation._rerank_plan import check_first_stage, rerank_depths, sweep_together
from mtebkit.models import (
    DEFAULT_TEMPLATE,
    QUERY_TASK_TYPES,
    InstructionPolicy,
    VectorVariant,
    config_dim,
    embedder_settings_record,
    vector_variants,
)
from mtebkit.results import differences, read_settings, result_path, settings_record
from mtebkit.tasks import DEMO_TASKS, canonical_benchmark, get_benchmark_tasks, get_tasks

if TYPE_CHECKING:
    from mteb.abstasks.abstask import AbsTask

    from mtebkit.models import EmbedderConfig, RerankerConfig

__all__ = [
    "PlanContext",
    "Variant",
    "expand",
    "experiment_kwargs",
    "mark_done",
    "name_jobs",
    "plan",
    "select",
]

logger = logging.getLogger(__name__)


def experiment_kwargs(
    cfg: EmbedderConfig, *, use_instructions: bool, task_instructions: Mapping[str, str | None]
) -> dict[str, Any]:
    """Settings that differ from the model's published defaults; they name the experiment."""
    exp: dict[str, Any] = {}
    if cfg.dtype != "float32":
        exp["dtype"] = cfg.dtype
    defaults = cfg.defaults.as_dict()
    for key in ("pooling", "normalize", "max_length"):
        if getattr(cfg, key) != defaults[key]:
            exp[key] = getattr(cfg, key)
    if cfg.query_max_length is not None and cfg.query_max_length != cfg.max_length:
        exp["query_max_length"] = cfg.query_max_length
    published = cfg.preset.query_instruction if cfg.preset else None
    if use_instructions and cfg.query_instruction != published:
        # the text is in the settings; the folder name gets a short digest of it
        text = cfg.query_instruction or ""
        exp["query_instruction"] = hashlib.sha256(text.encode()).hexdigest()[:10]
    if use_instructions and cfg.query_template != DEFAULT_TEMPLATE:
        exp["query_template"] = hashlib.sha256(cfg.query_template.encode()).hexdigest()[:10]
    if not use_instructions:
        exp["instructions"] = "off"
    elif task_instructions:
        exp["task_instructions"] = dict(sorted(task_instructions.items()))
    return exp


# common two-letter codes -> the ISO 639-3 codes mteb uses
_LANGUAGE_ALIASES = {"en": ("eng",), "zh": ("cmn", "zho"), "de": ("deu",), "fr": ("fra",)}


def _covers(languages: Sequence[str], wanted: Sequence[str]) -> bool:
    codes = {c for w in wanted for c in _LANGUAGE_ALIASES.get(w.lower(), (w,))}
    return any(lang in codes or lang.split("-")[0] in codes for lang in languages)


def _selected(config: RunConfig) -> bool:
    return bool(
        config.selection.task_types or config.selection.languages or config.selection.splits
    )


def _select(
    config: RunConfig, tasks: list[tuple[TaskRef, AbsTask]]
) -> list[tuple[TaskRef, AbsTask]]:
    """The tasks kept by ``task_types`` / ``languages`` / ``splits``; their refs carry the splits."""
    if not _selected(config):
        return tasks
    types = {t.lower() for t in config.selection.task_types or ()}
    out = []
    for ref, task in tasks:
        md = task.metadata
        if types and str(md.type).lower() not in types:
            continue
        if config.selection.languages and not _covers(md.languages, config.selection.languages):
            continue
        if config.selection.splits:
            splits = tuple(s for s in task.eval_splits if s in config.selection.splits)
            if not splits:
                continue
            ref = dataclasses.replace(ref, eval_splits=splits)
        out.append((ref, task))
    if not out:
        wanted = ", ".join(
            f"{k} {'/'.join(v)}"
            for k, v in (
                ("type", config.selection.task_types),
                ("language", config.selection.languages),
                ("split", config.selection.splits),
            )
            if v
        )
        raise ConfigError(f"no task matches {wanted} (see `mtebkit tasks --type T --lang L`)")
    return out


def _catalogue(config: RunConfig) -> list[str]:
    """Text tasks of the whole catalogue, pre-selected by type and language (cheap metadata)."""
    from mtebkit.tasks import list_tasks

    paths = (
        [Path(p) for p in config.selection.spec_paths]
        if config.selection.spec_paths is not None
        else None
    )
    types = {t.lower() for t in config.selection.task_types or ()}
    return [
        i.name
        for i in list_tasks(data_dir=config.selection.data_dir, spec_paths=paths)
        if set(i.modalities) <= {"text"}
        and (not types or i.type.lower() in types)
        and (not config.selection.languages or _covers(i.languages, config.selection.languages))
    ]


def _tasks(config: RunConfig) -> list[tuple[TaskRef, AbsTask]]:
    return _select(config, _all_tasks(config))


def _all_tasks(config: RunConfig) -> list[tuple[TaskRef, AbsTask]]:
    if config.selection.benchmark and config.selection.tasks:
        raise ConfigError("give --tasks or --benchmark, not both")
    if config.selection.benchmark:
        name = canonical_benchmark(config.selection.benchmark)
        objs = get_benchmark_tasks(name, data_dir=config.selection.data_dir)
        return [
            (TaskRef(t.metadata.name, config.selection.data_dir, benchmark=name), t) for t in objs
        ]
    if config.selection.tasks:
        items: list[str | type[AbsTask]] = list(dict.fromkeys(config.selection.tasks))
    elif _selected(config) and (config.selection.task_types or config.selection.languages):
        items = list(_catalogue(config))  # a selection with no task list: the whole catalogue
    else:
        items = list(DEMO_TASKS)
    paths = (
        tuple(Path(p) for p in config.selection.spec_paths)
        if config.selection.spec_paths is not None
        else None
    )
    # "package.module:Class" names an mteb task class; other strings are catalogue names
    names = [n for n in items if isinstance(n, str) and ":" not in n]
    found = get_tasks(names, data_dir=config.selection.data_dir, spec_paths=paths)
    by_name = dict(zip(names, found, strict=True))
    out: list[tuple[TaskRef, AbsTask]] = []
    for item in items:
        if isinstance(item, str) and item in by_name:
            out.append((TaskRef(item, config.selection.data_dir, spec_paths=paths), by_name[item]))
        else:
            ref = TaskRef.of_class(item, config.selection.data_dir)
            out.append((ref, ref.build()))
    return out


def _path_of(
    results_dir: Path, name: str, revision: str, exp: Mapping[str, Any], task: str
) -> Path:
    from mteb.models.model_meta import ModelMeta

    meta = ModelMeta.create_empty(
        overwrites={"name": name, "revision": revision, "experiment_kwargs": dict(exp) or None}
    )
    return result_path(results_dir, meta, task)


def _experiment_name(name: str, revision: str, exp: Mapping[str, Any]) -> str | None:
    from mteb.models.model_meta import ModelMeta

    meta = ModelMeta.create_empty(
        overwrites={"name": name, "revision": revision, "experiment_kwargs": dict(exp) or None}
    )
    return meta.experiment_name


def job_settings(
    cfg: EmbedderConfig,
    policy: InstructionPolicy,
    task_name: str,
    task_type: str,
    reranker: RerankerConfig | None,
    top_k: int | None,
    first_stage: FirstStageRun | None = None,
    *,
    vectors: VectorVariant | None = None,
    eval_splits: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The settings record a job should produce (``cpu_kernels`` unknown until it runs)."""
    embedder = embedder_settings_record(
        cfg.resolved,
        cfg.settings(),
        use_instructions=policy.enabled,
        cpu_kernels=None,
        query_max_length=cfg.query_max_length,
        query_template=cfg.query_template,
    )
    embedder.update(vectors.experiment_kwargs() if vectors else {})
    return settings_record(
        embedder,
        query_instruction=policy.for_task(task_name, task_type),
        reranker=None if reranker is None else reranker.settings_record(),
        rerank_top_k=top_k,
        first_stage=None if first_stage is None else first_stage.settings_record(),
        eval_splits=eval_splits,
    )


def _main_scores(path: Path) -> list[Any]:
    """Every main score of a result file; a file whose ``scores`` are not mteb's shape is a
    :class:`ResultsError` naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ResultsError(f"cannot read result file {path}: {exc}") from exc
    scores = data.get("scores") if isinstance(data, dict) else None
    ok = isinstance(scores, dict) and all(
        isinstance(rows, list) and all(isinstance(r, dict) for r in rows)
        for rows in scores.values()
    )
    if not ok or not scores:
        raise ResultsError(
            f"{path}: 'scores' is not mteb's {{split: [{{main_score, hf_subset, ...}}]}}; "
            "use --overwrite to replace the file"
        )
    return [row.get("main_score") for rows in scores.values() for row in rows]


def _defined(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_readable(path: Path) -> None:
    """mteb must read the file back (it becomes the "skipped" record): else a named error."""
    import warnings

    from mteb.results import TaskResult

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            TaskResult.from_disk(path)
    except (ValueError, TypeError, KeyError) as exc:  # pydantic's ValidationError: a ValueError
        first = str(exc).strip().splitlines()[:3]
        raise ResultsError(
            f"{path}: not a valid mteb result ({type(exc).__name__}: {' / '.join(first)}); "
            "use --overwrite to replace it"
        ) from None


def _stored_dataset_revision(path: Path) -> Any:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("dataset_revision") if isinstance(data, dict) else None


def _already_done(
    path: Path,
    settings: Mapping[str, Any],
    *,
    overwrite: bool,
    dataset_revision: str | None = None,
) -> bool:
    """True when ``path`` holds a result computed with identical settings on the same data.

    A result of other data (its ``dataset_revision`` is not the task's ``dataset_revision``:
    a custom spec rehashed, a mirror updated) is not done: with identical settings the task
    runs again and replaces it; with other settings the usual refusal applies.

    A result whose main score is undefined (written by an older mtebkit) is not done: the
    task runs again and replaces it. Malformed scores are a :class:`ResultsError` naming it.
    """
    if overwrite or not path.exists():
        return False
    recorded = read_settings(path)
    if recorded is None:
        raise ResultsError(
            f"{path} exists but was not written by mtebkit (no settings recorded); "
            "use --overwrite to replace it or choose another --results folder"
        )
    if not all(_defined(v) for v in _main_scores(path)):
        logger.warning("%s holds an undefined main score: computing it again", path)
        return False
    diff = differences(recorded, settings)
    if diff:
        if diff == ["engine_version"]:
            # same configuration, older encoding code: the score is stale, not another run
            logger.warning(
                "%s was computed by encoding engine %s, this is %s: computing it again",
                path,
                recorded.get("engine_version", "1"),
                settings.get("engine_version"),
            )
            return False
        raise ResultsError(
            f"{path} holds a result computed with different settings ({', '.join(diff)}); "
            "use --overwrite to replace it, or another --results folder to keep both"
        )
    if dataset_revision is not None:
        stored = _stored_dataset_revision(path)
        if stored != dataset_revision:
            logger.warning(
                "%s was computed on other data (dataset revision %s, now %s): computing it again",
                path,
                stored,
                dataset_revision,
            )
            return False
    _check_readable(path)
    return True


def _revision_of(task: AbsTask) -> str | None:
    rev = getattr(task.metadata, "revision", None)
    return rev if isinstance(rev, str) else None


def _check_instructions(config: RunConfig, tasks: Sequence[tuple[TaskRef, AbsTask]]) -> None:
    """An instruction for a task not in the run, or for one that never takes one, is a mistake
    (and would otherwise name a new experiment folder for nothing)."""
    types = {ref.name: str(task.metadata.type) for ref, task in tasks}
    for name in config.encoder.task_instructions:
        if name not in types:
            raise ConfigError(
                f"--instruction {name}=...: {name} is not a task of this run "
                f"(tasks: {', '.join(types)})"
            )
        if types[name] not in QUERY_TASK_TYPES:
            raise ConfigError(
                f"--instruction {name}=...: {name} is a {types[name]} task; query instructions "
                f"apply to {' and '.join(sorted(QUERY_TASK_TYPES))} tasks only"
            )


def check_results_dir(results_dir: Path) -> None:
    """The results folder must be a folder we can write to: checked before anything is encoded,
    so that no score is computed only to be lost."""
    if results_dir.exists() and not results_dir.is_dir():
        raise ResultsError(f"--results {results_dir} is a file, not a folder")
    try:
        results_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=results_dir, prefix=".mtebkit-probe-"):
            pass
    except OSError as exc:
        raise ResultsError(
            f"--results {results_dir} is not writable ({exc.strerror or exc}); "
            "choose another results folder"
        ) from None


def _variants(config: RunConfig) -> list[bool]:
    """Instruction settings to run: both for an ablation, else the configured one."""
    return (
        [True, False] if config.variants.instruction_ablation else [config.encoder.use_instructions]
    )


def planned_vectors(config: RunConfig, cfg: EmbedderConfig) -> list[VectorVariant | None]:
    """The ``dims`` x ``precisions`` variants of one model, checked against its config (no
    weights loaded); ``[None]`` when neither is asked for."""
    if not config.variants.dims and not config.variants.precisions:
        return [None]
    return [
        *vector_variants(
            config.variants.dims,
            config.variants.precisions,
            model_dim=config_dim(cfg.resolved.path),
            model=cfg.resolved.name,
        )
    ]


@dataclasses.dataclass(frozen=True)
class PlanContext:
    """What every job of a run shares, decided once: the tasks, the configured models (no
    weights loaded), the reranker and the fixed candidates."""

    tasks: list[tuple[TaskRef, AbsTask]]
    models: list[tuple[ModelSpec, EmbedderConfig]]
    reranker: RerankerSpec | None
    reranker_cfg: RerankerConfig | None
    first_stage: dict[str, FirstStageRun]
    depths: list[int]
    spec_instructions: dict[str, str | None]


@dataclasses.dataclass(frozen=True)
class Variant:
    """One point of the run's product: model x instructions x task x vectors (x depths, for a
    two-stage task); named by :func:`name_jobs`."""

    spec: ModelSpec
    cfg: EmbedderConfig
    use_instructions: bool
    ref: TaskRef
    task: AbsTask
    task_type: str
    vectors: VectorVariant | None
    depths: tuple[int | None, ...]  # (None,) unless two-stage
    fixed: FirstStageRun | None


def select(config: RunConfig) -> PlanContext:
    """Stage 1: the tasks (on their metadata) and what every job shares; every check that needs
    no model's weights happens here."""
    depths = rerank_depths(config.rerank.rerank_top_k)
    tasks = _tasks(config)
    _check_instructions(config, tasks)
    spec_instructions = {
        t.metadata.name: getattr(t, "query_instruction", None)
        for _, t in tasks
        if hasattr(t, "query_instruction")
    }
    devices = tuple(config.runtime.devices) if config.runtime.devices else None
    reranker = reranker_cfg = None
    if config.rerank.reranker:
        reranker = RerankerSpec(
            config.rerank.reranker, use_fp16=config.encoder.use_fp16, devices=devices
        )
        reranker_cfg = reranker.configure()
    first_stage = check_first_stage(config, tasks, depths)
    models = []
    for model in dict.fromkeys(config.models):
        spec = ModelSpec(
            model,
            options=config.encoder,
            devices=devices,
            cpu_lanes=config.runtime.cpu_lanes,
            spec_instructions=tuple(sorted(spec_instructions.items())),
        )
        models.append((spec, spec.configure()))
    return PlanContext(
        tasks, models, reranker, reranker_cfg, first_stage, depths, spec_instructions
    )


def expand(config: RunConfig, ctx: PlanContext) -> list[Variant]:
    """Stage 2: the product over the run's axes, in run order (a task's variants follow each
    other: they share its encoding), less the points that mean nothing (an instruction ablation
    of a task type that takes no instruction)."""
    out = []
    for (spec, cfg), use_instr in itertools.product(ctx.models, _variants(config)):
        vectors = planned_vectors(config, cfg)
        for (ref, task), vec in itertools.product(ctx.tasks, vectors):
            ttype = str(task.metadata.type)
            if (
                config.variants.instruction_ablation
                and not use_instr
                and ttype not in QUERY_TASK_TYPES
            ):
                continue  # instructions never reach other task types: nothing to ablate
            two_stage = ctx.reranker_cfg is not None and ttype in QUERY_TASK_TYPES
            depths: tuple[int | None, ...] = tuple(ctx.depths) if two_stage else (None,)
            fixed = ctx.first_stage.get(ref.name) if two_stage else None
            out.append(Variant(spec, cfg, use_instr, ref, task, ttype, vec, depths, fixed))
    return out


def _policy(config: RunConfig, ctx: PlanContext, v: Variant) -> InstructionPolicy:
    return InstructionPolicy(
        query_instruction=v.cfg.query_instruction,
        preset=v.cfg.preset,
        enabled=v.use_instructions,
        task_overrides=dict(config.encoder.task_instructions),
        spec_instructions=ctx.spec_instructions,
        template=v.cfg.query_template,
    )


def name_jobs(config: RunConfig, ctx: PlanContext, variants: Sequence[Variant]) -> list[list[Job]]:
    """Stage 3: each variant's experiment, result path and settings, from this one place (one
    job per depth of a sweep; a path planned twice is planned once)."""
    groups: list[list[Job]] = []
    seen: set[Path] = set()
    for v in variants:
        name, revision = v.cfg.resolved.name, v.cfg.resolved.revision
        # only this task's own override names its experiment (others never reach it)
        own = {k: w for k, w in config.encoder.task_instructions.items() if k == v.ref.name}
        base = experiment_kwargs(v.cfg, use_instructions=v.use_instructions, task_instructions=own)
        base.update(v.vectors.experiment_kwargs() if v.vectors else {})
        group = []
        for depth in v.depths:
            exp = dict(base)
            if depth is not None and ctx.reranker_cfg is not None:
                exp["reranker"] = ctx.reranker_cfg.resolved.name.replace("/", "__")
                exp["rerank_top_k"] = depth
                if v.fixed is not None:  # other candidates: another experiment folder
                    exp["first_stage"] = v.fixed.sha256[:12]
            path = _path_of(config.output.results_dir, name, revision, exp, v.ref.name)
            if path in seen:
                continue
            seen.add(path)
            two_stage = depth is not None
            settings = job_settings(
                v.cfg,
                _policy(config, ctx, v),
                v.ref.name,
                v.task_type,
                ctx.reranker_cfg if two_stage else None,
                depth,
                v.fixed,
                vectors=v.vectors,
                eval_splits=v.ref.eval_splits,
            )
            group.append(
                Job(
                    model=v.spec,
                    task=v.ref,
                    task_type=v.task_type,
                    use_instructions=v.use_instructions,
                    experiment_kwargs=tuple(exp.items()),
                    model_name=name,
                    revision=revision,
                    experiment=_experiment_name(name, revision, exp),
                    result_path=path,
                    settings=settings,
                    status="todo",
                    reranker=ctx.reranker if two_stage else None,
                    rerank_top_k=depth,
                    keep_item_scores=config.output.keep_item_scores,
                    save_predictions=config.output.save_predictions,
                    first_stage=v.fixed,
                    strict_depth=config.rerank.rerank_top_k is not None,
                    vectors=v.vectors,
                    dataset_revision=_revision_of(v.task),
                )
            )
        if group:
            groups.append(group)
    return groups


def mark_done(config: RunConfig, groups: Sequence[Sequence[Job]]) -> list[Job]:
    """Stage 4: one pass over the results folder: each job whose identical result exists is
    ``done`` (one computed with other settings or data is refused); the depths of a sweep still
    to do are told to run together."""
    out: list[Job] = []
    for group in groups:
        marked = [
            dataclasses.replace(j, status="done")
            if _already_done(
                j.result_path,
                j.settings,
                overwrite=config.output.overwrite,
                dataset_revision=j.dataset_revision,
            )
            else j
            for j in group
        ]
        out += sweep_together(marked) if len(marked) > 1 else marked
    # a dry run writes nothing, not even the probe that creates the results folder
    if any(j.status == "todo" for j in out) and not config.runtime.dry_run:
        check_results_dir(config.output.results_dir)
    return out


def plan(config: RunConfig) -> list[Job]:
    """Every job of ``config``, in order (model, instruction variant, task, vectors, depth), in
    four whole-batch stages: :func:`select`, :func:`expand`, :func:`name_jobs`, :func:`mark_done`."""
    ctx = select(config)
    return mark_done(config, name_jobs(config, ctx, expand(config, ctx)))
