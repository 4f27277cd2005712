"""`xiezuo-ner`: the command line. Each command parses options and calls one library function; the
libraries (torch, transformers, pyarrow) are imported inside the commands that need them, so `--help`
answers at once."""

from __future__ import annotations

from typing import Annotated

import typer

from training.cli import data, insight, labelstudio, models, tagging
from training.display import quiet_libraries
from training.shipped import default_model_path

app = typer.Typer(
    help="Named-entity recognition for Chinese East–West cooperation news (REGION, ORG, PERSON, AMOUNT, DATE).",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)
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


for module in (data, models, tagging, insight):
    module.register(app)
app.add_typer(labelstudio.app, name="ls")


def main() -> None:
    app()
