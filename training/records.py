"""Corpora as streams of records: read articles from text files, JSON lines or Parquet one at a time,
write tagged records as they come, and resume an interrupted output.

A record is an id, a text and the fields passed through untouched. Input:
- text files and folders (recursive `*.txt`): the id is the path as given;
- JSON lines (`.jsonl`, `.ndjson`): one object per line with `id` and `text`; other keys pass through;
- Parquet (`.parquet`, or a folder of them): `id` and `text` columns; other columns pass through.
A bad record (not UTF-8, not JSON, no id, no text, an empty text) becomes a `BadRecord` naming its file
and line or id; the stream goes on.

Output, one record per article: `id`, the passed-through fields, `length` (characters of `text`) and
`entities` (start, end, label, text, score; offsets into `text`). The text itself is not repeated.
- JSON lines: one line per record, written whole with one system call, so a run killed at any point
  leaves complete lines and at most one torn last line; `--resume` cuts that line off and skips every
  id already written.
- Parquet: a folder of `part-NNNNN.parquet` files; each part is written under a temporary name and renamed
  when complete, so a killed run leaves complete parts only; `--resume` deletes the temporary part and
  skips every id in the complete ones.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from training.errors import XiezuoError
from training.tagging import STDIN, expand_inputs, read_input

if TYPE_CHECKING:
    from training.infer import TaggedArticle

JSONL_SUFFIXES = (".jsonl", ".ndjson")
PARQUET_SUFFIX = ".parquet"
ENTITY_TYPE = pa.struct(
    [("start", pa.int64()), ("end", pa.int64()), ("label", pa.string()), ("text", pa.string()), ("score", pa.float64())]
)
ENTITIES_TYPE = pa.list_(ENTITY_TYPE)
PART_RECORDS = 10_000  # records per Parquet part: what a killed run can lose, and one row group each


@dataclass(frozen=True)
class Record:
    id: str
    text: str
    fields: dict = field(default_factory=dict)  # passed through to the output as they came


@dataclass(frozen=True)
class BadRecord:
    where: str  # file and line, or file and id
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


def text_problem(text: object) -> str | None:
    """Why `text` cannot be tagged, or None: the one rule for every input kind and engine."""
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


def input_kind(path: str) -> str:
    """jsonl, parquet or text, by the file name (a folder of Parquet files is parquet)."""
    lowered = path.lower()
    if lowered.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if lowered.endswith(PARQUET_SUFFIX) or (Path(path).is_dir() and any(Path(path).glob(f"*{PARQUET_SUFFIX}"))):
        return "parquet"
    return "text"


def read_records(paths: list[str]) -> Iterator[Record | BadRecord]:
    """Every record of every input, in order, one at a time (memory does not grow with the corpus)."""
    text_inputs: list[str] = []
    for item in paths:
        kind = input_kind(item)
        if kind == "text":
            text_inputs.append(item)
            continue
        yield from text_records(expand_inputs(text_inputs))
        text_inputs = []
        if not Path(item).exists():
            raise XiezuoError(f"{item}: no such file")
        yield from (_jsonl_records if kind == "jsonl" else _parquet_records)(Path(item))
    yield from text_records(expand_inputs(text_inputs))


def text_records(inputs: list[str]) -> Iterator[Record | BadRecord]:
    """Text files (and `-`, standard input), already expanded by `expand_inputs`, read with `tag`'s checks."""
    for item in inputs:
        try:
            name, text = read_input(item)
        except XiezuoError as error:
            name = "<stdin>" if item == STDIN else item
            yield BadRecord(name, str(error).removeprefix(f"{name}: "))
            continue
        yield Record(name, text)


def _jsonl_records(path: Path) -> Iterator[Record | BadRecord]:
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            where = f"{path}: line {number}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                yield BadRecord(where, f"not UTF-8 (byte {error.start})")
                continue
            if not line.strip():
                continue  # a blank line is no record
            try:
                item = json.loads(line)
            except json.JSONDecodeError as error:
                yield BadRecord(where, f"invalid JSON at column {error.colno}: {error.msg}")
                continue
            yield _record_from(item, where)


def _record_from(item: object, where: str) -> Record | BadRecord:
    if not isinstance(item, dict):
        return BadRecord(where, "not a JSON object")
    if item.get("id") is None:
        return BadRecord(where, "no id field")
    where = f"{where} (id {item['id']})"
    problem = text_problem(item.get("text"))
    if problem:
        return BadRecord(where, problem)
    text = item["text"] if isinstance(item["text"], str) else item["text"].decode("utf-8")
    return Record(str(item["id"]), text, {key: value for key, value in item.items() if key not in ("id", "text")})


def _parquet_records(path: Path) -> Iterator[Record | BadRecord]:
    files = sorted(path.glob(f"*{PARQUET_SUFFIX}")) if path.is_dir() else [path]
    for file in files:
        parquet = pq.ParquetFile(file)
        missing = {"id", "text"} - set(parquet.schema_arrow.names)
        if missing:
            raise XiezuoError(f"{file}: no {' and no '.join(sorted(missing))} column; Parquet input needs id and text")
        row = 0
        for batch in parquet.iter_batches(batch_size=1024):
            for item in batch.to_pylist():
                row += 1
                yield _record_from(item, f"{file}: row {row}")


# ---- output -------------------------------------------------------------------------------------


def output_record(record: Record, article: TaggedArticle) -> dict:
    return {
        "id": record.id,
        **record.fields,
        "length": len(article.text),
        "entities": [entity.to_dict() for entity in article.entities],
    }


class RecordWriter(Protocol):
    def write(self, row: dict) -> None: ...

    def close(self) -> None: ...


class JsonlWriter:
    """One line per record, written with one system call: a killed run leaves complete lines."""

    def __init__(self, out: Path | None, append: bool):
        self.file: IO[bytes] = open(out, "ab" if append else "wb", buffering=0) if out else sys.stdout.buffer

    def write(self, row: dict) -> None:
        self.file.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
        self.file.flush()

    def close(self) -> None:
        if self.file is not sys.stdout.buffer:
            self.file.close()


class ParquetWriter:
    """A folder of parts of `PART_RECORDS` rows; each appears under its final name only when complete."""

    def __init__(self, out: Path, part_records: int = PART_RECORDS):
        out.mkdir(parents=True, exist_ok=True)
        self.out, self.part_records = out, part_records
        self.next_part = len(complete_parts(out))
        self.rows: list[dict] = []

    def write(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.part_records:
            self._flush()

    def _flush(self) -> None:
        if not self.rows:
            return
        final = self.out / f"part-{self.next_part:05d}{PARQUET_SUFFIX}"
        try:
            table = pa.Table.from_pylist([row | {"entities": None} for row in self.rows])
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            raise XiezuoError(
                f"{final}: the passed-through fields do not fit one Parquet schema ({error}); write --format jsonl"
            ) from None
        entities = pa.array([row["entities"] for row in self.rows], ENTITIES_TYPE)
        table = table.set_column(table.schema.get_field_index("entities"), "entities", entities)
        partial = final.with_suffix(".partial")
        pq.write_table(table, partial)
        os.replace(partial, final)
        self.next_part += 1
        self.rows = []

    def close(self) -> None:
        self._flush()


def complete_parts(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"part-*{PARQUET_SUFFIX}"))


def open_writer(out: Path | None, format_: str, resume: bool) -> tuple[RecordWriter, set[str]]:
    """A writer for `out` and, when resuming, the ids it already holds (they are skipped)."""
    if format_ == "parquet":
        if out is None:
            raise XiezuoError("--format parquet needs --out FOLDER (it writes a folder of part files)")
        if out.exists() and not resume and (not out.is_dir() or any(out.iterdir())):
            raise XiezuoError(f"{out} exists; pass --resume to continue it, or choose another --out")
        done = parquet_done_ids(out) if resume else set()
        return ParquetWriter(out), done
    if format_ != "jsonl":
        raise XiezuoError(f"corpus output is jsonl or parquet, not {format_!r}")
    if resume and out is None:
        raise XiezuoError("--resume needs --out: the ids already tagged are read from it")
    done = jsonl_done_ids(out) if resume and out is not None and out.exists() else set()
    return JsonlWriter(out, append=resume), done


def jsonl_done_ids(path: Path) -> set[str]:
    """Ids of the complete lines of an earlier output; a torn last line (a killed run) is cut off."""
    done: set[str] = set()
    good_end = 0
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                row = json.loads(line) if line.endswith(b"\n") else None
            except (json.JSONDecodeError, UnicodeDecodeError):
                row = None
            if not isinstance(row, dict) or "id" not in row:
                if lines.read(1):  # not the last line: the file is not one this command wrote
                    raise XiezuoError(
                        f"{path}: line {number} is not a tagged record; resume only continues an output of `xiezuo-ner tag`"
                    )
                break
            done.add(str(row["id"]))
            good_end += len(line)
    if good_end < path.stat().st_size:
        with path.open("r+b") as file:
            file.truncate(good_end)
    return done


def parquet_done_ids(folder: Path) -> set[str]:
    """Ids in the complete parts of an earlier output; a part a killed run left unfinished is removed."""
    if not folder.exists():
        return set()
    for partial in folder.glob("part-*.partial"):
        partial.unlink()
    return {
        str(value)
        for part in complete_parts(folder)
        for value in pq.read_table(part, columns=["id"]).column("id").to_pylist()
    }
