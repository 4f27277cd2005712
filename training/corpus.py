"""The project's own written corpus: articles in inline markup → Label Studio task files.

The corpus under `annotations/corpus/` is written from scratch in the genre (never
copied from the seeds or any outside text) and annotated by construction. A source
file holds articles, each introduced by a header line `### <id>`; an entity is
written `[[text|LABEL]]`:

    ### gz-bj-001
    [[2021年|DATE]],[[广州市白云区|REGION]]向[[平塘县|REGION]]投入帮扶资金[[1033.98万元|AMOUNT]]。

`build_corpus` turns `source/<name>.txt` into `<name>.json` (one JSON list of tasks),
so a split names whole source files by their stem (`train-1`, `dev-1`). The text of
a task is the article without its markup; it must already be normalised text (the
normaliser's noise, such as pinyin readings or doubled commas, is tested on the
seeds), so that offsets written here are the offsets the model trains on.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from training.annotations import LABELS, Document, Span, check_document, doc_id_problem, save_tasks
from training.errors import XiezuoError
from training.files import inside
from training.text import normalise

HEADER = re.compile(r"^### +(\S+)[ \t]*$")
ENTITY = re.compile(r"\[\[([^\[\]|\n]+)\|([A-Z]+)\]\]")
SEEDS = Path(__file__).resolve().parent.parent / "seeds"  # the project's seed articles


def parse_article(doc_id: str, marked: str, where: str) -> tuple[Document, list[str]]:
    """One article's markup → its document and the problems found (one line each, with the line number)."""
    problems: list[str] = []
    pieces, spans, position, cursor = [], [], 0, 0
    for match in ENTITY.finditer(marked):
        pieces.append(marked[cursor : match.start()])
        position += match.start() - cursor
        text, label = match.group(1), match.group(2)
        spans.append(Span(position, position + len(text), label, text))
        pieces.append(text)
        position += len(text)
        cursor = match.end()
    pieces.append(marked[cursor:])
    text = "".join(pieces)
    for leftover in ("[[", "]]"):
        if leftover in text:
            problems.append(
                f"{where}: unbalanced markup {leftover!r} near {text[max(0, text.index(leftover) - 10) : text.index(leftover) + 12]!r}"
            )
    if normalise(text).text != text:
        problems.append(
            f"{where}: text is not normalised (pinyin readings, doubled punctuation or line-wrap spaces); write clean text"
        )
    document = Document(doc_id=doc_id, text=text, spans=spans)
    problems.extend(
        check_document(document, LABELS, edges=True, where=where)
    )  # the spec's checks, as `annotations check` runs them
    return document, problems


def parse_source(path: Path) -> tuple[list[Document], list[str]]:
    """All articles of a markup file, with every problem found in it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    except UnicodeDecodeError as error:
        raise XiezuoError(f"{path}: not UTF-8 (byte {error.start})") from None
    articles: list[tuple[str, int, list[str]]] = []
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        header = HEADER.match(line.rstrip("\n"))
        if header:
            articles.append((f"{path.stem}-{header.group(1)}", number, []))
        elif articles:
            articles[-1][2].append(line)
        elif line.strip():
            problems.append(f"{path}:{number}: text before the first `### <id>` header")
    documents, seen = [], set()
    for doc_id, number, body in articles:
        if doc_id in seen:
            problems.append(f"{path}:{number}: duplicate article id {doc_id!r}")
        if problem := doc_id_problem(doc_id):
            problems.append(f"{path}:{number}: {problem}")
        seen.add(doc_id)
        document, found = parse_article(doc_id, "".join(body).strip("\n"), f"{path}:{number}: {doc_id}")
        if not document.text.strip():
            found.append(f"{path}:{number}: {doc_id}: empty article")
        documents.append(document)
        problems.extend(found)
    return documents, problems


def shared_strings(documents: list[Document], others: list[str], length: int = 10) -> list[tuple[str, str]]:
    """(doc id, string) for every `length`-character string of `documents` that occurs in one of `others`:
    how the corpus shows it was written, not copied (the seeds are the others)."""
    pieces = {text[index : index + length] for text in others for index in range(len(text) - length + 1)}
    return [
        (document.doc_id, document.text[index : index + length])
        for document in documents
        for index in range(len(document.text) - length + 1)
        if document.text[index : index + length] in pieces
    ]


def seed_texts(seeds: Path) -> list[str]:
    """The normalised seed articles: what the corpus must not share ten characters in a row with."""
    from training.text import read_article

    return [normalise(read_article(path)).text for path in sorted(seeds.glob("*.txt"))]


def build_corpus(
    folder: Path, check_only: bool = False, seeds: Path | None = SEEDS
) -> tuple[dict[str, int], list[str]]:
    """Convert every `folder/source/*.txt` into `folder/<stem>.json`; nothing is written while any file has a problem.

    Besides the markup and span checks, a problem is any 10-character string shared with an
    article in `seeds` (the corpus is written, not copied). Returns the article count per file and the problems.
    """
    sources = sorted((folder / "source").glob("*.txt"))
    if not sources:
        raise XiezuoError(f"{folder / 'source'}: no markup files (*.txt)")
    parsed = {path: parse_source(path) for path in sources}
    problems = [problem for _, found in parsed.values() for problem in found]
    documents = [document for documents, _ in parsed.values() for document in documents]
    counts = Counter(document.doc_id for document in documents)
    problems += [
        f"{folder}: article id {doc_id!r} appears twice"
        for doc_id in sorted(doc_id for doc_id, n in counts.items() if n > 1)
    ]
    if seeds is not None:
        problems += [
            f"{folder}: {doc_id}: shares {piece!r} with a seed article; reword it"
            for doc_id, piece in shared_strings(documents, seed_texts(seeds))
        ]
    if problems or check_only:
        return {path.stem: len(documents) for path, (documents, _) in parsed.items()}, problems
    for path, (documents, _) in parsed.items():
        save_tasks(documents, inside(folder, f"{path.stem}.json"), indent=1)
    return {path.stem: len(documents) for path, (documents, _) in parsed.items()}, []
