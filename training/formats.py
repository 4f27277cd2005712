"""Ways to show one output row (`records.output_row`) with the text it was tagged on: JSON, CoNLL,
Label Studio, HTML and the readable terminal view. Writing them to a file is training/writers.py's job."""

from __future__ import annotations

import base64
import datetime
import decimal
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text

from training.annotations import Span, prediction_json
from training.display import plain, printable
from training.errors import XiezuoError
from training.inputs import STDIN_NAME
from training.labels import label_colours
from training.render import marked_segments, render
from training.tags import char_tags
from training.text import normalise


class RowError(XiezuoError):
    """A row that cannot be written in the chosen format (NaN, a value JSON has no type for, nesting too deep)."""


def row_name(row: dict) -> str:
    """How a row is named to a reader: the file it came from, else its id."""
    return str(row.get("source", row["id"]))


def _plain_value(value: object) -> object:
    """Parquet values JSON has no type for: timestamps and dates as ISO 8601, decimals as text, bytes as
    UTF-8 text (base64 when they are not UTF-8)."""
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, datetime.timedelta)):
        return str(value)
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(value).decode("ascii")
    raise TypeError(f"a {type(value).__name__} has no JSON form")


def dump_json(value: object, indent: int | None = None) -> str:
    """Strict JSON (no NaN or Infinity) that always encodes as UTF-8: a lone surrogate is written escaped."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, default=_plain_value, indent=indent)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = json.dumps(value, ensure_ascii=True, allow_nan=False, default=_plain_value, indent=indent)
    except ValueError:
        raise RowError("holds NaN or Infinity, which JSON has no form for") from None
    except TypeError as error:
        raise RowError(str(error)) from None
    except RecursionError:
        raise RowError("is nested too deep to write") from None
    return text


def as_conll(row: dict, text: str) -> str:
    """One character and its BIO tag per line; a blank line after each article.

    Whitespace characters are written as their code point (U+0020) so each line has two columns.
    """
    spans = [Span(entity["start"], entity["end"], entity["label"], entity["text"]) for entity in row["entities"]]
    tags = char_tags(len(text), spans, "BIO")
    lines = [f"# source = {one_field(row_name(row))}"]
    lines += [f"{char if not char.isspace() else f'U+{ord(char):04X}'} {tag}" for char, tag in zip(text, tags)]
    return "\n".join(lines) + "\n\n"


def one_field(name: str) -> str:
    """A name on one line of a line format (a file name may hold a newline)."""
    return name.replace("\r", "\\r").replace("\n", "\\n")


def as_label_studio(row: dict, text: str, model_version: str) -> dict:
    """A task as `ls push` makes one, so it passes `annotations check` once accepted: the normalised text, doc id and
    raw file name in `data`, the model's spans on that text as a prediction. `data.raw_offsets` keeps, for each
    predicted span in order, its [start, end) in the raw article (the offsets `tag` prints in the other formats)."""
    normalised = normalise(text)
    entities = []
    for entity in row["entities"]:  # every entity starts and ends on a character the normaliser kept
        start = int(np.searchsorted(normalised.raw_offsets, entity["start"]))
        end = int(np.searchsorted(normalised.raw_offsets, entity["end"] - 1)) + 1
        entities.append(SimpleNamespace(**entity | {"start": start, "end": end, "text": normalised.text[start:end]}))
    source = row.get("source")
    doc_id = str(row["id"]) if source is None else "stdin" if source == STDIN_NAME else Path(source).stem
    data = {"text": normalised.text, "doc_id": doc_id}
    if source is not None and source != STDIN_NAME:
        data["source"] = source
    data["raw_offsets"] = [[entity["start"], entity["end"]] for entity in row["entities"]]
    return {"data": data, "predictions": [prediction_json(entities, model_version)]}


def as_html(items: list[tuple[dict, str]]) -> str:
    colours = label_colours(sorted({entity["label"] for row, _ in items for entity in row["entities"]}))
    articles = [{"name": row_name(row), "segments": marked_segments(text, row["entities"])} for row, text in items]
    return render("tagged.html", articles=articles, colours=colours)


def print_pretty(console: Console, row: dict, text: str) -> None:
    """The article with entities coloured by type, then a table of the entities."""
    entities = row["entities"]
    styles = {
        label: f"bold {colour}" for label, colour in label_colours(sorted({e["label"] for e in entities})).items()
    }
    console.rule(plain(row_name(row)))
    shown = Text(printable(text))  # escape sequences in an article must not reach the terminal
    for entity in entities:
        shown.stylize(styles[entity["label"]], entity["start"], entity["end"])
    console.print(shown)
    table = Table("label", "text", "start", "end", "score", title=f"{len(entities)} entities")
    for entity in entities:
        table.add_row(
            plain(entity["label"], styles[entity["label"]]),
            plain(entity["text"]),
            str(entity["start"]),
            str(entity["end"]),
            f"{entity['score']:.2f}",
        )
    console.print(table)
