"""`xiezuo-ner tag`: options → `training.tagging.tag`, a progress line, a closing line."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from training.choices import DEFAULT_BATCH_SIZE, Engine, OutputFormat, Runtime
from training.cli.common import Listed, err_console, friendly_errors, print_error
from training.display import plain
from training.shipped import default_model_path


@friendly_errors
def tag(
    paths: Annotated[
        list[str],
        typer.Argument(help="Text files, folders (recursive *.txt), globs, - for standard input, *.jsonl, *.parquet."),
    ],
    model: Annotated[
        Path,
        typer.Option(
            help="A trained model folder (default: the shipped xiezuo-small).",
            envvar="XIEZUO_MODEL",
            show_default=False,
        ),
    ] = default_model_path(),
    format_: Annotated[
        OutputFormat, typer.Option("--format", help="How to write the rows (parquet: --out names a folder).")
    ] = OutputFormat.pretty,
    out: Annotated[
        str | None,
        typer.Option(
            help="Write here, not to standard output; never an input or inside one. With Ray: any path Ray writes (s3://...)."
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Windows per forward pass.")] = DEFAULT_BATCH_SIZE,
    workers: Annotated[
        int, typer.Option(min=1, help="Processes on this machine (threads each: cores // workers), or Ray actors.")
    ] = 1,
    resume: Annotated[
        bool, typer.Option(help="Continue an interrupted --out: skip the ids it holds (jsonl or parquet).")
    ] = False,
    force: Annotated[
        bool, typer.Option(help="Replace an existing --out (when the run ends; until then it is untouched).")
    ] = False,
    engine: Annotated[
        Engine, typer.Option(help="local, or ray: Ray Data over a pool of Tagger actors (docs/corpus-tagging.md).")
    ] = Engine.local,
    runtime: Annotated[
        Runtime, typer.Option(help="torch, or ONNX Runtime after `xiezuo-ner export --onnx [--int8]`.")
    ] = Runtime.torch,
) -> None:
    """Tag raw articles (Traditional or Simplified, any length); offsets point into your text.

    Every input becomes records with the same output row: `id`, the record's other fields (`source`,
    the file, for text files), `length` and `entities`. A bad input or record (missing, not UTF-8,
    binary, no id) is reported in one line with its file and line, the others are tagged, and the exit
    status is 1. An empty article has no entities (a warning, exit 0). --out is written aside and
    renamed into place when the run ends; an existing --out needs --resume or --force.

    Examples: `xiezuo-ner tag seeds/000_7a95b9ea3265a927.txt`,
    `cat article.txt | xiezuo-ner tag - --format json`, `xiezuo-ner tag articles/ --format jsonl --out tags.jsonl`,
    `xiezuo-ner tag corpus.jsonl --format jsonl --out tagged.jsonl --workers 2 --resume`
    """
    from rich.progress import Progress, TextColumn

    from training.tagging import tag as tag_records

    started, bad = time.perf_counter(), Listed()
    progress = Progress(
        TextColumn("tagging"), TextColumn("{task.completed} article(s)"), console=err_console, transient=True
    )
    task = progress.add_task("tag", total=None)

    def advance() -> None:  # the bar appears with the first article: a refusal before any work is one line
        if not progress.live.is_started:
            progress.start()
        progress.advance(task)

    try:
        summary = tag_records(
            paths, model, out=out, format_=format_, engine=engine, runtime=runtime, workers=workers,
            batch_size=batch_size, resume=resume, force=force, on_bad=bad,
            on_warning=lambda line: print_error(line, "warning"), on_tagged=advance,
        )  # fmt: skip
    finally:
        if progress.live.is_started:
            progress.stop()
    if engine is Engine.ray:
        err_console.print(plain(f"tagged with Ray into {out}; {time.perf_counter() - started:.1f}s"), soft_wrap=True)
        return
    counts = ", ".join(f"{label} {count}" for label, count in sorted(summary.entities.items())) or "none"
    note = f"{summary.resumed} already in {out}; " if resume else ""
    line = plain(f"tagged {summary.tagged} article(s), {summary.characters} characters, entities: {counts}; ")
    line += plain(f"{note}{time.perf_counter() - started:.1f}s")
    if summary.bad:
        line += plain(f"; {summary.bad} failed (bad inputs or records, skipped){bad.more}", "bold red")
    err_console.print(line, soft_wrap=True)
    if summary.bad:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(tag)
