"""Gold annotations: one Label Studio task per article, and the checks they must pass.

A task file is exactly what Label Studio imports and exports:

    {"data": {"text": <normalised text>, "doc_id": ..., "source": "seeds/<file>.txt"},
     "annotations": [{"result": [{"type": "labels", "from_name": "label", "to_name": "text",
                                  "value": {"start": 0, "end": 3, "text": "白云区", "labels": ["REGION"]}}]}]}

`start`/`end` are Python string indices (code points) into `data.text`,
which is also what Label Studio's Text tag uses. A file may also hold a JSON
list of tasks (Label Studio's bulk import format; `xiezuo-ner import` writes
those). The folder's `label_config.xml`, the Label Studio labelling config,
names the labels.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from training.errors import XiezuoError
from training.files import atomic_write_text
from training.labels import LABEL_CONFIG, LABELS, labels_from_xml
from training.text import normalise, read_article

FROM_NAME, TO_NAME = "label", "text"  # the tag names in label_config.xml


def is_edge_char(char: str) -> bool:
    """Whether a span may not start or end with `char` (spec: quotes, brackets and punctuation around a
    name are outside the span): whitespace, punctuation, separators, control and format characters.

    By Unicode category, so full-width and ASCII marks count alike and a numeral such as 〇 never does.
    """
    return char.isspace() or unicodedata.category(char)[0] in "PZC"


def trim_edges(text: str, start: int, end: int) -> tuple[int, int]:
    """`[start, end)` without edge characters at either end (时间:2023-10-26 → 2023-10-26)."""
    while start < end and is_edge_char(text[start]):
        start += 1
    while end > start and is_edge_char(text[end - 1]):
        end -= 1
    return start, end


@dataclass(frozen=True, order=True)
class Span:
    start: int
    end: int
    label: str
    text: str


@dataclass
class Document:
    """One article: its normalised text and gold spans (sorted by start)."""

    doc_id: str
    text: str
    spans: list[Span] = field(default_factory=list)
    source: str | None = None  # the raw file it was normalised from, relative to the project root
    path: Path | None = None  # the task file it was read from


DOC_ID_BYTES = 200  # a file name holds 255 bytes; the id becomes `<id>.json`


def doc_id_problem(doc_id: str) -> str | None:
    """Why `doc_id` cannot name a task file (`<doc_id>.json` in an annotations folder), or None.

    The one rule for ids that become file names (`ls pull`, `corpus build`): not empty, no path
    separator, no control character, not starting with a dot (`..`, hidden files), at most 200 bytes.
    """
    if not doc_id:
        return "doc id is empty"
    if doc_id.startswith("."):
        return f"doc id {doc_id!r} starts with a dot; it names a file, so it cannot"
    if any(char in "/\\" or unicodedata.category(char).startswith("C") for char in doc_id):
        return f"doc id {doc_id!r} has a path separator or control character; it names a file, so it cannot"
    if len(doc_id.encode("utf-8", "surrogatepass")) > DOC_ID_BYTES:
        return f"doc id {doc_id[:20]!r}… is longer than {DOC_ID_BYTES} bytes; it names a file, so it cannot"
    return None


def _result_items(task: dict, where: str) -> list[dict]:
    annotations = task.get("annotations") or []
    if not isinstance(annotations, list) or not all(isinstance(a, dict) for a in annotations):
        raise XiezuoError(f"{where}: annotations must be a list of objects")
    annotations = [a for a in annotations if not a.get("was_cancelled")]
    if len(annotations) > 1:
        raise XiezuoError(f"{where}: {len(annotations)} annotations; keep exactly one gold annotation per task")
    items = annotations[0].get("result") or [] if annotations else []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise XiezuoError(f"{where}: an annotation's result must be a list of objects")
    return [item for item in items if item.get("type") == "labels"]


def _offset(value: object) -> int:
    """A span offset: an integer, never a float (0.9 is not 0) or a boolean."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"offset {value!r} is not an integer")
    return value


def document_from_task(task: dict, where: str) -> Document:
    """Read one Label Studio task; structural problems raise, span problems are left to `check_document`."""
    data = task.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise XiezuoError(f"{where}: task has no data.text string")
    spans = []
    for number, item in enumerate(_result_items(task, where)):
        value = item.get("value")
        try:
            labels = value["labels"]
            if not isinstance(labels, list) or not isinstance(value["text"], str):
                raise TypeError("labels must be a list and text a string")
            spans.append(
                Span(_offset(value["start"]), _offset(value["end"]), str(labels[0]) if labels else "", value["text"])
            )
        except (KeyError, TypeError, ValueError, IndexError) as error:
            raise XiezuoError(
                f"{where}: result item {number}: needs integer start/end, text and a labels list ({error})"
            ) from None
    source = data.get("source")
    if source is not None and not isinstance(source, str):
        raise XiezuoError(f"{where}: data.source must be a path string")
    doc_id = str(data.get("doc_id") or task.get("id") or where)
    return Document(doc_id=doc_id, text=data["text"], spans=sorted(spans), source=source)


def load_tasks(path: Path) -> list[Document]:
    """The documents of a task file: one task (a JSON object) or a list of tasks."""
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise XiezuoError(f"{path}: not UTF-8 (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise XiezuoError(f"{path}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}") from None
    if isinstance(tasks, dict):
        documents = [document_from_task(tasks, str(path))]
    elif isinstance(tasks, list) and all(isinstance(task, dict) for task in tasks):
        documents = [document_from_task(task, f"{path}: task {index}") for index, task in enumerate(tasks)]
    else:
        raise XiezuoError(f"{path}: expected a Label Studio task (a JSON object) or a list of tasks")
    for document in documents:
        document.path = path
    return documents


def load_task_file(path: Path) -> Document:
    """The one document of a single-task file (one article per file, as in annotations/)."""
    documents = load_tasks(path)
    if len(documents) != 1:
        raise XiezuoError(f"{path}: holds {len(documents)} tasks; expected one")
    return documents[0]


def task_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("*.json"))
    if not files:
        raise XiezuoError(f"{folder}: no annotation files (*.json)")
    return files


def folder_labels(folder: Path) -> tuple[str, ...]:
    """The labels named by `folder/label_config.xml`."""
    path = folder / LABEL_CONFIG
    try:
        return labels_from_xml(path.read_text(encoding="utf-8"), str(path))
    except OSError:
        raise XiezuoError(
            f"{path}: missing; it names the labels (copy annotations/{LABEL_CONFIG} and edit it)"
        ) from None


def load_folders(folders: list[Path]) -> tuple[list[Document], tuple[str, ...]]:
    """The documents of several annotation folders and their labels, which every folder must name alike."""
    labels = folder_labels(folders[0])
    for folder in folders[1:]:
        if folder_labels(folder) != labels:
            raise XiezuoError(
                f"{folder / LABEL_CONFIG}: names labels {folder_labels(folder)}, {folders[0] / LABEL_CONFIG} names {labels}"
            )
    documents = [document for folder in folders for document in load_documents(folder)]
    duplicates = sorted(
        doc_id for doc_id, count in Counter(document.doc_id for document in documents).items() if count > 1
    )
    if duplicates:
        raise XiezuoError(
            f"document id(s) {duplicates[:5]} appear in more than one task of {', '.join(map(str, folders))}"
        )
    return documents, labels


def load_documents(folder: Path) -> list[Document]:
    """Load every task file in `folder` and check that spans are usable (`check_document` without the edge rule).

    Any problem stops with all problems counted and the first one shown.
    """
    labels = folder_labels(folder)
    documents = [document for path in task_files(folder) for document in load_tasks(path)]
    problems = [
        problem for document in documents for problem in check_document(document, labels, folder.parent, edges=False)
    ]
    if problems:
        raise XiezuoError(
            f"{len(problems)} annotation problem(s), first: {problems[0]} (run `xiezuo-ner annotations check`)"
        )
    return documents


def task_json(document: Document) -> dict:
    """The Label Studio task for a document, with its spans as one annotation."""
    data = {"text": document.text, "doc_id": document.doc_id}
    if document.source:
        data["source"] = document.source
    result = [
        {
            "id": f"{document.doc_id}-{index}",
            "from_name": FROM_NAME,
            "to_name": TO_NAME,
            "type": "labels",
            "value": {"start": span.start, "end": span.end, "text": span.text, "labels": [span.label]},
        }
        for index, span in enumerate(sorted(document.spans))
    ]
    return {"data": data, "annotations": [{"result": result}]}


def prediction_json(entities: list, model_version: str) -> dict:
    """Label Studio's prediction for a task: one labels region per entity, each with its score."""
    scores = [entity.score for entity in entities]
    return {
        "model_version": model_version,
        "score": round(min(scores), 4) if scores else 1.0,  # the least sure entity speaks for the task
        "result": [
            {
                "from_name": FROM_NAME,
                "to_name": TO_NAME,
                "type": "labels",
                "score": entity.score,
                "value": {"start": entity.start, "end": entity.end, "text": entity.text, "labels": [entity.label]},
            }
            for entity in entities
        ],
    }


def save_document(document: Document, path: Path) -> None:
    """Write a task file atomically: gold annotations are never left half-written."""
    atomic_write_text(path, json.dumps(task_json(document), ensure_ascii=False, indent=2) + "\n")


def check_document(
    document: Document,
    labels: tuple[str, ...] = LABELS,
    project_root: Path | None = None,
    edges: bool = True,
    where: str | None = None,
) -> list[str]:
    """Every problem with a document's spans, one line each: file, task, offsets, what is wrong.

    `edges` adds the project spec's rule that a span neither starts nor ends with whitespace
    or punctuation; public datasets keep their own conventions (CLUENER's 《》 inside spans).
    `where` names the document in the messages when it has no task file (the corpus's file and line).
    """
    where = where or f"{document.path or '<task>'}: task {document.doc_id}"
    problems: list[str] = []
    text = document.text
    previous: Span | None = None
    for span in sorted(document.spans):
        at = f"{where}: [{span.start}, {span.end}) {span.text!r}"
        if span.label not in labels:
            problems.append(f"{at}: unknown label {span.label!r} (expected one of {', '.join(labels)})")
        if not 0 <= span.start < span.end <= len(text):
            problems.append(f"{at}: offsets outside the text (length {len(text)})")
            continue
        if text[span.start : span.end] != span.text:
            problems.append(f"{at}: text differs from the slice {text[span.start : span.end]!r}")
        elif edges and (is_edge_char(span.text[0]) or is_edge_char(span.text[-1])):
            problems.append(f"{at}: span starts or ends with whitespace or punctuation")
        if previous is not None and span.start < previous.end:
            problems.append(f"{at}: overlaps [{previous.start}, {previous.end}) {previous.text!r}")
        previous = span
    if document.source and project_root is not None:
        problems.extend(_source_problems(document, project_root, where))
    return problems


@dataclass
class FolderCheck:
    """What `annotations check` reports: per task file, its tasks and entities per label; every problem."""

    labels: tuple[str, ...]
    tasks: dict[str, int] = field(default_factory=dict)  # task file stem → tasks
    entities: dict[str, Counter] = field(default_factory=dict)  # task file stem → entities per label
    problems: list[str] = field(default_factory=list)


def check_folder(folder: Path, edges: bool = True) -> FolderCheck:
    """Validate every task file of `folder` (a file that cannot be read is one problem; the others are still checked)."""
    report = FolderCheck(folder_labels(folder))
    for path in task_files(folder):
        try:
            documents = load_tasks(path)
        except XiezuoError as error:
            report.problems.append(str(error))
            continue
        report.tasks[path.stem] = len(documents)
        report.entities[path.stem] = Counter(span.label for document in documents for span in document.spans)
        for document in documents:
            report.problems.extend(check_document(document, report.labels, folder.parent, edges=edges))
    return report


def _source_problems(document: Document, project_root: Path, where: str) -> list[str]:
    source = project_root / document.source
    if not source.resolve().is_relative_to(project_root.resolve()):  # a task file never makes us read elsewhere
        return [
            f"{where}: data.source {document.source!r} points outside the project; name a file under {project_root}"
        ]
    try:
        expected = normalise(read_article(source)).text
    except (OSError, XiezuoError) as error:
        return [f"{where}: cannot read its source {document.source}: {error}"]
    if expected == document.text:
        return []
    first_difference = next(
        (i for i, (a, b) in enumerate(zip(expected, document.text)) if a != b), min(len(expected), len(document.text))
    )
    return [
        f"{where}: data.text no longer matches the normalised {document.source} (first difference at character {first_difference})"
    ]


def label_counts(documents: list[Document]) -> dict[str, Counter]:
    return {document.doc_id: Counter(span.label for span in document.spans) for document in documents}
