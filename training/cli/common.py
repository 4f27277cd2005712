"""What every command shares: the consoles, one-line errors, the cap on listed problems, the closing line."""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import wraps

import click
import typer
from rich.console import Console

from training.display import one_line, plain
from training.errors import XiezuoError, first_line

# Markup and emoji codes off: file names, article text and labels are shown as they are
# (our own colours come from Text styles); `display.plain` neutralises control characters.
console = Console(markup=False, emoji=False, highlight=False)
err_console = Console(stderr=True, markup=False, emoji=False, highlight=False)
MAX_LISTED = 50  # problems printed one per line; the rest are counted


def print_error(message: object, kind: str = "error") -> None:
    """One line on standard error; the message is shown as text, never read as Rich markup."""
    style = "bold red" if kind == "error" else "bold yellow"
    err_console.print(plain(f"{kind}: ", style) + plain(one_line(message)), highlight=False, soft_wrap=True)


def print_ok(message: str, word: str = "ok:") -> None:
    console.print(plain(f"{word} ", "green") + plain(message), soft_wrap=True)


class Listed:
    """Problems printed one per line up to MAX_LISTED, then only counted; `more` says how many were not shown."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, problem: object) -> None:
        self.count += 1
        if self.count <= MAX_LISTED:
            print_error(problem)

    @property
    def more(self) -> str:
        return f" ({self.count - MAX_LISTED} more not shown)" if self.count > MAX_LISTED else ""


def list_problems(problems: Iterable[object]) -> Listed:
    listed = Listed()
    for problem in problems:
        listed(problem)
    return listed


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
        except (typer.Exit, typer.Abort, click.exceptions.ClickException):
            raise
        except Exception as error:
            if os.environ.get("XIEZUO_DEBUG"):
                raise
            print_error(f"unexpected {type(error).__name__}: {first_line(error)} (XIEZUO_DEBUG=1 shows the traceback)")
            raise typer.Exit(1) from None

    return run
