"""`xiezuo-ner ls push|pull`: annotate in Label Studio."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from typer import Argument, Option

from training.cli.common import app, command, group
from training.errors import XiezuoError
from training.terminal import console, err_console, list_problems, print_error, pull_line, push_line

ls_app = group(
    help="Annotate in Label Studio: push articles with pre-annotations, pull corrections. "
    "Connection from LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY."
)
app.add_typer(ls_app, name="ls")
Project = Annotated[
    str, Option(help="Project title; created with the five-label config if missing.", envvar="XIEZUO_LS_PROJECT")
]
Rank = Enum("Rank", {"uncertainty": "uncertainty"}, type=str)
Side = Enum("Side", {"server": "server", "local": "local"}, type=str)


@command("push", on=ls_app)
def ls_push(
    paths: Annotated[list[Path], Argument(help="Raw article files, or folders of *.txt.")],
    model: Annotated[Path | None, Option(help="Pre-annotate with this model's predictions.")] = None,
    rank: Annotated[Rank | None, Option(help="`uncertainty`: the tasks the model is least sure of come first.")] = None,
    project: Project = "xiezuo-ner",
) -> None:  # fmt: skip
    """Import articles as tasks (normalised text, doc id, raw file name); re-pushing never duplicates.

    Example: `xiezuo-ner ls push seeds/ --model models/xiezuo-small --rank uncertainty`
    """
    from training.inputs import STDIN, expand_inputs
    from training.labelstudio import connect, push

    if rank and model is None:
        raise XiezuoError("--rank uncertainty needs --model: the ranking comes from the model's scores")
    files = [Path(item) for item in expand_inputs([str(path) for path in paths]) if item != STDIN]
    result = push(connect(), files, project, model=model, rank=rank.value if rank else None)
    for line in result.failed:
        print_error(line)
    console.print(push_line(result, project))
    if result.failed:
        raise typer.Exit(1)


@command("pull", on=ls_app)
def ls_pull(
    folder: Annotated[Path, Option("--dir", help="Annotation folder to merge into.")] = Path("annotations"),
    project: Project = "xiezuo-ner",
    prefer: Annotated[Side | None, Option(help="On a conflict with local gold: which side wins.")] = None,
) -> None:
    """Export the project's annotations, validate them, merge them into annotations/.

    Cancelled and empty annotations are skipped. Any invalid span merges nothing. A document whose local gold
    differs is listed as a conflict and left alone (exit 1) unless --prefer server|local says which side wins.

    Example: `xiezuo-ner ls pull --dir annotations --prefer server`
    """
    from training.labelstudio import connect, pull

    result = pull(connect(), project, folder, prefer.value if prefer else None)
    listed = list_problems(result.problems)
    if listed.count:
        err_console.print(f"{listed.count} problem(s) in the export{listed.more}; nothing merged")
        raise typer.Exit(1)
    for conflict in result.conflicts:
        print_error(conflict, "conflict")
    console.print(pull_line(result))
    if result.conflicts:
        err_console.print("conflicts left alone; rerun with --prefer server or --prefer local")
        raise typer.Exit(1)
