"""``SweepConfig``: a checkpoint sweep's own options, and the run options each checkpoint gets.

The sweep's options are one more options group (:class:`SweepOptions`, its fields carry ``Cli``
metadata, so ``mtebkit sweep``'s flags are generated as ``mtebkit run``'s are); every other
option is a :class:`~mtebkit.evaluation.RunConfig` option, validated by it. Options may be given
flat: ``SweepConfig(directory="out", select_on="validation", tasks=[...])``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mtebkit._util.options import Cli, Count, Names, Options
from mtebkit.errors import ConfigError
from mtebkit.evaluation import RunConfig

__all__ = ["SweepConfig", "SweepOptions"]


class SweepOptions(Options):
    """Which checkpoints, how they are chosen among, and what the chosen one is confirmed on."""

    cli_group: ClassVar[tuple[str, str] | None] = (
        "sweep",
        "the checkpoints of one training run: evaluate each, choose on a dev split, confirm the "
        "chosen one (docs/sweeps.md)",
    )

    directory: Path = Field(description="the training output folder")
    glob: Annotated[str | None, Cli(("--glob",), metavar="PATTERN")] = Field(
        default=None,
        description="checkpoint folders matching this pattern under the folder (default: "
        "checkpoint-<step>); the step is the number a name ends with, else trainer_state.json's",
    )
    watch: Annotated[Annotated[float, Field(gt=0)] | None, Cli(("--watch",), metavar="SECONDS")] = (
        Field(default=None, description="look for new checkpoints every SECONDS")
    )
    max_polls: Annotated[Count | None, Cli(("--max-polls",), metavar="N")] = Field(
        default=None, description="with --watch: stop after N looks (default: until interrupted)"
    )
    select_on: Annotated[str | None, Cli(("--select-on",), metavar="SPLIT")] = Field(
        default=None,
        description="evaluate the checkpoints on this split only (e.g. validation, dev) and choose "
        "by its average; refused when a task lacks it (default: each task's own splits, which "
        "sweep.json records as not dev-selected)",
    )
    confirm: Annotated[Names | None, Cli(("--confirm",), metavar="TASK")] = Field(
        default=None, description="tasks to evaluate the chosen checkpoint on, once"
    )
    method: Annotated[Literal["bootstrap", "randomisation"], Cli(("--method",))] = Field(
        default="bootstrap", description="the paired test of the chosen checkpoint vs the others"
    )
    resamples: Annotated[Count, Cli(("--resamples",), metavar="N")] = Field(
        default=1000, description="resamples of the paired test"
    )

    @model_validator(mode="after")
    def _polls_need_watch(self) -> SweepOptions:
        if self.max_polls is not None and self.watch is None:
            raise ValueError("max_polls needs watch")
        return self


def _error_text(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "invalid sweep options: " + "; ".join(parts)


class SweepConfig(BaseModel):
    """A sweep: ``sweep`` (its own options) and ``run`` (the options every checkpoint is
    evaluated with; its ``models`` is the folder, replaced by each checkpoint)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sweep: SweepOptions
    run: RunConfig

    def __init__(self, **options: Any) -> None:
        own = {k: options.pop(k) for k in list(options) if k in SweepOptions.model_fields}
        if "sweep" in options:
            given = options.pop("sweep")
            own = {**(given.model_dump() if isinstance(given, SweepOptions) else given), **own}
        run = options.pop("run", None)
        if "models" in options:
            raise ConfigError("a sweep's models are its checkpoints: give directory, not models")
        for key in options:
            if key not in RunConfig.model_fields and key not in _run_option_names():
                known = [*SweepOptions.model_fields, *_run_option_names()]
                near = difflib.get_close_matches(key, known, n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                raise ConfigError(f"unknown sweep option {key!r}{hint}")
        try:
            sweep = SweepOptions(**own)
        except ValidationError as exc:
            raise ConfigError(_error_text(exc)) from None
        if run is None:
            run = RunConfig(models=[str(sweep.directory)], **options)
        elif isinstance(run, Mapping):
            run = RunConfig(**{"models": [str(sweep.directory)], **run, **options})
        elif options:
            run = run.replace(**options)
        if sweep.select_on is not None and run.selection.splits:
            raise ConfigError("give select_on (--select-on) or splits (--split), not both")
        super().__init__(sweep=sweep, run=run)


def _run_option_names() -> set[str]:
    return {name for group, _, name in RunConfig.fields() if group}
