"""What the commands show on the terminal: the two consoles, one-line errors, capped problem lists, a live
article count, and the tables and closing lines built from the libraries' results.

The CLI (training/cli/) only parses options and calls a library; everything it prints is made here, so a
command stays a few lines and every figure is shown the same way. Nothing here reads options or files.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from training.display import one_line, plain, printable

if TYPE_CHECKING:
    from training.annotations import FolderCheck
    from training.importer import DatasetImport
    from training.insight import Summary
    from training.labelstudio import PullResult, PushResult
    from training.tagging import TagSummary

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
    """The closing line of a command that succeeded, on standard output."""
    console.print(plain(f"{word} ", "green") + plain(message), soft_wrap=True)


class Listed:
    """Problems printed one per line up to MAX_LISTED, then only counted: a corpus with thousands of bad
    lines still ends with a readable summary; `more` says how many were not shown."""

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
    """Print `problems` under the cap; the returned Listed has their count."""
    listed = Listed()
    for problem in problems:
        listed(problem)
    return listed


@contextmanager
def counting(label: str, lazy: bool) -> Iterator[Callable[..., None]]:
    """A live `<label> N article(s)` line on standard error for a run whose length is unknown; yields the
    callable that counts one article. `lazy`: the line appears with the first article and leaves nothing
    behind, so a refusal before any work is one line; otherwise it shows from the start and stays."""
    from rich.progress import Progress, TextColumn

    columns = TextColumn(label), TextColumn("{task.completed} article(s)")
    progress = Progress(*columns, console=err_console, transient=lazy)
    task = progress.add_task(label, total=None)

    def advance(*_: object) -> None:
        if not progress.live.is_started:
            progress.start()
        progress.advance(task)

    if not lazy:
        progress.start()
    try:
        yield advance
    finally:
        if progress.live.is_started:
            progress.stop()


def normalise_table(rows: list[tuple[Path, int, int]]) -> Table:
    """`normalise`: characters before and after, per file."""
    table = Table("file", "raw chars", "normalised chars", "removed")
    for path, raw, normalised in rows:
        table.add_row(plain(path), *map(str, (raw, normalised, raw - normalised)))
    return table


def annotations_table(report: FolderCheck, folder: Path) -> Table:
    """`annotations check`: tasks and entities per task file and label, with an `all` row."""
    labels = report.labels
    table = Table("file", "tasks", *map(printable, labels), "total", title=plain(f"Entities in {folder}"))
    for stem, counts in report.entities.items():
        row = [str(counts[label]) for label in labels]
        table.add_row(plain(stem), str(report.tasks[stem]), *row, str(sum(counts.values())))
    totals, tasks = entity_totals(report)
    table.add_row("all", str(tasks), *(str(totals[label]) for label in labels), str(sum(totals.values())), style="bold")
    return table


def entity_totals(report: FolderCheck) -> tuple[Counter, int]:
    """(entities per label, tasks) over the whole folder."""
    return sum(report.entities.values(), Counter()), sum(report.tasks.values())


def import_table(done: DatasetImport, out: Path) -> Table:
    """`import`: sentences, spans kept per label, spans dropped per source label and problems, per file."""
    table = Table("", *(printable(target.name) for target in done.targets), title=plain(f"Imported into {out}"))
    table.add_row("sentences", *(str(len(result.documents)) for result in done.results))
    for label in done.labels:
        table.add_row(plain(label), *(str(result.kept[label]) for result in done.results))
    for label in sorted({label for result in done.results for label in result.dropped}):
        table.add_row(plain(f"dropped: {label}"), *(str(result.dropped[label]) for result in done.results), style="dim")
    table.add_row("problems", *(str(len(result.problems)) for result in done.results))
    return table


def scores_table(report: dict) -> Table:
    """`evaluate` and `cv`: precision, recall and F1 per label, the rules baseline's F1 beside them."""
    from training.report import score_rows

    table = Table("label", "support", "model P", "model R", "model F1", "rules F1", title=plain(report["model"]))
    for label, m, r in score_rows(report):
        figures = (m["precision"], m["recall"], m["f1"], r["f1"])
        table.add_row(plain(label), str(m["support"]), *(f"{figure:.3f}" for figure in figures))
    return table


def rows_table(rows: list[list[str]], title: str) -> Table:
    """A header row and its rows as a table (`compare`)."""
    table = Table(*map(printable, rows[0]), title=title)
    for row in rows[1:]:
        table.add_row(*map(plain, row))
    return table


def tag_line(summary: TagSummary, out: str | None, resumed: bool, seconds: float, more: str, ray: bool) -> Text:
    """`tag`'s closing line: articles, characters, entities per label, time; the failures in red. Ray's
    actors write the rows themselves, so a Ray run has only its output and time."""
    if ray:
        return plain(f"tagged with Ray into {out}; {seconds:.1f}s")
    counts = ", ".join(f"{label} {count}" for label, count in sorted(summary.entities.items())) or "none"
    note = f"{summary.resumed} already in {out}; " if resumed else ""
    line = plain(f"tagged {summary.tagged} article(s), {summary.characters} characters, entities: {counts}; ")
    line += plain(f"{note}{seconds:.1f}s")
    if summary.bad:
        line += plain(f"; {summary.bad} failed (bad inputs or records, skipped){more}", "bold red")
    return line


def push_line(result: PushResult, project: str) -> Text:
    """`ls push`'s closing line: tasks imported, already in the project, failed."""
    counts = f"imported {len(result.imported)}, already there {len(result.skipped)}, failed {len(result.failed)}"
    return plain(f"project {project!r}: {counts}")


def pull_line(result: PullResult) -> str:
    """`ls pull`'s closing line: task files written, unchanged and kept, spans in conflict."""
    return (
        f"written {len(result.written)}, unchanged {len(result.unchanged)}, kept local {len(result.kept_local)}, "
        f"conflicting spans {len(result.conflicts)}"
    )


def insight_line(summary: Summary, out: Path, seconds: float) -> str:
    """`insight`'s closing line: articles, places resolved, pairs and amounts found, time."""
    return (
        f"{summary.articles} article(s), {summary.resolved}/{summary.places} places resolved, "
        f"{summary.pairs} pair(s), {summary.amounts} amount(s) → {out}; {seconds:.1f}s"
    )
