"""Ways to write tagged articles: readable terminal view, JSON, JSON lines, CoNLL, Label Studio, HTML."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text

from training.annotations import Span, prediction_json
from training.display import plain, printable
from training.labels import label_colours
from training.render import marked_segments, render
from training.tags import char_tags
from training.text import normalise

if TYPE_CHECKING:
    from training.infer import TaggedArticle

FORMATS = ("pretty", "json", "jsonl", "conll", "label-studio", "html")
STDIN = "<stdin>"


def article_json(name: str, article: TaggedArticle) -> dict:
    return {"source": name, "length": len(article.text), "entities": [entity.to_dict() for entity in article.entities]}


def as_jsonl(name: str, article: TaggedArticle) -> str:
    return json.dumps(article_json(name, article), ensure_ascii=False) + "\n"


def as_conll(name: str, article: TaggedArticle) -> str:
    """One character and its BIO tag per line; a blank line after each article.

    Whitespace characters are written as their code point (U+0020) so each line has two columns.
    """
    spans = [Span(entity.start, entity.end, entity.label, entity.text) for entity in article.entities]
    tags = char_tags(len(article.text), spans, "BIO")
    lines = [f"# source = {name}"]
    lines += [f"{char if not char.isspace() else f'U+{ord(char):04X}'} {tag}" for char, tag in zip(article.text, tags)]
    return "\n".join(lines) + "\n\n"


def as_label_studio(name: str, article: TaggedArticle, model_version: str) -> dict:
    """A task as `ls push` makes one, so it passes `annotations check` once accepted: the normalised text, doc id and
    raw file name in `data`, the model's spans on that text as a prediction. `data.raw_offsets` keeps, for each
    predicted span in order, its [start, end) in the raw article (the offsets `tag` prints in the other formats)."""
    normalised = normalise(article.text)
    entities = []
    for entity in article.entities:  # every entity starts and ends on a character the normaliser kept
        start = int(np.searchsorted(normalised.raw_offsets, entity.start))
        end = int(np.searchsorted(normalised.raw_offsets, entity.end - 1)) + 1
        entities.append(replace(entity, start=start, end=end, text=normalised.text[start:end]))
    data = {"text": normalised.text, "doc_id": "stdin" if name == STDIN else Path(name).stem}
    if name != STDIN:
        data["source"] = name
    data["raw_offsets"] = [[entity.start, entity.end] for entity in article.entities]
    return {"data": data, "predictions": [prediction_json(entities, model_version)]}


def as_html(items: list[tuple[str, TaggedArticle]]) -> str:
    colours = label_colours(sorted({entity.label for _, article in items for entity in article.entities}))
    articles = [
        {"name": name, "segments": marked_segments(article.text, [entity.to_dict() for entity in article.entities])}
        for name, article in items
    ]
    return render("tagged.html", articles=articles, colours=colours)


def print_pretty(console: Console, name: str, article: TaggedArticle) -> None:
    """The article with entities coloured by type, then a table of the entities."""
    styles = {
        label: f"bold {colour}"
        for label, colour in label_colours(sorted({entity.label for entity in article.entities})).items()
    }
    console.rule(plain(name))
    text = Text(printable(article.text))  # escape sequences in an article must not reach the terminal
    for entity in article.entities:
        text.stylize(styles[entity.label], entity.start, entity.end)
    console.print(text)
    table = Table("label", "text", "start", "end", "score", title=f"{len(article.entities)} entities")
    for entity in article.entities:
        table.add_row(
            plain(entity.label, styles[entity.label]),
            plain(entity.text),
            str(entity.start),
            str(entity.end),
            f"{entity.score:.2f}",
        )
    console.print(table)
