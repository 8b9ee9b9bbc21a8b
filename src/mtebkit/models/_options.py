"""``EncoderOptions``: how an embedder encodes, declared once for the run config, the CLI, the
planner and the embedder (each option one field)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from mtebkit._util.options import Cli, Count, Options

__all__ = ["EncoderOptions"]


class EncoderOptions(Options):
    """How the embedder encodes; for a checkpoint without a preset, non-default values name an
    experiment (None: the preset's, else the model folder's own)."""

    cli_group: ClassVar[tuple[str, str] | None] = (
        "model settings",
        "for a checkpoint without a preset; non-default values name an experiment",
    )

    preset: Annotated[str | None, Cli(("--preset",), metavar="NAME")] = Field(
        default=None, description="apply a known model's preset to a local folder"
    )
    batch_size: Annotated[Count | None, Cli(("--batch-size",), metavar="N")] = Field(
        default=None, description="texts per batch (default: the preset's, else 64)"
    )
    max_length: Annotated[
        Count | None, Cli(("--max-length", "--passage-max-length"), metavar="N")
    ] = Field(
        default=None,
        description="max tokens per text (passages, and queries unless --query-max-length)",
    )
    query_max_length: Annotated[Count | None, Cli(("--query-max-length",), metavar="N")] = Field(
        default=None, description="max tokens per query"
    )
    pooling: Annotated[Literal["cls", "mean", "last_token"] | None, Cli(("--pooling",))] = Field(
        default=None, description="how token vectors become one vector"
    )
    normalize: Annotated[bool | None, Cli(("--normalize",), kind="switch")] = Field(
        default=None,
        description="L2-normalise the vectors (default: the preset's or the model folder's)",
    )
    query_instruction: Annotated[str | None, Cli(("--query-instruction",), metavar="TEXT")] = Field(
        default=None,
        description="prefix of every query of retrieval / reranking tasks (--instruction "
        "TASK=TEXT overrides it per task)",
    )
    query_template: Annotated[str | None, Cli(("--query-template",), metavar="T")] = Field(
        default=None,
        description="how the instruction and the query are joined: T.format(instruction, query), "
        "FlagEmbedding's query_instruction_format (default '{}{}')",
    )
    use_fp16: Annotated[bool, Cli(("--fp16",), kind="switch")] = Field(
        default=True, description="half precision on CUDA (ignored on CPU)"
    )
    dtype: Annotated[Literal["float32", "float16", "bfloat16"] | None, Cli(("--dtype",))] = Field(
        default=None,
        description="compute dtype on any device; wins over --fp16 (results go to an "
        "experiment folder)",
    )
    use_instructions: Annotated[bool, Cli(("--no-instruction",), kind="off")] = Field(
        default=True, description="never prepend query instructions"
    )
    task_instructions: Annotated[
        dict[str, str | None], Cli(("--instruction",), kind="pairs", metavar="TASK=INSTRUCTION")
    ] = Field(
        default_factory=dict,
        description="per-task query instruction (repeatable; an empty INSTRUCTION: none)",
    )

    def __hash__(self) -> int:  # task_instructions is a dict: hash its items
        return hash(tuple((k, _hashable(v)) for k, v in self))

    def model_kwargs(self) -> dict[str, Any]:
        """What decides the vectors, as ``configure_embedder``'s (and the Embedder's) keywords:
        every option given; an absent one (None) is the preset's, else the folder's own."""
        return {k: v for k, v in self if k not in _RUN_ONLY and v is not None}


# options of the run, not of the model's vectors: the executor and the planner apply them
_RUN_ONLY = frozenset({"batch_size", "use_instructions", "task_instructions"})


def _hashable(value: Any) -> Any:
    return tuple(sorted(value.items())) if isinstance(value, dict) else value
