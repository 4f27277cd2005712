"""`xiezuo-ner`: the command line. It parses options and calls the library; nothing else lives here."""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from contextlib import nullcontext
from enum import Enum
from functools import wraps
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from training.display import one_line, plain, printable, quiet_libraries
from training.errors import XiezuoError, first_line
from training.files import atomic_write_text
from training.importer import DatasetFormat
from training.shipped import default_model_path
from training.tagging import Engine, OutputFormat, Runtime

app = typer.Typer(
    help="Named-entity recognition for Chinese East–West cooperation news (REGION, ORG, PERSON, AMOUNT, DATE).",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)
annotations_app = typer.Typer(help="Check and summarise the gold annotations.", no_args_is_help=True)
app.add_typer(annotations_app, name="annotations")
ls_app = typer.Typer(
    help="Annotate in Label Studio: push articles with pre-annotations, pull corrections. "
    "Connection from LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY.",
    no_args_is_help=True,
)
app.add_typer(ls_app, name="ls")
# Markup and emoji codes off: file names, article text and labels are shown as they are
# (our own colours come from Text styles); `display.plain` neutralises control characters.
console = Console(markup=False, emoji=False, highlight=False)
err_console = Console(stderr=True, markup=False, emoji=False, highlight=False)
# The shipped model (`make model` rebuilds it from configs/offline-small.yaml), found from any working directory.
DEFAULT_MODEL = default_model_path()


class CorpusAction(str, Enum):
    build = "build"
    check = "check"


class Split(str, Enum):
    train = "train"
    dev = "dev"
    test = "test"


class Rank(str, Enum):
    uncertainty = "uncertainty"


class Side(str, Enum):
    server = "server"
    local = "local"


MAX_LISTED = 50  # problems printed one per line; the rest are counted


@app.callback()
def quiet() -> None:
    """Keep library chatter (weight-loading bars, cache writes) off the terminal; our own bars stay."""
    quiet_libraries()


def print_error(message: object, kind: str = "error") -> None:
    """One line on standard error; the message is shown as text, never read as Rich markup."""
    style = "bold red" if kind == "error" else "bold yellow"
    err_console.print(plain(f"{kind}: ", style) + plain(one_line(message)), highlight=False, soft_wrap=True)


def print_ok(message: str, word: str = "ok:") -> None:
    console.print(plain(f"{word} ", "green") + plain(message), soft_wrap=True)


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


@app.command()
@friendly_errors
def normalise(
    paths: Annotated[list[Path], typer.Argument(help="Raw article files (UTF-8).")],
    out: Annotated[Path | None, typer.Option(help="Write <name>.txt normalised copies here.")] = None,
) -> None:
    """Remove scraper noise (pinyin readings, doubled commas, line-wrap spaces, image names, a page captured twice).

    Example: `xiezuo-ner normalise seeds/*.txt --out /tmp/normalised`
    """
    from training.text import normalise as normalise_text
    from training.text import read_article

    table = Table("file", "raw chars", "normalised chars", "removed")
    failures = 0
    for path in paths:
        try:
            result = normalise_text(read_article(path))
        except XiezuoError as error:
            print_error(error)
            failures += 1
            continue
        table.add_row(
            plain(path), str(result.raw_length), str(len(result.text)), str(result.raw_length - len(result.text))
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
    from training.annotations import check_folder

    report = check_folder(folder, edges)
    labels, problems = report.labels, report.problems
    table = Table("file", "tasks", *map(printable, labels), "total", title=plain(f"Entities in {folder}"))
    for stem, counts in report.entities.items():
        table.add_row(
            plain(stem), str(report.tasks[stem]), *(str(counts[label]) for label in labels), str(sum(counts.values()))
        )
    totals, tasks = sum(report.entities.values(), Counter()), sum(report.tasks.values())
    table.add_row("all", str(tasks), *(str(totals[label]) for label in labels), str(sum(totals.values())), style="bold")
    console.print(table)
    for problem in problems[:MAX_LISTED]:
        print_error(problem)
    if problems:
        more = f" ({len(problems) - MAX_LISTED} more not shown)" if len(problems) > MAX_LISTED else ""
        err_console.print(plain(f"{len(problems)} problem(s) in {folder}{more}"))
        raise typer.Exit(1)
    print_ok(f"{tasks} task(s), {sum(totals.values())} entities, no problems")


@app.command("corpus")
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
    for problem in problems[:MAX_LISTED]:
        print_error(problem)
    if problems:
        err_console.print(f"{len(problems)} problem(s); nothing written")
        raise typer.Exit(1)
    verb = "checked" if action is CorpusAction.check else "wrote"
    print_ok(f"{verb} {', '.join(f'{name} ({count})' for name, count in counts.items())}")


@app.command("import")
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
        for problem in result.problems[:MAX_LISTED]:
            print_error(problem)
        if len(result.problems) > MAX_LISTED:
            err_console.print(plain(f"{path}: {len(result.problems) - MAX_LISTED} more problem(s) not shown"))
    console.print(table)
    problems = sum(len(result.problems) for result in done.results)
    print_ok(f"wrote {len(done.targets)} task file(s) into {out}; {problems} problem(s) reported above")


@app.command()
@friendly_errors
def train(
    config: Annotated[Path, typer.Option(help="YAML config (see configs/).")],
    set_: Annotated[list[str], typer.Option("--set", help="Override a key: --set training.epochs=3")] = [],
    resume: Annotated[bool, typer.Option(help="Continue an interrupted run from its last checkpoint.")] = False,
) -> None:
    """Fine-tune a token classifier; writes models/<run_name>/ when, and only when, it finishes.

    Example: `xiezuo-ner train --config configs/offline-small.yaml --set training.epochs=5`
    """
    from training.config import load_config
    from training.train import train as train_model

    resolved = load_config(config, set_)
    model_dir = train_model(resolved, resume=resume)
    metrics = json.loads((model_dir / "metrics.json").read_text())["dev"]
    print_ok(f"{model_dir}  dev micro F1 {metrics['micro']['f1']:.3f}", "saved")


@app.command()
@friendly_errors
def pretrain(
    config: Annotated[Path, typer.Option(help="YAML pre-training config (see configs/pretrain-small.yaml).")],
    set_: Annotated[list[str], typer.Option("--set", help="Override a key: --set training.epochs=20")] = [],
) -> None:
    """Masked-language-model pre-training of a small encoder on unlabelled articles.

    Writes an encoder folder; name it in a training config's `model.name_or_path`.

    Example: `xiezuo-ner pretrain --config configs/pretrain-small.yaml --set data.texts=[seeds,/data/articles]`
    """
    from training.pretrain import load_pretrain_config
    from training.pretrain import pretrain as pretrain_encoder

    encoder_dir = pretrain_encoder(load_pretrain_config(config, set_))
    print_ok(
        f"{encoder_dir}; use it with --set model.name_or_path={encoder_dir} --set model.from_scratch=null", "saved"
    )


@app.command()
@friendly_errors
def evaluate(
    model: Annotated[Path, typer.Option(help="A trained model folder.")] = DEFAULT_MODEL,
    split: Annotated[Split, typer.Option(help="The split of the model's training config to score on.")] = Split.test,
    data: Annotated[list[Path], typer.Option(help="Annotation files to evaluate on instead of a split.")] = [],
    out: Annotated[Path | None, typer.Option(help="Report folder (default: <model>/<split>-report).")] = None,
    runtime: Annotated[
        Runtime, typer.Option(help="torch, or ONNX Runtime after `xiezuo-ner export --onnx [--int8]`.")
    ] = Runtime.torch,
) -> None:
    """Score a model against gold annotations: report.json, report.md and report.html.

    Example: `xiezuo-ner evaluate --model models/xiezuo-small --split dev --runtime onnx-int8`
    """
    from training.evaluate import documents_to_score, evaluate_documents
    from training.report import write_report

    documents = documents_to_score(model, split.value, data)
    report = evaluate_documents(model, documents, runtime.value)
    paths = write_report(report, out or model / f"{'data' if data else split.value}-report")
    _print_scores(report)
    console.print(plain("wrote " + ", ".join(map(str, paths))), soft_wrap=True)


def _print_scores(report: dict) -> None:
    from training.report import score_rows

    table = Table("label", "support", "model P", "model R", "model F1", "rules F1", title=plain(report["model"]))
    for label, m, r in score_rows(report):
        table.add_row(
            plain(label),
            str(m["support"]),
            f"{m['precision']:.3f}",
            f"{m['recall']:.3f}",
            f"{m['f1']:.3f}",
            f"{r['f1']:.3f}",
        )
    console.print(table)


@app.command()
@friendly_errors
def cv(
    config: Annotated[Path, typer.Option(help="YAML config; its split is replaced by the folds.")],
    folds: Annotated[int, typer.Option(min=2, help="Number of folds (documents are never split).")] = 5,
    out: Annotated[Path | None, typer.Option(help="Report folder (default: <output_dir>/<run_name>-cv).")] = None,
    dev_fold: Annotated[
        bool,
        typer.Option(
            help="Hold the next fold out of training for early stopping, instead of training on all other folds."
        ),
    ] = False,
    set_: Annotated[list[str], typer.Option("--set", help="Override a key: --set training.epochs=3")] = [],
) -> None:
    """k-fold cross-validation by document: one model per fold, per-fold and pooled figures.

    Each fold trains on all other documents for the config's whole schedule (no early stopping),
    as the usual k-fold protocol does; `--dev-fold` holds one fold out for early stopping.

    Example: `xiezuo-ner cv --config configs/offline-small.yaml --folds 5`
    """
    from training.config import load_config
    from training.crossval import cross_validate

    resolved = load_config(config, set_)
    folder = out or resolved.output_dir / f"{resolved.run_name}-cv"
    report = cross_validate(resolved, folds, folder, dev_fold)
    _print_scores(report)
    console.print(
        plain(f"pooled micro F1 {report['systems']['model']['micro']['f1']:.3f}; reports in {folder}"), soft_wrap=True
    )


@app.command()
@friendly_errors
def compare(
    runs: Annotated[list[Path], typer.Argument(help="report.json files, report folders or model folders.")],
) -> None:
    """One table of per-label F1 across runs.

    Example: `xiezuo-ner compare models/xiezuo-small-cv models/xiezuo-small/dev-report`
    """
    from training.report import compare_table, read_reports

    rows = compare_table(read_reports(runs))
    table = Table(*map(printable, rows[0]), title="F1 per label")
    for row in rows[1:]:
        table.add_row(*map(plain, row))
    console.print(table)


@app.command()
@friendly_errors
def tag(
    paths: Annotated[
        list[str], typer.Argument(help="Files, folders (recursive *.txt), globs, and - for standard input.")
    ],
    model: Annotated[
        Path,
        typer.Option(help="A trained model folder (default: the shipped models/xiezuo-small).", show_default=False),
    ] = DEFAULT_MODEL,
    format_: Annotated[
        OutputFormat, typer.Option("--format", help="How to write the entities (parquet: --out names a folder).")
    ] = OutputFormat.pretty,
    out: Annotated[
        str | None,
        typer.Option(
            help="Write here instead of standard output (never an input); with Ray any path Ray writes (s3://...)."
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Windows per forward pass.")] = 128,
    workers: Annotated[
        int, typer.Option(min=1, help="Processes on this machine (threads each: cores // workers).")
    ] = 1,
    resume: Annotated[bool, typer.Option(help="Skip ids already complete in --out (jsonl or parquet output).")] = False,
    engine: Annotated[
        Engine, typer.Option(help="local, or ray: Ray Data over a pool of Tagger actors (docs/corpus-tagging.md).")
    ] = Engine.local,
    runtime: Annotated[
        Runtime, typer.Option(help="torch, or ONNX Runtime after `xiezuo-ner export --onnx [--int8]`.")
    ] = Runtime.torch,
) -> None:
    """Tag raw articles (Traditional or Simplified, any length); offsets point into your text.

    A bad input (missing, not UTF-8, binary) is reported in one line, the others are tagged,
    and the exit status is 1. An empty article has no entities (a warning, exit 0). Text
    formats write --out aside and rename it into place when the run ends.

    Corpora: JSON lines (`id`, `text`, other fields passed through) or Parquet in, jsonl or parquet
    out, streamed record by record, resumable (`--resume`), on several processes or on Ray
    (docs/corpus-tagging.md).

    Examples: `xiezuo-ner tag seeds/000_7a95b9ea3265a927.txt`,
    `cat article.txt | xiezuo-ner tag - --format json`, `xiezuo-ner tag articles/ --format jsonl --out tags.jsonl`,
    `xiezuo-ner tag corpus.jsonl --format jsonl --out tagged.jsonl --workers 2 --resume`
    """
    from training.files import atomic_output
    from training.records import input_kind

    if (
        format_ is OutputFormat.parquet
        or workers != 1
        or resume
        or engine is Engine.ray
        or any(input_kind(path) != "text" for path in paths)
    ):
        _tag_corpus(paths, model, format_.value, out, batch_size, workers, resume, engine, runtime.value)
        return
    out = Path(out) if out is not None else None
    from training.taggers import load_tagger
    from training.tagging import ArticleWriter, check_output, expand_inputs, tag_inputs

    inputs = expand_inputs(paths)
    if not inputs:
        raise XiezuoError(f"no input files in {' '.join(paths)}")
    if out is not None:
        check_output(out, inputs)
    tagger = load_tagger(model, runtime.value, batch_size=batch_size)
    started = time.perf_counter()
    progress = Progress(
        TextColumn("tagging"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )
    with progress, atomic_output(out) if out else nullcontext(sys.stdout) as stream:
        task = progress.add_task("tag", total=len(inputs))
        writer = ArticleWriter(format_, stream, tagger.model_version)
        summary = tag_inputs(tagger, inputs, writer, report=print_error, advance=lambda: progress.advance(task))
        writer.close()
    _finish(
        f"{summary.articles} article(s)",
        summary.characters,
        summary.entities,
        started,
        f"{len(summary.failed)} failed" if summary.failed else "",
    )


def _finish(
    tagged: str, characters: int, entities: dict[str, int], started: float, failed: str, note: str = ""
) -> None:
    """The last line of a tagging run, on standard error; exit 1 when something `failed`."""
    counts = ", ".join(f"{label} {count}" for label, count in sorted(entities.items())) or "none"
    line = plain(
        f"tagged {tagged}, {characters} characters, entities: {counts}; {note}{time.perf_counter() - started:.1f}s"
    )
    if failed:
        line += plain(f"; {failed}", "bold red")
    err_console.print(line, soft_wrap=True)
    if failed:
        raise typer.Exit(1)


def _tag_corpus(
    paths: list[str],
    model: Path,
    format_: str,
    out: str | None,
    batch_size: int,
    workers: int,
    resume: bool,
    engine: Engine,
    runtime: str,
) -> None:
    """Corpus tagging (training/stream.py, training/ray_engine.py): bad records listed, exit 1 if any."""
    started = time.perf_counter()
    if engine is Engine.ray:
        from training.ray_engine import tag_with_ray

        tag_with_ray(paths, out, format_, model, workers=workers, runtime=runtime, batch_size=batch_size, resume=resume)
        err_console.print(plain(f"tagged with Ray into {out}; {time.perf_counter() - started:.1f}s"), soft_wrap=True)
        return
    from training.stream import tag_corpus

    progress = Progress(
        TextColumn("tagging"), TextColumn("{task.completed} article(s)"), console=err_console, transient=True
    )
    shown = 0

    def report(bad) -> None:
        nonlocal shown
        shown += 1
        if shown <= MAX_LISTED:
            print_error(bad)

    with progress:
        task = progress.add_task("tag", total=None)
        summary = tag_corpus(
            paths,
            Path(out) if out is not None else None,
            format_,
            model,
            workers=workers,
            resume=resume,
            runtime=runtime,
            batch_size=batch_size,
            on_bad=report,
            on_tagged=lambda characters: progress.advance(task),
        )
    hidden = f" ({summary.bad - MAX_LISTED} not shown)" if summary.bad > MAX_LISTED else ""
    failed = f"{summary.bad} bad record(s) skipped{hidden}" if summary.bad else ""
    note = f"{summary.resumed} already in {out}; " if resume else ""
    _finish(f"{summary.tagged} record(s)", summary.characters, summary.entities, started, failed, note)


@app.command()
@friendly_errors
def insight(
    paths: Annotated[list[str], typer.Argument(help="Articles, folders, or (tagged) JSON lines / Parquet corpora.")],
    out: Annotated[Path, typer.Option(help="Folder for places/pairs/amounts/dates .parquet + .csv and report.html.")],
    model: Annotated[Path, typer.Option(help="The model that tags untagged input.")] = DEFAULT_MODEL,
    texts: Annotated[
        list[str], typer.Option(help="The corpus a text-less tagged input (tag's output) came from.")
    ] = [],
    batch_size: Annotated[int, typer.Option(min=1, help="Windows per forward pass.")] = 128,
) -> None:
    """Answers from tags: places → divisions, money → yuan, dates → ISO, who helped whom (docs/insight.md).

    Example: `xiezuo-ner insight corpus.jsonl --out insight/`"""
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


@app.command()
@friendly_errors
def export(
    model: Annotated[Path, typer.Option(help="A trained model folder.")] = DEFAULT_MODEL,
    onnx: Annotated[
        bool, typer.Option("--onnx", help="Write <model>/model.onnx (the emissions; the CRF decodes outside).")
    ] = False,
    int8: Annotated[
        bool, typer.Option("--int8", help="Also write <model>/model.int8.onnx, dynamically quantised to int8.")
    ] = False,
) -> None:
    """Export a model for serving; `xiezuo-ner tag --runtime onnx` (or onnx-int8) then uses it.

    Example: `xiezuo-ner export --model models/xiezuo-small --onnx --int8`
    """
    from training.onnx_export import export_onnx

    if not onnx:
        raise XiezuoError("nothing to export: pass --onnx (and --int8 for the quantised copy)")
    for path in export_onnx(model, int8=int8):
        print_ok(f"{path} ({path.stat().st_size / 1e6:.1f} MB)", "wrote")


@ls_app.command("push")
@friendly_errors
def ls_push(
    paths: Annotated[list[Path], typer.Argument(help="Raw article files, or folders of *.txt.")],
    model: Annotated[Path | None, typer.Option(help="Pre-annotate with this model's predictions.")] = None,
    rank: Annotated[
        Rank | None, typer.Option(help="`uncertainty`: the tasks the model is least sure of come first.")
    ] = None,
    project: Annotated[
        str, typer.Option(help="Project title; created with the five-label config if missing.")
    ] = "xiezuo-ner",
) -> None:
    """Import articles as tasks (normalised text, doc id, raw file name); re-pushing never duplicates.

    Example: `xiezuo-ner ls push seeds/ --model models/xiezuo-small --rank uncertainty`
    """
    from training.labelstudio import connect, push

    if rank and model is None:
        raise XiezuoError("--rank uncertainty needs --model: the ranking comes from the model's scores")
    from training.tagging import STDIN, expand_inputs

    files = [Path(item) for item in expand_inputs([str(path) for path in paths]) if item != STDIN]
    result = push(connect(), files, project, model=model, rank=rank.value if rank else None)
    for line in result.failed:
        print_error(line)
    console.print(
        plain(
            f"project {project!r}: imported {len(result.imported)}, already there {len(result.skipped)}, failed {len(result.failed)}"
        )
    )
    if result.failed:
        raise typer.Exit(1)


@ls_app.command("pull")
@friendly_errors
def ls_pull(
    folder: Annotated[Path, typer.Option("--dir", help="Annotation folder to merge into.")] = Path("annotations"),
    project: Annotated[str, typer.Option(help="Project title.")] = "xiezuo-ner",
    prefer: Annotated[Side | None, typer.Option(help="On a conflict with local gold: which side wins.")] = None,
) -> None:
    """Export the project's annotations, validate them, merge them into annotations/.

    Cancelled and empty annotations are skipped. Any invalid span merges nothing.
    A document whose local gold differs is listed as a conflict and left alone
    (exit 1) unless --prefer server|local says which side wins.

    Example: `xiezuo-ner ls pull --dir annotations --prefer server`
    """
    from training.labelstudio import connect, pull

    result = pull(connect(), project, folder, prefer.value if prefer else None)
    for problem in result.problems:
        print_error(problem)
    if result.problems:
        err_console.print(f"{len(result.problems)} problem(s) in the export; nothing merged")
        raise typer.Exit(1)
    for conflict in result.conflicts:
        print_error(conflict, "conflict")
    console.print(
        f"written {len(result.written)}, unchanged {len(result.unchanged)}, kept local {len(result.kept_local)}, "
        f"conflicting spans {len(result.conflicts)}"
    )
    if result.conflicts:
        err_console.print("conflicts left alone; rerun with --prefer server or --prefer local")
        raise typer.Exit(1)


def main() -> None:
    app()
