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
from training.gazetteer import region_names
from training.labels import LABEL_CONFIG, LABELS, labels_from_xml
from training.text import normalise, read_article, simplified_view

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


# The spec's mechanical span rules (annotations/GUIDELINES.md, "What the check rejects"), on the
# simplified view of a span's text so Traditional gold (以來, 約, 縣委) is held to the same rules.
DATE_TRAILERS = ("以来", "起", "至今", "前后")  # outside a DATE: 2016年 | 以来
AMOUNT_LEADERS = ("超", "约", "近", "达", "逾", "共", "累计")  # outside an AMOUNT: 达 | 6411.38万元
AMOUNT_TRAILERS = ("以上", "以下", "左右")
# Bodies named only generically (spec: 市委, 州委, 省委, 中央 are generic; a bare 代表团 is not an ORG).
GENERIC_ORGS = frozenset(
    {
        "中央",
        "党委",
        "市委",
        "县委",
        "省委",
        "州委",
        "区委",
        "旗委",
        "盟委",
        "镇党委",
        "乡党委",
        "政协",
        "人大",
        "人大常委会",
        "代表团",
        "访问团",
        "考察团",
        "采访团",
        "交流团",
        "调研组",
        "考察组",
        "慰问团",
        "工作队",
        "工作组",
        "医疗队",
        "指挥部",
        "政府",
        "人民政府",
        "省政府",
        "市政府",
        "县政府",
        "区政府",
        "州政府",
        "镇政府",
        "乡政府",
        "省人民政府",
        "市人民政府",
        "县人民政府",
        "区人民政府",
        "州人民政府",
        "镇人民政府",
        "乡人民政府",
        "县人民医院",
        "区教育局",
        "县教育局",
        "市教育局",
        "省委组织部",
        "市委组织部",
        "县委组织部",
        "区委组织部",
    }
)
# Natural features (spec: never REGION). A suffix only counts after any leading chain of division names is
# set aside and when no division name ends the span, so 黑龙江, 镇江, 怒江, 深圳市南山区 and 深圳坪山 pass.
FEATURE_SUFFIXES = (
    "山脉",
    "高原",
    "峡谷",
    "盆地",
    "草原",
    "沙漠",
    "雪山",
    "冰川",
    "河谷",
    "流域",
    "水库",
    "湿地",
    "两岸",
    "江畔",
    "河畔",
    "湖畔",
    "山麓",
)
FEATURE_CHARS = ("江", "河", "湖", "山", "峰", "岭")
FEATURE_NAMES = frozenset(
    {
        "长江",
        "黄河",
        "珠江",
        "乌蒙山",
        "六盘山",
        "秦岭",
        "太行山",
        "大别山",
        "武陵山",
        "昆仑山",
        "祁连山",
        "贺兰山",
        "洱海",
        "滇池",
        "太湖",
    }
)
ADMIN_CHARS = "省市县区州盟旗镇乡村街道社"


def _division_names() -> frozenset[str]:
    return frozenset(region_names())


def is_natural_feature(text: str) -> bool:
    """Whether a REGION's text is plainly a natural feature (乌蒙山区, 澜沧江, 青藏高原), never a division name.

    Conservative by design: a span that is or ends with a division name or short form in cpca's table
    (黑龙江, 镇江, 怒江, 巫山, 石景山区) passes, and so does a two-character rest after a chain of
    divisions (西江 in 雷山县西江, a town's short form).
    """
    if len(text) == 1:  # a one-character short form (湖 for 湖州 in 湖广协作) is never a feature on its own
        return False
    names = _division_names()
    view = simplified_view(text)
    if view in FEATURE_NAMES:  # unless a division is called so too (太湖 is also 太湖县's short form)
        return view not in names
    while cut := max((i for i in range(2, len(view) + 1) if view[:i] in names), default=0):
        view = view[cut:]  # 澜沧 | 江, 深圳 | 坪山
    if not view or view in names or any(view[i:] in names for i in range(1, len(view) - 1)):
        return False
    if view.endswith("山区"):  # 乌蒙山区; a three-character ?山区 is a district (坪山区)
        return len(view) >= 4
    if view.endswith(FEATURE_SUFFIXES):
        return True
    if view.endswith(FEATURE_CHARS):  # 江 after a place (澜沧江), or a long name with no level in it (雅鲁藏布江)
        return len(view) == 1 or (len(view) >= 3 and not any(char in ADMIN_CHARS for char in view[:-1]))
    return False


def span_rule_problem(label: str, text: str) -> str | None:
    """What the spec's span rules find wrong with one span, or None: edges, then one rule per label."""
    if is_edge_char(text[0]) or is_edge_char(text[-1]):
        return "span starts or ends with whitespace or punctuation (quotes and brackets stay outside)"
    view = simplified_view(text)
    if label == "DATE" and view.endswith(DATE_TRAILERS):
        return f"DATE ends with {next(w for w in DATE_TRAILERS if view.endswith(w))!r}, which stays outside the date"
    if label == "AMOUNT" and view.startswith(AMOUNT_LEADERS):
        return f"AMOUNT starts with {next(w for w in AMOUNT_LEADERS if view.startswith(w))!r}, which stays outside"
    if label == "AMOUNT" and view.endswith(AMOUNT_TRAILERS):
        return f"AMOUNT ends with {next(w for w in AMOUNT_TRAILERS if view.endswith(w))!r}, which stays outside"
    if label == "ORG" and view in GENERIC_ORGS:
        return "ORG is only a generic body; tag it with its place (天河区委) or not at all"
    if label == "REGION" and is_natural_feature(text):
        return "REGION is a natural feature (river, lake, mountain, plateau…), which is never a REGION"
    return None


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


def save_tasks(documents: list[Document], path: Path, indent: int | None = None) -> None:
    """Write many documents as one task file (a JSON list of tasks), atomically."""
    tasks = [task_json(document) for document in documents]
    atomic_write_text(path, json.dumps(tasks, ensure_ascii=False, indent=indent) + "\n")


def check_document(
    document: Document,
    labels: tuple[str, ...] = LABELS,
    project_root: Path | None = None,
    edges: bool = True,
    where: str | None = None,
) -> list[str]:
    """Every problem with a document's spans, one line each: file, task, offsets, what is wrong.

    `edges` adds the project spec's span rules (`span_rule_problem`): no whitespace or punctuation at
    either end, nothing outside a DATE or AMOUNT inside it (以来, 超, 以上), no generic ORG, no natural
    feature as REGION; public datasets keep their own conventions (CLUENER's 《》 inside spans).
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
        elif edges and (rule := span_rule_problem(span.label, span.text)):
            problems.append(f"{at}: {rule}")
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
