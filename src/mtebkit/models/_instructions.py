"""Which instruction, if any, goes in front of a task's queries.

The bge convention: instructions go only to the queries of retrieval and reranking tasks
(:data:`QUERY_TASK_TYPES`), never to documents, pairs or sentences. Within those, in order of
precedence: a per-task override (``--instruction TASK=TEXT``); for a model with a preset, the
preset's rule decides *whether* the task gets one (English bge skips ArguAna and
QuoraRetrieval), and a custom spec's ``query_instruction`` or the configured instruction says
*which*; for a model without a preset, the configured instruction, if any.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from mtebkit.models._presets import ModelPreset

__all__ = [
    "DEFAULT_TEMPLATE",
    "QUERY_TASK_TYPES",
    "InstructionPolicy",
    "check_template",
    "mteb_task_instruction",
]

QUERY_TASK_TYPES = frozenset({"Retrieval", "Reranking"})
# FlagEmbedding's ``query_instruction_format``: ``template.format(instruction, query)``
DEFAULT_TEMPLATE = "{}{}"


def check_template(template: str) -> str:
    """``template`` if ``template.format(instruction, query)`` keeps both, else ValueError."""
    try:
        probe = template.format("\x00I\x00", "\x00Q\x00")
    except (IndexError, KeyError, ValueError) as exc:
        raise ValueError(
            f"query instruction template {template!r} must have two {{}} fields "
            f"(instruction, then query), as FlagEmbedding's query_instruction_format: {exc}"
        ) from None
    if "\x00I\x00" not in probe or "\x00Q\x00" not in probe:
        raise ValueError(
            f"query instruction template {template!r} must place both the instruction and the "
            "query (two {} fields)"
        )
    return template


@functools.lru_cache(maxsize=512)
def mteb_task_instruction(task_name: str) -> str | None:
    """mteb's instruction for a task's queries (or sentences): the task's ``prompt`` (its
    ``query`` entry when it is per prompt type), else its task type's default prompt, as
    mteb's ``AbsEncoder.get_instruction`` reads them; None for a task mteb does not know."""
    import mteb
    from mteb.abstasks.abstask import get_abstask_prompt

    try:
        metadata = mteb.get_task(task_name).metadata
    except KeyError:  # a custom task: its spec's query_instruction, or the configured one
        return None
    given = metadata.prompt
    prompt = given.get("query") if isinstance(given, Mapping) else given
    return str(prompt or get_abstask_prompt(task_name)) or None


@dataclass(frozen=True)
class InstructionPolicy:
    """Where the query instruction applies (see the module docstring for the precedence)."""

    query_instruction: str | None = None
    preset: ModelPreset | None = None
    enabled: bool = True
    task_overrides: Mapping[str, str | None] = field(default_factory=dict)
    spec_instructions: Mapping[str, str | None] = field(default_factory=dict)
    template: str = DEFAULT_TEMPLATE

    def apply(self, instruction: str | None, texts: list[str]) -> list[str]:
        """The texts with ``instruction`` put in by the template (unchanged when None/empty)."""
        if not instruction:
            return texts
        return [self.template.format(instruction, t) for t in texts]

    @property
    def from_mteb(self) -> bool:
        """Whether the task's instruction is mteb's, on every text but documents."""
        return self.preset is not None and self.preset.task_instructions == "mteb"

    def for_task(self, task_name: str, task_type: str) -> str | None:
        """The instruction prepended to this task's queries (never to documents); with mteb's
        instructions (:attr:`from_mteb`), to every text of the task but its documents."""
        if not self.enabled:
            return None
        if self.from_mteb:
            if task_name in self.task_overrides:
                return self.task_overrides[task_name]
            if task_name in self.spec_instructions:
                return self.spec_instructions[task_name]
            return mteb_task_instruction(task_name) or self.query_instruction
        if task_type not in QUERY_TASK_TYPES:
            return None
        if task_name in self.task_overrides:
            return self.task_overrides[task_name]
        if self.preset is None:
            return self.query_instruction
        rule = self.preset.instruction_for(task_name, task_type)
        if rule is None:
            return None
        if task_name in self.spec_instructions:
            return self.spec_instructions[task_name]
        return self.query_instruction if self.query_instruction is not None else rule

    def ignored_spec_instruction(self, task_name: str, task_type: str) -> str | None:
        """Why a custom spec's ``query_instruction`` is not applied to this task, when the
        preset's rule gives the task none (None: it applies, or nothing was asked)."""
        asked = self.spec_instructions.get(task_name)
        if (
            not asked
            or not self.enabled
            or self.from_mteb  # applied, whatever the task type
            or task_type not in QUERY_TASK_TYPES
            or task_name in self.task_overrides
            or self.preset is None
            or self.preset.instruction_for(task_name, task_type) is not None
        ):
            return None
        return (
            f"{task_name}: the spec's query_instruction is not applied: the preset of "
            f"{self.preset.name} gives {task_type} tasks no instruction "
            f"(--instruction {task_name}=TEXT applies one)"
        )

    def for_queries(self) -> str | None:
        """FlagModel's ``encode_queries``: the configured instruction, when instructions are on."""
        return self.query_instruction if self.enabled else None
