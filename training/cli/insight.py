"""`xiezuo-ner insight`: tags → answers (places as divisions, money in yuan, dates, who helped whom)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from training.choices import DEFAULT_BATCH_SIZE
from training.cli.common import err_console, friendly_errors, print_error, print_ok
from training.shipped import default_model_path


@friendly_errors
def insight(
    paths: Annotated[list[str], typer.Argument(help="Articles, folders, or (tagged) JSON lines / Parquet corpora.")],
    out: Annotated[Path, typer.Option(help="Folder for places/pairs/amounts/dates .parquet + .csv and report.html.")],
    model: Annotated[
        Path, typer.Option(help="The model that tags untagged input.", envvar="XIEZUO_MODEL")
    ] = default_model_path(),
    texts: Annotated[
        list[str], typer.Option(help="The corpus a text-less tagged input (tag's output) came from.")
    ] = [],
    batch_size: Annotated[int, typer.Option(min=1, help="Windows per forward pass.")] = DEFAULT_BATCH_SIZE,
) -> None:
    """Answers from tags: places → divisions, money → yuan, dates → ISO, who helped whom (docs/insight.md).

    Example: `xiezuo-ner insight corpus.jsonl --out insight/`"""
    from rich.progress import Progress, TextColumn

    from training.insight import run

    started = time.perf_counter()
    progress = Progress(TextColumn("insight"), TextColumn("{task.completed} article(s)"), console=err_console)
    with progress:
        task = progress.add_task("insight", total=None)
        summary = run(
            paths, out, model, texts, batch_size, on_bad=print_error, on_article=lambda _: progress.advance(task)
        )
    print_ok(
        f"{summary.articles} article(s), {summary.resolved}/{summary.places} places resolved, "
        f"{summary.pairs} pair(s), {summary.amounts} amount(s) → {out}; {time.perf_counter() - started:.1f}s"
    )
    if summary.bad:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(insight)
