"""Commands that run a model over articles: `tag` (entities out) and `insight` (answers out)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from typer import Argument, Option

from training.choices import DEFAULT_BATCH_SIZE, Engine, OutputFormat, Runtime
from training.cli.common import BatchSize, RuntimeOption, command
from training.shipped import default_model_path
from training.terminal import Listed, counting, err_console, insight_line, print_error, print_ok, tag_line


@command()
def tag(
    paths: Annotated[list[str], Argument(help="Text files, folders (recursive *.txt), globs, - for standard input, *.jsonl, *.parquet.")],
    model: Annotated[Path, Option(help="A trained model folder (default: the shipped xiezuo-small).", envvar="XIEZUO_MODEL", show_default=False)] = default_model_path(),
    format_: Annotated[OutputFormat, Option("--format", help="How to write the rows (parquet: --out names a folder).")] = OutputFormat.pretty,
    out: Annotated[str | None, Option(help="Write here, not to standard output; never an input or inside one. With Ray: any path Ray writes (s3://...).")] = None,
    batch_size: BatchSize = DEFAULT_BATCH_SIZE,
    workers: Annotated[int, Option(min=1, help="Processes on this machine (threads each: cores // workers), or Ray actors.")] = 1,
    resume: Annotated[bool, Option(help="Continue an interrupted --out: skip the ids it holds (jsonl or parquet).")] = False,
    force: Annotated[bool, Option(help="Replace an existing --out (when the run ends; until then it is untouched).")] = False,
    engine: Annotated[Engine, Option(help="local, or ray: Ray Data over a pool of Tagger actors (docs/corpus-tagging.md).")] = Engine.local,
    runtime: RuntimeOption = Runtime.torch,
) -> None:  # fmt: skip
    """Tag raw articles (Traditional or Simplified, any length); offsets point into your text.

    Every input becomes records with the same output row: `id`, the record's other fields (`source`, the file,
    for text files), `length` and `entities`. A bad input or record (missing, not UTF-8, binary, no id) is
    reported in one line with its file and line, the others are tagged, and the exit status is 1. An empty
    article has no entities (a warning, exit 0). --out is written aside and renamed into place when the run
    ends; an existing --out needs --resume or --force.

    Examples: `xiezuo-ner tag seeds/000_7a95b9ea3265a927.txt`, `cat article.txt | xiezuo-ner tag - --format json`,
    `xiezuo-ner tag articles/ --format jsonl --out tags.jsonl`,
    `xiezuo-ner tag corpus.jsonl --format jsonl --out tagged.jsonl --workers 2 --resume`
    """
    from training.tagging import tag as tag_records

    started, bad = time.perf_counter(), Listed()
    with counting("tagging", lazy=True) as advance:
        summary = tag_records(
            paths, model, out=out, format_=format_, engine=engine, runtime=runtime, workers=workers,
            batch_size=batch_size, resume=resume, force=force, on_bad=bad,
            on_warning=lambda line: print_error(line, "warning"), on_tagged=advance,
        )  # fmt: skip
    seconds, ray = time.perf_counter() - started, engine is Engine.ray
    err_console.print(tag_line(summary, out, resume, seconds, bad.more, ray), soft_wrap=True)
    if summary.bad:
        raise typer.Exit(1)


@command()
def insight(
    paths: Annotated[list[str], Argument(help="Articles, folders, or (tagged) JSON lines / Parquet corpora.")],
    out: Annotated[Path, Option(help="Folder for places/pairs/amounts/dates .parquet + .csv and report.html.")],
    model: Annotated[Path, Option(help="The model that tags untagged input.", envvar="XIEZUO_MODEL")] = default_model_path(),
    texts: Annotated[list[str], Option(help="The corpus a text-less tagged input (tag's output) came from.")] = [],
    batch_size: BatchSize = DEFAULT_BATCH_SIZE,
) -> None:  # fmt: skip
    """Answers from tags: places → divisions, money → yuan, dates → ISO, who helped whom (docs/insight.md).

    Example: `xiezuo-ner insight corpus.jsonl --out insight/`"""
    from training.insight import run

    started = time.perf_counter()
    with counting("insight", lazy=False) as advance:
        summary = run(paths, out, model, texts, batch_size, on_bad=print_error, on_article=advance)
    print_ok(insight_line(summary, out, time.perf_counter() - started))
    if summary.bad:
        raise typer.Exit(1)
