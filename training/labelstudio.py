"""The annotation loop with a Label Studio server: push articles with the model's pre-annotations,
pull people's corrections back into `annotations/` without ever overwriting gold silently.

Connection comes from the environment only (LABEL_STUDIO_URL, LABEL_STUDIO_API_KEY);
the key is never printed. Uses label-studio-sdk 2.x (`from label_studio_sdk import LabelStudio`).
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path

from training.annotations import (
    LABEL_CONFIG,
    Document,
    Span,
    check_document,
    doc_id_problem,
    labels_from_xml,
    load_task_file,
    prediction_json,
    save_document,
)
from training.errors import XiezuoError
from training.files import atomic_write_text, inside
from training.labels import PROJECT_LABEL_CONFIG
from training.text import normalise, read_article

DEFAULT_PROJECT = "xiezuo-ner"


def connect():
    """A client for the server in LABEL_STUDIO_URL, checked with one request."""
    try:
        from label_studio_sdk import LabelStudio
        from label_studio_sdk.core.api_error import ApiError
    except ImportError:
        raise XiezuoError(
            "the Label Studio commands need label-studio-sdk: pip install 'xiezuo-ner[labelstudio]'"
        ) from None
    url, key = os.environ.get("LABEL_STUDIO_URL"), os.environ.get("LABEL_STUDIO_API_KEY")
    if not url or not key:
        raise XiezuoError(
            "set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY (your token from Label Studio's Account & Settings page)"
        )
    client = LabelStudio(base_url=url.rstrip("/"), api_key=key, timeout=30)
    try:
        client.projects.list(page_size=1)
    except ApiError as error:
        if error.status_code in (401, 403):
            raise XiezuoError(
                f"Label Studio at {url} refused the API key (HTTP {error.status_code}); check LABEL_STUDIO_API_KEY"
            ) from None
        raise XiezuoError(
            f"Label Studio at {url} answered HTTP {error.status_code}; is LABEL_STUDIO_URL the server's address?"
        ) from None
    except Exception as error:  # httpx connection and protocol errors
        raise XiezuoError(
            f"cannot reach Label Studio at {url} ({type(error).__name__}); is the server running and LABEL_STUDIO_URL right?"
        ) from None
    return client


def server_errors(function):
    """Any failure of the SDK or HTTP layer becomes one line with the HTTP status only.

    Never the exception's text: it carries the server's reply, and a server or proxy that
    echoes request headers would put `Authorization: Token …` on the screen.
    """

    @wraps(function)
    def call(*args, **kwargs):
        from label_studio_sdk.core.api_error import ApiError

        try:
            return function(*args, **kwargs)
        except XiezuoError:
            raise
        except ApiError as error:
            raise XiezuoError(
                f"Label Studio answered HTTP {error.status_code} during {function.__name__}; see the server's log"
            ) from None
        except Exception as error:  # httpx transport errors, a reply that is not the JSON the SDK expects
            raise XiezuoError(
                f"talking to Label Studio failed during {function.__name__} ({type(error).__name__})"
            ) from None

    return call


def find_or_create_project(client, title: str):
    for project in client.projects.list():
        if project.title == title:
            return project
    return client.projects.create(title=title, label_config=PROJECT_LABEL_CONFIG.read_text(encoding="utf-8"))


def server_tasks(client, project_id: int) -> list:
    return list(client.tasks.list(project=project_id, fields="all"))


@dataclass
class PushResult:
    imported: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already in the project
    failed: list[str] = field(default_factory=list)  # one line each


@server_errors
def push(client, paths: list[Path], title: str, model: Path | None = None, rank: str | None = None) -> PushResult:
    """Import articles (normalised) as tasks, with predictions when a model is given; skips doc ids already there."""
    project = find_or_create_project(client, title)
    present = {task.data.get("doc_id") for task in server_tasks(client, project.id)}
    result = PushResult()
    tasks = []
    for path in paths:
        doc_id = path.stem
        if doc_id in present:
            result.skipped.append(doc_id)
            continue
        try:
            text = normalise(read_article(path)).text
        except XiezuoError as error:
            result.failed.append(str(error))
            continue
        if not text.strip():
            result.failed.append(f"{path}: empty article; nothing to annotate")
            continue
        tasks.append({"data": {"text": text, "doc_id": doc_id, "source": str(path)}})
        present.add(doc_id)
    if model is not None and tasks:
        from training.infer import Tagger

        tagger = Tagger.from_pretrained(model)
        for task, entities in zip(tasks, tagger.predict_normalised([task["data"]["text"] for task in tasks])):
            task["predictions"] = [prediction_json(entities, tagger.model_version)]
    if rank == "uncertainty":  # Label Studio serves tasks in import order: least sure first
        tasks.sort(key=lambda task: task["predictions"][0]["score"] if task.get("predictions") else 1.0)
    if tasks:
        answer = client.projects.import_tasks(id=project.id, request=tasks, return_task_ids=True)
        # Community edition counts the tasks it imported; other editions queue the import and return its id.
        count, queued = getattr(answer, "task_count", None), getattr(answer, "import_", None)
        if (count is None and queued is None) or (count is not None and count != len(tasks)):
            raise XiezuoError(
                f"Label Studio reported {count} task(s) imported of {len(tasks)} sent; check project {title!r}"
            )
    result.imported = [task["data"]["doc_id"] for task in tasks]
    return result


def _utf16_to_code_points(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Offsets counted in UTF-16 units (older Label Studio front ends) → code points, if they fit."""
    encoded = text.encode("utf-16-le")
    if end * 2 > len(encoded):
        return None
    try:
        prefix = encoded[: start * 2].decode("utf-16-le")
        span = encoded[start * 2 : end * 2].decode("utf-16-le")
    except UnicodeDecodeError:
        return None
    return len(prefix), len(prefix) + len(span)


def document_from_server_task(task) -> Document | None:
    """The latest non-cancelled, non-empty annotation of a task as a Document; None if there is none."""
    annotations = [a for a in (task.annotations or []) if not a.get("was_cancelled") and a.get("result")]
    if not annotations:
        return None
    latest = max(annotations, key=lambda a: a.get("updated_at") or a.get("created_at") or "")
    text = task.data.get("text", "")
    spans = []
    for item in latest["result"]:
        if item.get("type") != "labels":
            continue
        value = item["value"]
        start, end, span_text = int(value["start"]), int(value["end"]), str(value.get("text", ""))
        if text[start:end] != span_text:
            converted = _utf16_to_code_points(text, start, end)
            if converted and text[converted[0] : converted[1]] == span_text:
                start, end = converted
        spans.append(Span(start, end, (value.get("labels") or [""])[0], span_text))
    return Document(
        doc_id=str(task.data.get("doc_id") or f"task-{task.id}"),
        text=text,
        spans=sorted(spans),
        source=task.data.get("source"),
        path=Path(f"task {task.id}"),
    )


@dataclass
class PullResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_local: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # one line per differing span
    problems: list[str] = field(default_factory=list)  # validation errors: nothing was merged


def _conflict_lines(doc_id: str, local: Document, server: Document) -> list[str]:
    if local.text != server.text:
        return [f"{doc_id}: the server's text differs from the local data.text"]
    local_spans = {(s.start, s.end, s.label): s for s in local.spans}
    server_spans = {(s.start, s.end, s.label): s for s in server.spans}
    lines = [
        f"{doc_id}: [{s.start}, {s.end}) {s.text!r} {s.label}: local has it, server does not"
        for k, s in local_spans.items()
        if k not in server_spans
    ]
    lines += [
        f"{doc_id}: [{s.start}, {s.end}) {s.text!r} {s.label}: server has it, local does not"
        for k, s in server_spans.items()
        if k not in local_spans
    ]
    return sorted(lines)


@server_errors
def pull(client, title: str, folder: Path, prefer: str | None = None) -> PullResult:
    """Fetch the project's annotations and merge them into `folder` (see `merge`)."""
    project = next((p for p in client.projects.list() if p.title == title), None)
    if project is None:
        raise XiezuoError(f"no Label Studio project titled {title!r}; push articles first")
    label_config = client.projects.get(id=project.id).label_config
    labels = labels_from_xml(label_config, f"project {title!r}: label config")
    documents = [document for task in server_tasks(client, project.id) if (document := document_from_server_task(task))]
    return merge(documents, labels, label_config, folder, prefer)


def merge(
    documents: list[Document], labels: tuple[str, ...], label_config: str, folder: Path, prefer: str | None = None
) -> PullResult:
    """Validate the server's documents and write each to `folder/<doc_id>.json`.

    Any validation problem (a span, a doc id that cannot name a file, two tasks with one doc id)
    merges nothing. A document whose local gold differs is a conflict: listed, left alone, unless
    `prefer` is "server" or "local".
    """
    result = PullResult()
    for document in documents:
        problem = doc_id_problem(document.doc_id)
        if problem:
            result.problems.append(f"{document.path}: {problem}")
        result.problems.extend(check_document(document, labels, folder.parent))
    tasks_of = defaultdict(list)
    for document in documents:
        tasks_of[document.doc_id].append(str(document.path))
    result.problems += [
        f"doc id {doc_id!r} is on {len(paths)} tasks ({', '.join(paths)}); keep one task per article"
        for doc_id, paths in tasks_of.items()
        if len(paths) > 1
    ]
    if result.problems:
        return result
    targets = [inside(folder, f"{document.doc_id}.json") for document in documents]  # all checked before any write
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / LABEL_CONFIG).exists():  # the labels travel with the annotations
        atomic_write_text(folder / LABEL_CONFIG, label_config)
    for document, target in zip(documents, targets):
        if not target.exists():
            save_document(document, target)
            result.written.append(document.doc_id)
            continue
        local = load_task_file(target)
        conflicts = _conflict_lines(document.doc_id, local, document)
        if not conflicts and local.source == document.source:
            result.unchanged.append(document.doc_id)
        elif not conflicts or prefer == "server":
            save_document(document, target)
            result.written.append(document.doc_id)
        elif prefer == "local":
            result.kept_local.append(document.doc_id)
        else:
            result.conflicts.extend(conflicts)
    return result
