"""`xiezuo-ner`: the command line. Each command parses options and calls one library function; the
libraries (torch, transformers, pyarrow) are imported inside the commands that need them, so `--help`
answers at once."""

from __future__ import annotations

from typing import Annotated

import typer

from training.cli import data, labelstudio, models, tagging  # noqa: F401  (their commands join `app`)
from training.cli.common import app
from training.display import quiet_libraries
from training.shipped import default_model_path

# The shipped model (`make model` rebuilds it from configs/offline-small.yaml), found from any working directory.
DEFAULT_MODEL = default_model_path()


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"xiezuo-ner {version('xiezuo-ner')}")
        except PackageNotFoundError:  # a checkout that was never installed
            typer.echo("xiezuo-ner (not installed; a source checkout)")
        raise typer.Exit()


@app.callback()
def quiet(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Keep library chatter (weight-loading bars, cache writes) off the terminal; our own bars stay."""
    quiet_libraries()


def main() -> None:
    app()
