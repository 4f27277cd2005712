"""What every command shares: the app, the one error rule, and the options several commands take."""

from __future__ import annotations

import os
from functools import wraps
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from training.choices import Runtime
from training.errors import XiezuoError, first_line
from training.terminal import print_error


class Group(TyperGroup):
    """Absent, a flag is False, not None: typer ≥0.2x checks every value that is not yet a bool with pydantic,
    and importing pydantic for the absent `--help` and completion flags made `tag --help` 0.15 s slower."""

    def parse_args(self, ctx, args):
        for param in self.get_params(ctx):
            if getattr(param, "is_flag", False) and param.default is None:
                param.default = False
        return super().parse_args(ctx, args)


def group(**settings) -> typer.Typer:
    """A command group that shows its help when called bare, help texts in Markdown."""
    return typer.Typer(cls=Group, no_args_is_help=True, rich_markup_mode="markdown", **settings)


app = group(
    help="Named-entity recognition for Chinese East–West cooperation news (REGION, ORG, PERSON, AMOUNT, DATE).",
    pretty_exceptions_enable=False,
)
Model = Annotated[Path, typer.Option(help="A trained model folder.", envvar="XIEZUO_MODEL")]
Settings = Annotated[list[str], typer.Option("--set", help="Override a key: --set training.epochs=3")]
RuntimeOption = Annotated[
    Runtime, typer.Option(help="torch, or ONNX Runtime after `xiezuo-ner export --onnx [--int8]`.")
]
BatchSize = Annotated[int, typer.Option(min=1, help="Windows per forward pass.")]


def friendly_errors(command):
    """Every failure is one line and exit status 1 (130 when interrupted), never a traceback.

    A XiezuoError says what is wrong and where. Anything else is a bug or an unforeseen input:
    its type and first line are shown (secrets redacted); XIEZUO_DEBUG=1 shows the traceback.
    """

    @wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except XiezuoError as error:
            print_error(error)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            print_error("interrupted; finished outputs are complete, nothing half-written was left")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as error:
            if os.environ.get("XIEZUO_DEBUG") or _usage_error(error):
                raise
            print_error(f"unexpected {type(error).__name__}: {first_line(error)} (XIEZUO_DEBUG=1 shows the traceback)")
            raise typer.Exit(1) from None

    return run


def command(name: str | None = None, on: typer.Typer = app):
    """Register a command on `on` (default: the app) under the one error rule."""
    return lambda function: on.command(name)(friendly_errors(function))


def _usage_error(error: Exception) -> bool:
    """click's and typer's own errors (a bad value, a missing option) print their usage line themselves.
    Matched by name: typer ≥0.2x carries its own click, and importing `click` would cost every start."""
    return any(kind.__name__ in ("ClickException", "TyperException") for kind in type(error).__mro__)
