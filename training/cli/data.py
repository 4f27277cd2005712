"""Commands on text and gold data: normalise, annotations check, corpus, import."""

from __future__ import annotations

from collections import Counter
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from training.choices import DatasetFormat
from training.cli.common import console, err_console, friendly_errors, list_problems, print_error, print_ok
from training.display import plain, printable
from training.errors import XiezuoError

annotations_app = typer.Typer(help="Check and summarise the gold annotations.", no_args_is_help=True)


class CorpusAction(str, Enum):
    build = "build"
    check = "check"


@friendly_errors
def normalise(
    paths: Annotated[list[Path], typer.Argument(help="Raw article files (UTF-8).")],
    out: Annotated[Path | None, typer.Option(help="Write <name>.txt normalised copies here.")] = None,
) -> None:
    """Remove scraper noise (pinyin readings, doubled commas, line-wrap spaces, image names, a page captured twice).

    Example: `xiezuo-ner normalise seeds/*.txt --out /tmp/normalised`
    """
    from rich.table import Table

    from training.files import atomic_write_text
    from training.text import normalise as normalise_text
    from training.text import read_article

    table, failures = Table("file", "raw chars", "normalised chars", "removed"), 0
    for path in paths:
        try:
            result = normalise_text(read_article(path))
        except XiezuoError as error:
            print_error(error)
            failures += 1
            continue
        table.add_row(
            plain(path), *map(str, (result.raw_length, len(result.text), result.raw_length - len(result.text)))
        )
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            atomic_write_text(out / path.name, result.text)
    console.print(table)
    if failures:
        raise typer.Exit(1)


@annotations_app.command("check")
@friendly_errors
def annotations_check(
    folder: Annotated[
        Path, typer.Option("--dir", help="Folder of Label Studio task files and their label_config.xml.")
    ] = Path("annotations"),
    edges: Annotated[
        bool,
        typer.Option(
            help="Apply the spec's rule: no whitespace or punctuation at span edges (off for public datasets)."
        ),
    ] = True,
) -> None:
    """Validate every task file and print entity counts per file and label. Changes nothing.

    Checks: offsets inside the text, `text` equal to the slice, no overlaps, labels
    named in the folder's label_config.xml, no whitespace or punctuation at span edges,
    and `data.text` still equal to the normalised source article. Exit status 1 if anything is wrong.

    Example: `xiezuo-ner annotations check --dir annotations`
    """
    from rich.table import Table

    from training.annotations import check_folder

    report = check_folder(folder, edges)
    labels = report.labels
    table = Table("file", "tasks", *map(printable, labels), "total", title=plain(f"Entities in {folder}"))
    for stem, counts in report.entities.items():
        row = [str(counts[label]) for label in labels]
        table.add_row(plain(stem), str(report.tasks[stem]), *row, str(sum(counts.values())))
    totals, tasks = sum(report.entities.values(), Counter()), sum(report.tasks.values())
    table.add_row("all", str(tasks), *(str(totals[label]) for label in labels), str(sum(totals.values())), style="bold")
    console.print(table)
    listed = list_problems(report.problems)
    if listed.count:
        err_console.print(plain(f"{listed.count} problem(s) in {folder}{listed.more}"))
        raise typer.Exit(1)
    print_ok(f"{tasks} task(s), {sum(totals.values())} entities, no problems")


@friendly_errors
def corpus(
    action: Annotated[
        CorpusAction, typer.Argument(help="build: write the task files; check: only report problems.")
    ] = CorpusAction.build,
    folder: Annotated[
        Path, typer.Option("--dir", help="Corpus folder: markup in <dir>/source/*.txt, task files written to <dir>.")
    ] = Path("annotations/corpus"),
) -> None:
    """Turn the written corpus's inline markup (`[[广州市|REGION]]`) into Label Studio task files.

    Every problem is listed with file, line and article; while there is one, nothing is written.
    The format is described in training/corpus.py. Example: `xiezuo-ner corpus build`
    """
    from training.corpus import build_corpus

    counts, problems = build_corpus(folder, check_only=action is CorpusAction.check)
    listed = list_problems(problems)
    if listed.count:
        err_console.print(f"{listed.count} problem(s){listed.more}; nothing written")
        raise typer.Exit(1)
    verb = "checked" if action is CorpusAction.check else "wrote"
    print_ok(f"{verb} {', '.join(f'{name} ({count})' for name, count in counts.items())}")


@friendly_errors
def import_(
    format_: Annotated[
        DatasetFormat, typer.Argument(metavar="FORMAT", help="cluener, bio, bmes or weibo (BIO with segment digits).")
    ],
    paths: Annotated[
        list[Path], typer.Argument(help="Dataset files; each becomes <out>/<file name>.json, one task per sentence.")
    ],
    out: Annotated[Path, typer.Option(help="Folder for the task files and their label_config.xml.")],
    map_: Annotated[
        list[str], typer.Option("--map", help="SOURCE=TARGET label; unmapped labels are dropped. None given: keep all.")
    ] = [],
    force: Annotated[bool, typer.Option(help="Replace task files that already exist in --out.")] = False,
) -> None:
    """Convert a public NER dataset into Label Studio task files the project trains and evaluates on.

    Malformed lines are reported with file and line (their sentence is left out); the
    rest is imported. The summary counts spans kept per label and dropped per source label.
    Train on the result with `--set data.annotations=OUT --set data.split.train=[train]`
    (a split names documents or whole task files by their stem).

    Example: `xiezuo-ner import cluener ../shared/benchmarks/cluener2020/train.json
    ../shared/benchmarks/cluener2020/dev.json --out models/data/cluener --map name=PERSON --map address=REGION`
    """
    from rich.table import Table

    from training.importer import import_dataset, parse_mapping

    done = import_dataset(format_.value, paths, out, parse_mapping(map_), force)
    table = Table("", *(printable(target.name) for target in done.targets), title=plain(f"Imported into {out}"))
    table.add_row("sentences", *(str(len(result.documents)) for result in done.results))
    for label in done.labels:
        table.add_row(plain(label), *(str(result.kept[label]) for result in done.results))
    for label in sorted({label for result in done.results for label in result.dropped}):
        table.add_row(plain(f"dropped: {label}"), *(str(result.dropped[label]) for result in done.results), style="dim")
    table.add_row("problems", *(str(len(result.problems)) for result in done.results))
    for path, result in zip(paths, done.results):
        listed = list_problems(result.problems)
        if listed.more:
            err_console.print(plain(f"{path}:{listed.more}"))
    console.print(table)
    problems = sum(len(result.problems) for result in done.results)
    print_ok(f"wrote {len(done.targets)} task file(s) into {out}; {problems} problem(s) reported above")


def register(app: typer.Typer) -> None:
    app.command()(normalise)
    app.add_typer(annotations_app, name="annotations")
    app.command("corpus")(corpus)
    app.command("import")(import_)
