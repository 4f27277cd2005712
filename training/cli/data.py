"""Commands on text and gold data: normalise, annotations check, corpus, import."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from typer import Argument, Option

from training.choices import DatasetFormat
from training.cli.common import app, command, group
from training.display import plain
from training.terminal import console, err_console, list_problems, print_error, print_ok

annotations_app = group(help="Check and summarise the gold annotations.")
app.add_typer(annotations_app, name="annotations")


class CorpusAction(str, Enum):
    build = "build"
    check = "check"


@command()
def normalise(
    paths: Annotated[list[Path], Argument(help="Raw article files (UTF-8).")],
    out: Annotated[Path | None, Option(help="Write NAME.txt normalised copies here.")] = None,
) -> None:
    """Remove scraper noise (pinyin readings, doubled commas, line-wrap spaces, image names, a page captured twice).

    Example: `xiezuo-ner normalise seeds/*.txt --out /tmp/normalised`
    """
    from training.terminal import normalise_table
    from training.text import normalise_files

    rows = normalise_files(paths, out, on_bad=print_error)
    console.print(normalise_table(rows))
    if len(rows) < len(paths):  # a file that could not be read was reported
        raise typer.Exit(1)


@command("check", on=annotations_app)
def annotations_check(
    folder: Annotated[Path, Option("--dir", help="Folder of Label Studio task files and their label_config.xml.")] = Path("annotations"),
    edges: Annotated[bool, Option(help="Apply the spec's rule: no whitespace or punctuation at span edges (off for public datasets).")] = True,
) -> None:  # fmt: skip
    """Validate every task file and print entity counts per file and label. Changes nothing.

    Checks: offsets inside the text, `text` equal to the slice, no overlaps, labels named in the folder's
    label_config.xml, no whitespace or punctuation at span edges, and `data.text` still equal to the normalised
    source article. Exit status 1 if anything is wrong.

    Example: `xiezuo-ner annotations check --dir annotations`
    """
    from training.annotations import check_folder
    from training.terminal import annotations_table, entity_totals

    report = check_folder(folder, edges)
    console.print(annotations_table(report, folder))
    listed = list_problems(report.problems)
    if listed.count:
        err_console.print(plain(f"{listed.count} problem(s) in {folder}{listed.more}"))
        raise typer.Exit(1)
    totals, tasks = entity_totals(report)
    print_ok(f"{tasks} task(s), {sum(totals.values())} entities, no problems")


@command()
def corpus(
    action: Annotated[CorpusAction, Argument(help="build: write the task files; check: only report problems.")] = CorpusAction.build,
    folder: Annotated[Path, Option("--dir", help="Corpus folder: markup in DIR/source/*.txt, task files written to DIR.")] = Path("annotations/corpus"),
) -> None:  # fmt: skip
    """Turn the written corpus's inline markup (`[[广州市|REGION]]`) into Label Studio task files.

    Every problem is listed with file, line and article; while there is one, nothing is written. The format is
    described in training/corpus.py. Example: `xiezuo-ner corpus build`
    """
    from training.corpus import build_corpus

    counts, problems = build_corpus(folder, check_only=action is CorpusAction.check)
    listed = list_problems(problems)
    if listed.count:
        err_console.print(f"{listed.count} problem(s){listed.more}; nothing written")
        raise typer.Exit(1)
    verb = "checked" if action is CorpusAction.check else "wrote"
    print_ok(f"{verb} {', '.join(f'{name} ({count})' for name, count in counts.items())}")


@command("import")
def import_(
    format_: Annotated[DatasetFormat, Argument(metavar="FORMAT", help="cluener, bio, bmes or weibo (BIO with segment digits).")],
    paths: Annotated[list[Path], Argument(help="Dataset files; each becomes OUT/NAME.json, one task per sentence.")],
    out: Annotated[Path, Option(help="Folder for the task files and their label_config.xml.")],
    map_: Annotated[list[str], Option("--map", help="SOURCE=TARGET label; unmapped labels are dropped. None given: keep all.")] = [],
    force: Annotated[bool, Option(help="Replace task files that already exist in --out.")] = False,
) -> None:  # fmt: skip
    """Convert a public NER dataset into Label Studio task files the project trains and evaluates on.

    Malformed lines are reported with file and line (their sentence is left out); the rest is imported. The
    summary counts spans kept per label and dropped per source label. Train on the result with
    `--set data.annotations=OUT --set data.split.train=[train]` (a split names documents or whole task files by
    their stem).

    Example: `xiezuo-ner import cluener ../shared/benchmarks/cluener2020/train.json
    ../shared/benchmarks/cluener2020/dev.json --out models/data/cluener --map name=PERSON --map address=REGION`
    """
    from training.importer import import_dataset, parse_mapping
    from training.terminal import import_table

    done = import_dataset(format_.value, paths, out, parse_mapping(map_), force)
    for path, result in zip(paths, done.results):
        if more := list_problems(result.problems).more:
            err_console.print(plain(f"{path}:{more}"))
    console.print(import_table(done, out))
    problems = sum(len(result.problems) for result in done.results)
    print_ok(f"wrote {len(done.targets)} task file(s) into {out}; {problems} problem(s) reported above")
