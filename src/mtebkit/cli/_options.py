"""``mtebkit run``'s option flags, generated from ``RunConfig``'s fields (their ``Cli`` metadata).

A field is declared once (``mtebkit.evaluation._config``): its type gives the argparse type,
``nargs`` and choices; its description is the help; its default is shown in the help and applied
by ``RunConfig`` itself. Every generated flag defaults to "not given" (``argparse.SUPPRESS``), so
``options_from_args`` returns only what was typed, and a run file's values are kept unless a
flag overrides them.
"""

from __future__ import annotations

import argparse
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from mtebkit._util.options import Options
from mtebkit.cli._common import positive_int
from mtebkit.evaluation import Cli, RunConfig

__all__ = ["add_run_options", "options_from_args"]

_PAIRS = "_pairs"  # the suffix of the dest that collects KEY=VALUE items


def _pairs_of(metavar: str) -> Callable[[str], tuple[str, str | None]]:
    """argparse type of one ``KEY=VALUE`` item, its error in the flag's own words."""
    value_name = metavar.partition("=")[2] or "VALUE"

    def parse(text: str) -> tuple[str, str | None]:
        key, sep, value = text.partition("=")
        if not sep or not key:
            raise argparse.ArgumentTypeError(
                f"expected {metavar} (empty {value_name} = none), got {text!r}"
            )
        return key, value or None

    return parse


def _cli_of(field: Any) -> Cli | None:
    return next((m for m in field.metadata if isinstance(m, Cli)), None)


def _lower_bound(items: Any) -> float | None:
    """The ``ge`` bound these annotation items declare (``Field(ge=...)`` or ``Ge(...)``)."""
    for m in items:
        ge = getattr(m, "ge", None)
        if ge is None:
            ge = _lower_bound(getattr(m, "metadata", ()))
        if ge is not None:
            return float(ge)
    return None


def _at_least(low: float, kind: type[int] | type[float]) -> Callable[[str], float]:
    """argparse type of a number with a lower bound: a usage error names the flag and value."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low:g}, got {text}")
        return value

    return parse


def _shape(annotation: Any) -> tuple[Any, bool]:
    """(the element type, whether several values are taken) of a field's annotation."""
    options = typing.get_args(annotation) if _is_union(annotation) else (annotation,)
    options = tuple(o for o in options if o is not type(None))
    for opt in options:
        if typing.get_origin(opt) is typing.Annotated:
            opt = typing.get_args(opt)[0]
        if typing.get_origin(opt) is tuple:
            return typing.get_args(opt)[0], True
    return options[0], False


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _value_type(element: Any, low: float | None) -> dict[str, Any]:
    if typing.get_origin(element) is typing.Annotated:
        inner = _lower_bound(typing.get_args(element)[1:])
        low = inner if inner is not None else low
        element = typing.get_args(element)[0]
    if typing.get_origin(element) is Literal:
        return {"choices": list(typing.get_args(element))}
    if element in (int, float):
        if element is int and low == 1:
            return {"type": positive_int}
        return {"type": element if low is None else _at_least(low, element)}
    if element is Path:
        return {"type": Path}
    return {}


def _help(field: Any, cli: Cli) -> str:
    text = field.description or ""
    default = field.default
    if cli.kind == "switch" and isinstance(default, bool):
        text += f" (default {'on' if default else 'off'})"
    elif default not in (None, False, True) and not callable(default) and default != {}:
        text += f" (default: {default})"
    return text


def _fields(extra: Sequence[type[Options]]) -> Iterator[tuple[type[Options], str]]:
    """(options model, field name) of ``RunConfig``'s groups, then of ``extra``'s."""
    for _, model, name in RunConfig.fields():
        if model is not None:
            yield model, name
    for model in extra:
        for name in model.model_fields:
            yield model, name


def add_run_options(
    parser: argparse.ArgumentParser, *, extra: Sequence[type[Options]] = ()
) -> None:
    """One flag per ``RunConfig`` field that has ``Cli`` metadata, grouped by concern; then
    the fields of ``extra`` options models (a command's own group, e.g. ``mtebkit sweep``'s)."""
    exclusive: dict[tuple[int, str], Any] = {}
    groups: dict[int, Any] = {}
    for model, name in _fields(extra):
        field = model.model_fields[name]
        cli = _cli_of(field)
        if cli is None:
            continue
        key = id(model)
        if key not in groups:
            title = model.cli_group
            groups[key] = parser.add_argument_group(*title) if title else parser
        target = groups[key]
        if cli.exclusive is not None:
            ex_key = (key, cli.exclusive)
            if ex_key not in exclusive:
                exclusive[ex_key] = target.add_mutually_exclusive_group()
            target = exclusive[ex_key]
        kwargs: dict[str, Any] = {"default": argparse.SUPPRESS, "help": _help(field, cli)}
        if cli.metavar:
            kwargs["metavar"] = cli.metavar
        if cli.kind == "flag":
            target.add_argument(*cli.flags, dest=name, action="store_true", **kwargs)
        elif cli.kind == "off":
            target.add_argument(*cli.flags, dest=name, action="store_false", **kwargs)
        elif cli.kind == "switch":
            kwargs.pop("metavar", None)
            target.add_argument(
                *cli.flags, dest=name, action=argparse.BooleanOptionalAction, **kwargs
            )
        elif cli.kind == "pairs":
            target.add_argument(
                *cli.flags,
                dest=name + _PAIRS,
                action="append",
                type=_pairs_of(cli.metavar or "KEY=VALUE"),
                **kwargs,
            )
        else:
            element, several = _shape(field.annotation)
            kwargs.update(_value_type(element, _lower_bound(field.metadata)))
            if cli.kind == "repeat":
                kwargs["action"] = "append"
            elif several:
                kwargs["nargs"] = "+"
            target.add_argument(*cli.flags, dest=name, **kwargs)


def options_from_args(
    args: argparse.Namespace, *, extra: Sequence[type[Options]] = ()
) -> dict[str, Any]:
    """The options typed on the command line, by field name (what was not typed is absent)."""
    out: dict[str, Any] = {}
    for _, name in _fields(extra):
        if hasattr(args, name):
            out[name] = getattr(args, name)
        elif hasattr(args, name + _PAIRS):
            out[name] = dict(getattr(args, name + _PAIRS))
    return out
