"""The base of mtebkit's options models and the CLI metadata their fields carry.

An option is declared once, as a field of a frozen, validated pydantic model; ``Cli`` on the
field says how ``mtebkit run`` spells it (``mtebkit.cli._options`` generates the flags).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict

__all__ = ["Cli", "Count", "Names", "Options"]

# A count of at least 1; True is not a count (pydantic would otherwise take it as 1).
Count = Annotated[int, Strict(), Field(ge=1)]
Names = tuple[str, ...]


@dataclass(frozen=True)
class Cli:
    """How a field appears on ``mtebkit run``'s command line.

    ``kind``: ``value`` (takes a value; a tuple field takes several), ``repeat`` (a tuple
    field, one value per use of the flag), ``flag`` (present: True),
    ``off`` (present: the option is False), ``switch`` (``--x`` / ``--no-x``), ``pairs``
    (repeatable ``KEY=VALUE``; an empty VALUE is None). ``exclusive``: fields sharing it cannot
    be given together.
    """

    flags: tuple[str, ...]
    kind: Literal["value", "repeat", "flag", "off", "switch", "pairs"] = "value"
    metavar: str | None = None
    exclusive: str | None = None


class Options(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)
    # argparse group title and description of this concern (None: the command's own options)
    cli_group: ClassVar[tuple[str, str] | None] = None
