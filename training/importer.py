"""Public NER datasets → the project's annotation format (Label Studio tasks), with a label mapping.

Readers, one per format:
- `cluener`: JSON lines `{"text", "label": {type: {mention: [[start, end], ...]}}}`, `end` inclusive;
- `bio` / `bmes`: one `character tag` per line (space or tab), a blank line between sentences
  (People's Daily, MSRA; Resume uses BMES);
- `weibo`: BIO whose tokens carry their position in a word segment (`现0`, `任1`): the
  character is the token's first code point.

Each sentence becomes one task; a file's tasks are written as one JSON list (Label
Studio's bulk import format) named after the input file. A malformed line is reported
with file and line number and its sentence is left out; everything well-formed is
imported. Irregular but readable tagging (an I- with no B-, an entity still open at the
sentence end, nested spans) is read as conlleval reads it and reported the same way.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

from training.annotations import LABEL_CONFIG, Document, Span, folder_labels, save_tasks
from training.choices import DatasetFormat
from training.errors import XiezuoError
from training.files import atomic_write_text
from training.tags import Irregularity, spans_from_tags

FORMATS = tuple(form.value for form in DatasetFormat)
TAGGED_LINE = re.compile(r"^(\S+)[ \t]+(\S+)$")
SEGMENT_TOKEN = re.compile(r"^(.)\ufffd*\d+$")  # Weibo: character, segment position (damaged emoji keep a U+FFFD)
PREFIXES = {"bio": "BI", "weibo": "BI", "bmes": "BMES"}


@dataclass
class ImportResult:
    documents: list[Document] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "file:line: what (what was done)"
    kept: Counter = field(default_factory=Counter)  # spans imported, per target label
    dropped: Counter = field(default_factory=Counter)  # spans left out because their source label is not mapped


def parse_mapping(pairs: list[str]) -> dict[str, str] | None:
    """`["address=REGION", "name=PERSON"]` → a dict; no pairs keeps every label under its own name (None)."""
    mapping = {}
    for pair in pairs:
        source, sep, target = pair.partition("=")
        if not sep or not source or not re.fullmatch(r"[\w.]+", target):
            raise XiezuoError(f"--map {pair!r}: expected SOURCE=TARGET, TARGET made of letters, digits, '_' or '.'")
        mapping[source] = target
    return mapping or None


def _keep(result: ImportResult, spans: list[Span], mapping: dict[str, str] | None, where: str) -> list[Span]:
    """Spans renamed by `mapping` (unmapped ones counted as dropped); of nested ones the longest is kept."""
    mapped = []
    for span in spans:
        target = span.label if mapping is None else mapping.get(span.label)
        if target is None:
            result.dropped[span.label] += 1
        else:
            mapped.append(Span(span.start, span.end, target, span.text))
    kept: list[Span] = []
    for span in sorted(mapped, key=lambda s: (s.start, -(s.end - s.start))):
        if kept and span.start < kept[-1].end:
            result.problems.append(
                f"{where}: {span.label} {span.text!r} overlaps {kept[-1].label} {kept[-1].text!r} (left out)"
            )
            continue
        kept.append(span)
    result.kept.update(span.label for span in kept)
    return kept


def read_cluener(path: Path, mapping: dict[str, str] | None, result: ImportResult) -> None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            item = json.loads(line)
            text = item["text"]
            if not isinstance(text, str):
                raise TypeError("text is not a string")
            spans = [
                Span(int(start), int(end) + 1, str(label), str(mention))
                for label, mentions in (item.get("label") or {}).items()
                for mention, positions in mentions.items()
                for start, end in positions
            ]
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as error:
            result.problems.append(f"{where}: not a CLUENER record ({type(error).__name__}: {error}) (line skipped)")
            continue
        wrong = [span for span in spans if span.start < 0 or text[span.start : span.end] != span.text]
        if wrong:
            result.problems.append(
                f"{where}: {wrong[0].label} {wrong[0].text!r} at [{wrong[0].start}, {wrong[0].end - 1}] does not match the text (line skipped)"
            )
            continue
        result.documents.append(Document(f"{path.stem}-{number}", text, _keep(result, spans, mapping, where)))


def _sentences(path: Path):
    """(first line number, [(line number, token, tag)]) per blank-line-separated sentence."""
    sentence: list[tuple[int, str, str]] = []
    start = 1
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            if sentence:
                yield start, sentence
            sentence, start = [], number + 1
            continue
        match = TAGGED_LINE.match(line)
        sentence.append((number, *(match.groups() if match else (line, ""))))
    if sentence:
        yield start, sentence


def _line_problem(token: str, tag: str, form: str) -> str | None:
    if not tag:
        return "expected a character and a tag separated by a space or tab"
    if form == "weibo" and not SEGMENT_TOKEN.match(token):
        return f"token {token!r} is not a character followed by its segment position"
    if form != "weibo" and len(token) != 1:
        return f"token {token!r} is not one character"
    prefix, sep, label = tag.partition("-")
    if tag != "O" and not (sep and label and prefix in PREFIXES[form]):
        return f"tag {tag!r} is not O or one of {'/'.join(PREFIXES[form])}-TYPE"
    return None


def read_tagged(path: Path, form: str, mapping: dict[str, str] | None, result: ImportResult) -> None:
    """BIO, BMES or Weibo files: one sentence → one document; spans decoded from the tags."""
    for first_line, lines in _sentences(path):
        problems = [(number, problem) for number, token, tag in lines if (problem := _line_problem(token, tag, form))]
        if problems:
            number, problem = problems[0]
            result.problems.append(f"{path}:{number}: {problem} (sentence from line {first_line} skipped)")
            continue
        text = "".join(token[0] for _, token, _ in lines)
        irregularities: list[Irregularity] = []
        spans = spans_from_tags([tag for _, _, tag in lines], text, irregularities)
        for irregularity in irregularities:
            number = lines[irregularity.position][0]
            if irregularity.kind == "stray":
                result.problems.append(
                    f"{path}:{number}: {irregularity.tag} does not continue an entity (read as its start)"
                )
            elif form == "bmes":  # BIO and Weibo entities end without an E- tag
                before = " before the sentence end" if irregularity.position == len(lines) - 1 else ""
                label = irregularity.tag.partition("-")[2]
                result.problems.append(
                    f"{path}:{number}: {label} entity not closed by E-{before} (read as ending there)"
                )
        result.documents.append(
            Document(f"{path.name}-{first_line}", text, _keep(result, spans, mapping, f"{path}:{first_line}"))
        )


def import_file(form: str, path: Path, mapping: dict[str, str] | None) -> ImportResult:
    if form not in FORMATS:
        raise XiezuoError(f"unknown format {form!r}; expected one of {', '.join(FORMATS)}")
    result = ImportResult()
    try:
        if form == "cluener":
            read_cluener(path, mapping, result)
        else:
            read_tagged(path, form, mapping, result)
    except OSError as error:
        raise XiezuoError(f"{path}: cannot read ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise XiezuoError(f"{path}: not UTF-8 (byte {error.start})") from None
    return result


def output_name(path: Path) -> str:
    """`train.json` → `train.json`; `example.dev` → `example.dev.json` (the split name is the stem)."""
    return path.name if path.suffix == ".json" else f"{path.name}.json"


def label_config(labels: list[str]) -> str:
    """A Label Studio labelling config naming `labels` (what `annotations.folder_labels` reads)."""
    lines = "\n".join(f"    <Label value={quoteattr(label)}/>" for label in labels)
    return f'<View>\n  <Labels name="label" toName="text">\n{lines}\n  </Labels>\n  <Text name="text" value="$text" granularity="symbol"/>\n</View>\n'


@dataclass
class DatasetImport:
    targets: list[Path]  # one task file per input file
    results: list[ImportResult]
    labels: list[str]  # the labels the task files use, as named in the folder's label config


def import_dataset(
    form: str, paths: list[Path], out: Path, mapping: dict[str, str], force: bool = False
) -> DatasetImport:
    """Convert dataset files into task files in `out`, with a label config naming their labels.

    Existing task files are replaced only with `force`; a folder whose label config lacks
    one of the labels is refused before anything is written.
    """
    targets = [out / output_name(path) for path in paths]
    existing = [str(target) for target in targets if target.exists()]
    if existing and not force:
        raise XiezuoError(f"{existing[0]} exists; annotations are never overwritten silently (pass --force to replace)")
    results = [import_file(form, path, mapping) for path in paths]
    labels = (
        list(dict.fromkeys(mapping.values()))
        if mapping
        else sorted({label for result in results for label in result.kept})
    )
    config_path = out / LABEL_CONFIG
    if config_path.exists():  # importing into a folder that already names its labels
        unnamed = sorted(set(labels) - set(folder_labels(out)))
        if unnamed:
            raise XiezuoError(f"{config_path} does not name {unnamed}; use another --out or edit it")
    else:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(config_path, label_config(labels))
    for result, target in zip(results, targets):
        save_tasks(result.documents, target)
    return DatasetImport(targets, results, labels)
