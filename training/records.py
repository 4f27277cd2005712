"""Every input becomes records: text files and folders, standard input, JSON lines and Parquet, read one
at a time; and the one output row of a tagged record.

A record is an id, a text and the fields passed through untouched.
- text files (and `-`): the id is the path as given (`<stdin>` for standard input), and the row keeps it
  as `source` too; an empty article is a record (no entities, a warning);
- JSON lines (`.jsonl`, `.ndjson`): one object per line with `id` and `text`; other keys pass through;
- Parquet (`.parquet`, or a folder of them): `id` and `text` columns; other columns pass through.
An id is a string or an integer and keeps its JSON type (7 and "7" are two ids). A bad record (not
UTF-8, not JSON, NaN or Infinity, no id, no text, an empty text, a field named `length` or `entities`)
or a bad input (missing, unreadable, corrupt) becomes a `BadRecord` naming its file and line or row and
id; the stream goes on.

The output row of every record, in every format and on every engine: `id`, the passed-through fields,
`length` (characters of `text`) and `entities` (start, end, label, text, score; offsets into `text`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from training.errors import XiezuoError, first_line
from training.inputs import PARQUET_SUFFIX, STDIN, STDIN_NAME, expand_inputs, input_kind, read_input

ADDED_FIELDS = ("length", "entities")  # written by `tag`: an input field of that name would be lost


@dataclass(frozen=True)
class Record:
    id: str | int
    text: str
    fields: dict = field(default_factory=dict)  # passed through to the output as they came


@dataclass(frozen=True)
class BadRecord:
    where: str  # file and line or row, and the id when there is one
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


def id_key(record_id: object) -> str:
    """The id as JSON: how ids are compared, so that 7 and "7" stay two ids."""
    return json.dumps(record_id, ensure_ascii=True)


def text_problem(text: object) -> str | None:
    """Why a record's `text` cannot be tagged, or None: the one rule for every input kind and engine."""
    if text is None:
        return "no text field"
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            return f"text is not UTF-8 (byte {error.start})"
    if not isinstance(text, str):
        return f"text is a {type(text).__name__}, not a string"
    if not text.strip():
        return "empty text"
    return None


def record_from(item: object, where: str, tagged: bool = False) -> Record | BadRecord:
    """A record from a JSON object or a Parquet row, or why it is not one. `tagged`: a row of `tag`'s
    output, whose `length` and `entities` are kept as fields (in an input to tag they would be lost)."""
    if not isinstance(item, dict):
        return BadRecord(where, "not a JSON object")
    record_id = item.get("id")
    if record_id is None:
        return BadRecord(where, "no id field")
    if isinstance(record_id, bool) or not isinstance(record_id, (str, int)):
        return BadRecord(where, f"id is a {type(record_id).__name__}; an id is a string or an integer")
    where = f"{where} (id {record_id})"
    problem = text_problem(item.get("text"))
    if problem:
        return BadRecord(where, problem)
    taken = [] if tagged else [name for name in ADDED_FIELDS if name in item]
    if taken:
        return BadRecord(where, f"has a field named {' and '.join(taken)}, which the output writes; rename it")
    text = item["text"] if isinstance(item["text"], str) else item["text"].decode("utf-8")
    return Record(record_id, text, {key: value for key, value in item.items() if key not in ("id", "text")})


def read_records(items: list[str], tagged: bool = False) -> Iterator[Record | BadRecord]:
    """Every record of every input, in the order given, one at a time (memory does not grow with the corpus).
    `tagged`: the inputs are `tag`'s output (their `length` and `entities` fields are kept)."""
    for item in expand_inputs(items):
        kind = input_kind(item)
        if kind == "text":
            yield text_record(item)
        elif kind == "jsonl":
            yield from jsonl_records(Path(item), tagged)
        else:
            yield from parquet_records(Path(item), tagged)


def text_record(item: str) -> Record | BadRecord:
    """A text file or standard input as one record, read with the one reader of user text."""
    try:
        name, text = read_input(item)
    except XiezuoError as error:
        name = STDIN_NAME if item == STDIN else item
        return BadRecord(name, str(error).removeprefix(f"{name}: "))
    return Record(name, text, {"source": name})


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def jsonl_records(path: Path, tagged: bool = False) -> Iterator[Record | BadRecord]:
    try:
        lines = path.open("rb")
    except OSError as error:
        yield BadRecord(str(path), "no such file" if isinstance(error, FileNotFoundError) else first_line(error))
        return
    with lines:
        for number, raw in enumerate(lines, start=1):
            where = f"{path}: line {number}"
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")  # a BOM is no part of the first record
            except UnicodeDecodeError as error:
                yield BadRecord(where, f"not UTF-8 (byte {error.start})")
                continue
            if not line.strip():
                continue  # a blank line is no record
            try:
                item = json.loads(line, parse_constant=_no_constant)
            except json.JSONDecodeError as error:
                yield BadRecord(where, f"invalid JSON at column {error.colno}: {error.msg}")
                continue
            except (ValueError, RecursionError) as error:
                yield BadRecord(
                    where, f"invalid JSON: {first_line(error) if isinstance(error, ValueError) else 'nested too deep'}"
                )
                continue
            yield record_from(item, where, tagged)


def parquet_records(path: Path, tagged: bool = False) -> Iterator[Record | BadRecord]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted(path.glob(f"*{PARQUET_SUFFIX}")) if path.is_dir() else [path]
    for file in files:
        try:
            parquet = pq.ParquetFile(file)
        except FileNotFoundError:
            yield BadRecord(str(file), "no such file")
            continue
        except (OSError, pa.ArrowException) as error:
            yield BadRecord(str(file), f"not a readable Parquet file ({type(error).__name__}: {first_line(error)})")
            continue
        missing = {"id", "text"} - set(parquet.schema_arrow.names)
        if missing:
            yield BadRecord(str(file), f"no {' and no '.join(sorted(missing))} column; Parquet input needs id and text")
            continue
        row = 0
        try:
            for batch in parquet.iter_batches(batch_size=1024):
                for item in batch.to_pylist():
                    row += 1
                    yield record_from(item, f"{file}: row {row}", tagged)
        except (OSError, pa.ArrowException) as error:
            yield BadRecord(f"{file}: after row {row}", f"corrupt ({type(error).__name__}: {first_line(error)})")


def output_row(record: Record, article) -> dict:
    """The one output row of a tagged record (`article`: its `infer.TaggedArticle`), whatever the input,
    format or engine."""
    return {
        "id": record.id,
        **record.fields,
        "length": len(article.text),
        "entities": [entity.to_dict() for entity in article.entities],
    }
