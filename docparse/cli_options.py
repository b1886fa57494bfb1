"""The conversion flags of ``docparse convert`` / ``docparse eval``, generated from ``ConvertOptions``.

Each field of ``docparse.options.ConvertOptions`` becomes ``--field-name`` with the field's type,
default and help text, so a default or a description lives in one place (options.py) and a field
added there is a CLI flag without an edit here. Only what the CLI adds is said here: short flags
and the help panel a flag is listed in.
"""

from __future__ import annotations

import inspect
from dataclasses import MISSING, fields
from typing import Any, Callable, Optional, Sequence

import typer
import typer.core

from docparse.options import ConvertOptions
from docparse.serve.fields import base_type, option_help, option_types

SHORT_FLAGS = {"engine": "-e", "model": "-m", "pages": "-p"}

# Help panels by the engine a field's help text names first ("vlm: ...", "remote: ...").
_PANELS = (("vlm:", "vlm engine"), ("remote:", "remote engine"), ("Model engines:", "Model engines: verification"))
CONVERSION_PANEL = "Conversion"


def option_panel(field: str) -> str:
    if field == "model":  # both model engines read it
        return CONVERSION_PANEL
    text = option_help(field)
    return next((panel for prefix, panel in _PANELS if text.startswith(prefix)), CONVERSION_PANEL)


def field_default(field: str) -> Any:
    f = ConvertOptions.__dataclass_fields__[field]
    return None if f.default is MISSING else f.default


def option_parameter(field: str) -> inspect.Parameter:
    """The typer parameter of one ``ConvertOptions`` field (keyword-only, named like the field)."""
    kind, nullable = base_type(option_types()[field])
    default = field_default(field)
    flag = "--" + field.replace("_", "-")
    names = [flag, *([SHORT_FLAGS[field]] if field in SHORT_FLAGS else [])]
    panel = option_panel(field)
    if kind is bool:  # --passes/--no-passes: the default reads as a flag name, not "True"
        option = typer.Option(bool(default), f"{flag}/--no-{field.replace('_', '-')}", help=option_help(field),
                              rich_help_panel=panel)
        annotation: Any = bool
    else:
        option = typer.Option(default, *names, help=option_help(field), rich_help_panel=panel,
                              show_default=default is not None and field != "api_key")
        annotation = Optional[kind] if nullable or default is None else kind
    return inspect.Parameter(field, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation)


def with_options(after: str, names: Sequence[str] | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command (``def cmd(own params..., **options)``) a flag per ``ConvertOptions`` field
    in ``names`` (default: all), listed after its parameter ``after``; the values arrive in ``options``."""
    chosen = [f.name for f in fields(ConvertOptions)] if names is None else list(names)

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        own = [p for p in inspect.signature(command).parameters.values() if p.kind is not p.VAR_KEYWORD]
        at = [p.name for p in own].index(after) + 1
        generated = [option_parameter(name) for name in chosen]
        params = [p.replace(kind=p.KEYWORD_ONLY) if i >= at else p for i, p in enumerate(own)]
        params = params[:at] + generated + params[at:]
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        hints = dict(getattr(command, "__annotations__", {}))
        hints.update({p.name: p.annotation for p in generated})
        command.__annotations__ = hints
        return command

    return decorate


def options_from(values: dict[str, Any]) -> ConvertOptions:
    """The ``ConvertOptions`` of a command's generated flags (raises ``OptionsError``)."""
    names = {f.name for f in fields(ConvertOptions)}
    return ConvertOptions(**{k: v for k, v in values.items() if k in names})


class Command(typer.core.TyperCommand):
    """A typer command whose help shows no ``<bool>`` type after flags: a flag takes no value."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _flags_without_metavar(super().get_params(ctx))


def _flags_without_metavar(params: list[Any]) -> list[Any]:
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""  # typer shows the metavar, when set, in place of "<bool>"
    return params


class Group(typer.core.TyperGroup):
    """The command group, with the same flag display as ``Command`` (``--version``, ``--help``)."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _flags_without_metavar(super().get_params(ctx))
