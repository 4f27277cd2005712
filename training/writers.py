"""Where `tag` writes: one writer per format, fed the same rows (`records.output_row`), and one output rule
for all of them.

The output rule, the same for every format and path:
- a new output is written aside (`.<name>.partial` next to it) and renamed into place when the run ends,
  so an existing `--out` is never truncated and a killed run never leaves a half file under its name;
- every output records the run that wrote it in `.<name>.xiezuo.json` (format, model, model digest, and
  the size of what it wrote); the partial output has its own record, `.<name>.partial.json`;
- an existing `--out` is refused unless `--resume` (JSON lines and Parquet) continues it or `--force`
  replaces it (at the end of the run, as above); `--resume` continues only an output whose record matches
  this model and format, and refuses anything else, naming it;
- a `--out` that is not a regular file (a FIFO, a device such as /dev/stdout) is written through, never
  replaced; a symbolic link is followed, and its target is what is written aside and replaced.
JSON lines are written one line per system call, so a killed run leaves complete lines and at most one
torn last line, which `--resume` cuts off its own partial output. Parquet is a folder of
`part-NNNNN.parquet` files, each renamed into place when complete.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import sys
from pathlib import Path
from typing import IO, Protocol

from training.choices import RESUMABLE, OutputFormat
from training.errors import XiezuoError
from training.files import atomic_write_text, replace_folder
from training.formats import RowError, as_conll, as_html, as_label_studio, dump_json, print_pretty
from training.records import id_key

PART_RECORDS = 10_000  # records per Parquet part: what a killed run can lose, and one row group each
PARQUET_SUFFIX = ".parquet"


class Writer(Protocol):
    def write(self, row: dict, text: str) -> None: ...  # raises RowError for a row this format cannot hold

    def close(self) -> None: ...


class JsonlWriter:
    def __init__(self, target: IO[bytes], model_version: str):
        self.target = target

    def write(self, row: dict, text: str) -> None:
        self.target.write((dump_json(row) + "\n").encode("utf-8"))
        self.target.flush()

    def close(self) -> None:
        pass


class ConllWriter(JsonlWriter):
    def write(self, row: dict, text: str) -> None:
        self.target.write(as_conll(row, text).encode("utf-8", "backslashreplace"))


class PrettyWriter:
    def __init__(self, target: IO[bytes], model_version: str):
        from rich.console import Console

        stream = sys.stdout if target is _stdout() else io.TextIOWrapper(target, "utf-8", "backslashreplace")
        self.stream = stream
        self.screen = Console(file=stream, soft_wrap=True, markup=False, emoji=False, highlight=False)

    def write(self, row: dict, text: str) -> None:
        dump_json(row)  # the same rows as every format: one that JSON cannot hold is bad here too
        print_pretty(self.screen, row, text)

    def close(self) -> None:
        self.stream.flush()
        if isinstance(self.stream, io.TextIOWrapper) and self.stream is not sys.stdout:
            self.stream.detach()


class DocumentWriter:
    """Whole-document formats (JSON, Label Studio, HTML): rows are checked as they come, written at the end."""

    def __init__(self, target: IO[bytes], model_version: str, format_: OutputFormat):
        self.target, self.model_version, self.format = target, model_version, format_
        self.items: list[tuple[dict, str]] = []

    def write(self, row: dict, text: str) -> None:
        dump_json(row)
        self.items.append((row, text))

    def close(self) -> None:
        if self.format is OutputFormat.html:
            document = as_html(self.items)
        elif self.format is OutputFormat.json:
            document = dump_json([row for row, _ in self.items], indent=2) + "\n"
        else:
            tasks = [as_label_studio(row, text, self.model_version) for row, text in self.items]
            document = dump_json(tasks, indent=2) + "\n"
        self.target.write(document.encode("utf-8", "backslashreplace"))


class ParquetWriter:
    """A folder of parts of `part_records` rows; each appears under its final name only when complete."""

    def __init__(self, folder: Path, part_records: int = PART_RECORDS):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.part_records = folder, part_records
        self.next_part = len(complete_parts(folder))
        self.rows: list[dict] = []

    def write(self, row: dict, text: str = "") -> None:
        import pyarrow as pa

        try:
            pa.Table.from_pylist([row | {"entities": None}])
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
            raise RowError(f"has a value Parquet cannot hold ({error})") from None
        self.rows.append(row)
        if len(self.rows) >= self.part_records:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self.rows:
            return
        final = self.folder / f"part-{self.next_part:05d}{PARQUET_SUFFIX}"
        try:
            table = pa.Table.from_pylist([row | {"entities": None} for row in self.rows])
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            raise XiezuoError(
                f"{final}: the passed-through fields do not fit one Parquet schema ({error}); write --format jsonl"
            ) from None
        entities = pa.array([row["entities"] for row in self.rows], ENTITIES_TYPE())
        table = table.set_column(table.schema.get_field_index("entities"), "entities", entities)
        partial = final.with_suffix(".partial")
        pq.write_table(table, partial)
        os.replace(partial, final)
        self.next_part += 1
        self.rows = []

    def close(self) -> None:
        self._flush()


def ENTITIES_TYPE():  # noqa: N802 (a type, built when Parquet is first written: pyarrow loads only then)
    import pyarrow as pa

    entity = pa.struct(
        [
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("label", pa.string()),
            ("text", pa.string()),
            ("score", pa.float64()),
        ]
    )
    return pa.list_(entity)


# The writer registry: format → writer over an open binary target (Parquet writes a folder instead).
WRITERS = {
    OutputFormat.jsonl: JsonlWriter,
    OutputFormat.conll: ConllWriter,
    OutputFormat.pretty: PrettyWriter,
    OutputFormat.json: lambda target, version: DocumentWriter(target, version, OutputFormat.json),
    OutputFormat.label_studio: lambda target, version: DocumentWriter(target, version, OutputFormat.label_studio),
    OutputFormat.html: lambda target, version: DocumentWriter(target, version, OutputFormat.html),
}


def complete_parts(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"part-*{PARQUET_SUFFIX}"))


def _stdout() -> IO[bytes]:
    return sys.stdout.buffer


def record_path(path: Path) -> Path:
    """The record of the run that wrote `path`."""
    return path.with_name(f".{path.name}.xiezuo.json")


def partial_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


def _size(path: Path) -> list:
    """What an output holds, as its record keeps it: a file's size, a folder's part names and sizes."""
    if path.is_dir():
        return [[part.name, part.stat().st_size] for part in complete_parts(path)]
    return [path.stat().st_size]


def _read_record(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class Output:
    """One `--out` (or standard output) under the output rule; `writer` takes the rows, `done` holds the
    ids (`records.id_key`) a resumed output already has. `finish()` puts the output into place;
    `abandon(keep)` leaves it unfinished (kept for `--resume` when `keep`)."""

    def __init__(self, out: Path | None, format_: OutputFormat, run: dict, resume: bool = False, force: bool = False):
        self.format, self.run, self.done = format_, run, set()
        self.path = self.partial = None
        self.target: IO[bytes] | None = None
        if out is None:
            self.writer = WRITERS[format_](_stdout(), run["model"])
            return
        path = out.resolve() if out.is_symlink() else out
        if path.exists() and not path.is_dir() and not stat.S_ISREG(path.stat().st_mode):
            if resume or format_ is OutputFormat.parquet:
                raise XiezuoError(f"--out {out}: not a regular file; --resume and parquet need a file or folder")
            self.target = open(path, "wb", buffering=0)  # noqa: SIM115 (a FIFO or a device: written through)
            self.writer = WRITERS[format_](self.target, run["model"])
            return
        self.path, self.partial = path, partial_path(path)
        if resume:
            self._continue(out)
        else:
            if path.exists() and not force:
                how = "--resume to continue it, --force" if format_ in RESUMABLE else "--force"
                raise XiezuoError(f"--out {out}: exists; pass {how} to replace it, or choose another --out")
            self._remove(self.partial)
        atomic_write_text(record_path(self.partial), dump_json(run) + "\n")
        if format_ is OutputFormat.parquet:
            self.writer = ParquetWriter(self.partial)
        else:
            self.target = open(self.partial, "ab", buffering=0)  # noqa: SIM115 (closed by finish or abandon)
            self.writer = WRITERS[format_](self.target, run["model"])

    def _matches(self, record: dict | None) -> str | None:
        """Why a recorded run is not this one, or None."""
        if record is None:
            return "no record of the run that wrote it; resume only continues an output of `xiezuo-ner tag`"
        for key, what in (("format", "format"), ("model_digest", "model")):
            if record.get(key) != self.run[key]:
                return f"written with another {what} ({record.get(key)}); rerun without --resume into a new --out"
        return None

    def _continue(self, out: Path) -> None:
        """Resume: the partial output of an interrupted run, or a copy of a finished output of the same run."""
        if self.partial.exists():
            problem = self._matches(_read_record(record_path(self.partial)))
            if problem:
                raise XiezuoError(f"--out {out}: its partial output {self.partial} has {problem}")
        elif self.path.exists():
            record = _read_record(record_path(self.path))
            problem = self._matches(record)
            if problem is None and record.get("size") != _size(self.path):
                problem = "changed since the run that wrote it; resume only continues an output of `xiezuo-ner tag`"
            if problem:
                raise XiezuoError(f"--out {out}: {problem}")
            if self.path.is_dir():
                shutil.copytree(self.path, self.partial)
            else:
                shutil.copyfile(self.path, self.partial)
        else:
            return
        self.done = parquet_done_ids(self.partial) if self.partial.is_dir() else jsonl_done_ids(self.partial)

    @staticmethod
    def _remove(path: Path) -> None:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        record_path(path).unlink(missing_ok=True)

    def finish(self) -> None:
        self.writer.close()
        if self.target is not None:
            if self.partial is not None:
                os.fsync(self.target.fileno())
            self.target.close()
        if self.partial is None:
            return
        atomic_write_text(record_path(self.path), dump_json(self.run | {"size": _size(self.partial)}) + "\n")
        if self.partial.is_dir():
            replace_folder(self.partial, self.path)
        else:
            os.replace(self.partial, self.path)
        record_path(self.partial).unlink(missing_ok=True)

    def abandon(self, keep: bool) -> None:
        if self.target is not None:
            self.target.close()
        if self.partial is not None and not (keep and self.format in RESUMABLE):
            self._remove(self.partial)


def jsonl_done_ids(path: Path) -> set[str]:
    """Ids of the complete lines of our own partial output; a torn last line (a killed run) is cut off."""
    done: set[str] = set()
    good_end = 0
    with path.open("rb") as lines:
        for line in lines:
            if not line.endswith(b"\n"):
                break
            done.add(id_key(json.loads(line)["id"]))
            good_end += len(line)
    if good_end < path.stat().st_size:
        with path.open("r+b") as file:
            file.truncate(good_end)
    return done


def parquet_done_ids(folder: Path) -> set[str]:
    """Ids in the complete parts of our own partial output; a part a killed run left unfinished is removed."""
    import pyarrow.parquet as pq

    for partial in folder.glob("part-*.partial"):
        partial.unlink()
    return {
        id_key(value)
        for part in complete_parts(folder)
        for value in pq.read_table(part, columns=["id"]).column("id").to_pylist()
    }
