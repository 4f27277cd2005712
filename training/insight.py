"""From tags to answers: per article, places resolved to divisions, amounts in yuan, dates in ISO, the
partnerships it states and the pair and year of each amount; written as tidy tables (Parquet and CSV)
and one self-contained HTML report.

Input streams record by record like `tag`: raw text files and folders and untagged JSON lines /
Parquet are tagged with the model on the way; tagged records (`entities` present, with their `text`,
or `tag`'s output joined to its corpus with `texts=`) are read as they are. Each table is written
aside and renamed into place when the run ends; only the report's aggregates stay in memory.
"""

from __future__ import annotations

import json
import os
import tempfile
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import chain
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from training.choices import DEFAULT_BATCH_SIZE
from training.errors import XiezuoError
from training.files import atomic_write_text
from training.infer import Entity, Tagger
from training.insight_report import ReportData, render_report
from training.partners import Pair, attribute, distinct, find_pairs, sentences
from training.places import Place, resolve_places
from training.records import BadRecord, Record, input_kind, read_records
from training.shipped import default_model_path
from training.stream import tag_stream
from training.values import parse_amount, parse_date, published_date

ROW_GROUP = 20_000  # rows buffered per table before a write
SCHEMAS = {
    "places": pa.schema(
        [("id", pa.string()), ("start", pa.int64()), ("end", pa.int64()), ("text", pa.string())]
        + [("division", pa.string()), ("level", pa.string()), ("code", pa.string()), ("reason", pa.string())]
    ),
    "pairs": pa.schema(
        [("id", pa.string()), ("helper", pa.string()), ("helped", pa.string()), ("kind", pa.string())]
        + [("start", pa.int64()), ("end", pa.int64()), ("sentence", pa.string())]
    ),
    "amounts": pa.schema(
        [("id", pa.string()), ("start", pa.int64()), ("end", pa.int64()), ("text", pa.string())]
        + [("yuan", pa.float64()), ("low", pa.float64()), ("high", pa.float64()), ("approx", pa.bool_())]
        + [("helper", pa.string()), ("helped", pa.string()), ("year", pa.int64())]
    ),
    "dates": pa.schema(
        [("id", pa.string()), ("start", pa.int64()), ("end", pa.int64()), ("text", pa.string())]
        + [("iso", pa.string()), ("low", pa.string()), ("high", pa.string())]
    ),
}


@dataclass(frozen=True)
class AmountRow:
    start: int
    end: int
    text: str
    yuan: float | None
    low: float | None
    high: float | None
    approx: bool
    helper: tuple[str, ...] | None
    helped: tuple[str, ...] | None
    year: int | None
    sentence: tuple[int, int]


@dataclass(frozen=True)
class ArticleInsight:
    id: str
    text: str
    published: date | None
    entities: list[Entity]
    places: list[Place]
    statements: list[Pair]  # every sentence's pairs; `pairs` has each once
    amounts: list[AmountRow]
    dates: list[tuple[Entity, str | None, str | None, str | None]]

    @property
    def pairs(self) -> list[Pair]:
        return distinct(self.statements)


def analyse(record_id: str, text: str, entities: list[Entity], fields: dict | None = None) -> ArticleInsight:
    """One article's answers from its raw text and its entities (offsets into that text)."""
    published = published_date(text, fields or {})
    year = published.year if published else None
    regions = [(e.start, e.end, e.text) for e in entities if e.label == "REGION"]
    places = resolve_places(regions, year)
    statements = find_pairs(text, places)
    dates, years = [], []
    for entity in entities:
        if entity.label == "DATE":
            value = parse_date(entity.text, published)
            dates.append((entity, value.iso, value.low, value.high))
            if value.year is not None:
                years.append((entity.start, value.year))
    spans = sentences(text)
    years.sort()
    by_sentence: dict[int, list[Pair]] = {}
    for pair in (p for p in statements if not p.across):  # an amount's pair is one its sentence states
        by_sentence.setdefault(pair.start, []).append(pair)
    amounts, index = [], 0
    for entity in (e for e in entities if e.label == "AMOUNT"):
        while index < len(spans) - 1 and spans[index][1] <= entity.start:
            index += 1
        sentence = spans[index] if spans else (0, len(text))
        value = parse_amount(entity.text)
        dated = years[bisect_left(years, (sentence[0],)) : bisect_left(years, (sentence[1],))]
        owner = attribute(entity.start, by_sentence.get(sentence[0], []), dated)
        amounts.append(
            AmountRow(
                entity.start,
                entity.end,
                entity.text,
                value.yuan,
                value.low,
                value.high,
                value.approx,
                owner.helper,
                owner.helped,
                owner.year,
                sentence,
            )
        )
    return ArticleInsight(record_id, text, published, entities, places, statements, amounts, dates)


# ---- input ---------------------------------------------------------------------------------------


def _entities(text: str, items: object, where: str) -> list[Entity] | str:
    """A tagged record's entities, or why they cannot be used (offsets must point into the text)."""
    if not isinstance(items, list):
        return "entities is not a list"
    found = []
    for item in items:
        try:
            entity = Entity(
                int(item["start"]),
                int(item["end"]),
                str(item["label"]),
                str(item["text"]),
                float(item.get("score") or 0),
            )
        except (KeyError, TypeError, ValueError):
            return "an entity lacks start, end, label or text"
        if text[entity.start : entity.end] != entity.text:
            return f"entity {entity.text!r} at {entity.start}–{entity.end} does not match the text"
        found.append(entity)
    return found


def _rows(path: Path) -> Iterator[tuple[str, dict]]:
    """(where, row) of a tagged JSON lines or Parquet file, text or not (tag's output has none)."""
    if input_kind(str(path)) == "jsonl":
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    yield f"{path}: line {number}", json.loads(line)
        return
    for file in sorted(path.glob("*.parquet")) if path.is_dir() else [path]:
        for batch in pq.ParquetFile(file).iter_batches(batch_size=1024):
            yield from ((f"{file}", row) for row in batch.to_pylist())


def _with_texts(
    tagged: Iterable[tuple[str, dict]], texts: Iterator[Record | BadRecord]
) -> Iterator[Record | BadRecord]:
    """`tag`'s output (no text) joined to the corpus it came from: same order, ids checked."""
    for where, row in tagged:
        source = next((item for item in texts if isinstance(item, Record)), None)
        if source is None or source.id != str(row.get("id")):
            raise XiezuoError(f"{where}: id {row.get('id')} is not the next record of the texts given")
        yield Record(source.id, source.text, {**source.fields, **row})


def _is_tagged(path: str) -> bool:
    if input_kind(path) == "text":
        return False
    first = next(iter(_rows(Path(path))), None)
    return first is not None and "entities" in first[1]


def articles(
    inputs: list[str], model: Path | None = None, texts: list[str] | None = None, batch_size: int = DEFAULT_BATCH_SIZE
) -> Iterator[tuple[Record, list[Entity]] | BadRecord]:
    """Each record with its entities, in input order: tagged inputs as they are, the others tagged here."""
    tagged = [path for path in inputs if path != "-" and Path(path).exists() and _is_tagged(path)]
    if texts:
        records = _with_texts(chain.from_iterable(_rows(Path(path)) for path in tagged), read_records(texts))
        yield from _checked(records)
    elif tagged:
        yield from _checked(read_records(tagged, tagged=True))
    untagged = [path for path in inputs if path not in tagged]
    if untagged:
        tagger = Tagger.from_pretrained(model or default_model_path(), batch_size=batch_size)
        for item in tag_stream(tagger, read_records(untagged)):
            yield item if isinstance(item, BadRecord) else (item[0], item[1].entities)


def _checked(records: Iterable[Record | BadRecord]) -> Iterator[tuple[Record, list[Entity]] | BadRecord]:
    for record in records:
        if isinstance(record, BadRecord):
            yield record
            continue
        entities = _entities(record.text, record.fields.get("entities"), record.id)
        yield BadRecord(f"id {record.id}", entities) if isinstance(entities, str) else (record, entities)


# ---- output --------------------------------------------------------------------------------------


def _path(names: tuple[str, ...] | None) -> str | None:
    return "/".join(names) if names else None


def table_rows(article: ArticleInsight) -> dict[str, list[dict]]:
    """The article's rows of each table (the columns of `SCHEMAS`)."""
    text, key = article.text, article.id
    return {
        "places": [
            {"id": key, "start": p.start, "end": p.end, "text": p.text, "division": p.division_text}
            | {"level": p.level, "code": p.code, "reason": p.reason}
            for p in article.places
        ],
        "pairs": [
            {"id": key, "helper": _path(p.helper), "helped": _path(p.helped), "kind": p.kind}
            | {"start": p.start, "end": p.end, "sentence": text[p.start : p.end]}
            for p in article.pairs
        ],
        "amounts": [
            {"id": key, "start": a.start, "end": a.end, "text": a.text, "yuan": a.yuan, "low": a.low, "high": a.high}
            | {"approx": a.approx, "helper": _path(a.helper), "helped": _path(a.helped), "year": a.year}
            for a in article.amounts
        ],
        "dates": [
            {"id": key, "start": e.start, "end": e.end, "text": e.text, "iso": iso, "low": low, "high": high}
            for e, iso, low, high in article.dates
        ],
    }


class TableWriter:
    """One table as Parquet and CSV, each written aside and renamed into place by `close`."""

    def __init__(self, out_dir: Path, name: str):
        self.schema = SCHEMAS[name]
        self.targets = [out_dir / f"{name}.parquet", out_dir / f"{name}.csv"]
        self.temporaries = [
            Path(tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=out_dir)[1])
            for target in self.targets
        ]
        self.parquet = pq.ParquetWriter(self.temporaries[0], self.schema)
        self.csv = pacsv.CSVWriter(str(self.temporaries[1]), self.schema)
        self.rows: list[dict] = []

    def add(self, rows: list[dict]) -> None:
        self.rows.extend(rows)
        if len(self.rows) >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        batch = pa.Table.from_pylist(self.rows, schema=self.schema)
        self.parquet.write_table(batch)
        self.csv.write_table(batch)
        self.rows = []

    def close(self) -> None:
        if self.rows or not self.parquet.is_open:
            self._flush()
        self.parquet.close()
        self.csv.close()
        for temporary, target in zip(self.temporaries, self.targets):
            with temporary.open("rb") as written:
                os.fsync(written.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)

    def discard(self) -> None:
        for temporary in self.temporaries:
            temporary.unlink(missing_ok=True)


@dataclass
class Summary:
    articles: int = 0
    bad: int = 0
    places: int = 0
    resolved: int = 0
    pairs: int = 0
    amounts: int = 0


def run(
    inputs: list[str],
    out_dir: Path,
    model: Path | None = None,
    texts: list[str] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    report: bool = True,
    on_bad=None,
    on_article=None,
) -> Summary:
    """Read `inputs`, write `out_dir`/{places,pairs,amounts,dates}.{parquet,csv} and `report.html`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    writers = {name: TableWriter(out_dir, name) for name in SCHEMAS}
    summary, data = Summary(), ReportData()
    try:
        for item in articles(inputs, model, texts, batch_size):
            if isinstance(item, BadRecord):
                summary.bad += 1
                if on_bad:
                    on_bad(item)
                continue
            record, entities = item
            article = analyse(record.id, record.text, entities, record.fields)
            for name, rows in table_rows(article).items():
                writers[name].add(rows)
            data.add(article)
            summary.articles += 1
            summary.places += len(article.places)
            summary.resolved += sum(1 for place in article.places if place.path)
            summary.pairs += len(article.pairs)
            summary.amounts += len(article.amounts)
            if on_article:
                on_article(len(record.text))
    except BaseException:
        for writer in writers.values():
            writer.discard()
        raise
    for writer in writers.values():
        writer.close()
    if report:
        atomic_write_text(out_dir / "report.html", render_report(data))
    return summary
