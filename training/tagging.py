"""The job behind `xiezuo-ner tag`: inputs → Tagger → one output in one format.

A bad input (missing, a folder, not UTF-8, binary) is reported in one line and the rest
are tagged. Standard input gets exactly the checks files get. The output is written aside
and renamed into place when the run ends, so an interrupted run never leaves a truncated
file, and an input is never the output.
"""

from __future__ import annotations

import glob
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from training.errors import XiezuoError
from training.text import decode_article, read_article

if TYPE_CHECKING:  # the CLI imports this module for OutputFormat; torch loads only when tagging starts
    from training.infer import TaggedArticle, Tagger

STDIN = "-"


class OutputFormat(str, Enum):
    pretty = "pretty"
    json = "json"
    jsonl = "jsonl"
    conll = "conll"
    label_studio = "label-studio"
    html = "html"
    parquet = "parquet"  # corpus tagging only (training/stream.py): --out names a folder


class Engine(str, Enum):
    local = "local"  # this machine: one process, or --workers processes
    ray = "ray"  # Ray Data over a pool of Tagger actors (training/ray_engine.py)


class Runtime(str, Enum):
    torch = "torch"
    onnx = "onnx"  # <model>/model.onnx, written by `xiezuo-ner export --onnx`
    onnx_int8 = "onnx-int8"  # <model>/model.int8.onnx, written with --int8


def expand_inputs(items: list[str]) -> list[str]:
    """Files as given, folders searched recursively for *.txt, globs expanded (quoted ones too), `-` kept once."""
    if items.count(STDIN) > 1:
        raise XiezuoError("standard input (-) can be named only once")
    inputs: list[str] = []
    for item in items:
        path = Path(item)
        if item == STDIN:
            inputs.append(STDIN)
        elif path.is_dir():
            inputs.extend(str(found) for found in sorted(path.rglob("*.txt")) if found.is_file())
        elif any(char in item for char in "*?[") and not path.exists():
            inputs.extend(sorted(glob.glob(item, recursive=True)))
        else:
            inputs.append(item)  # a missing file is reported when it is read, after the others are tagged
    return inputs


def check_output(out: Path, inputs: list[str], folder: bool = False) -> None:
    """Refuse an output that is one of the inputs or cannot be written, before any tagging starts.

    `folder`: the output is a folder of parts (Parquet), created if missing; otherwise a file.
    """
    if out.is_dir() and not folder:
        raise XiezuoError(f"--out {out}: is a folder; name a file")
    if not out.parent.is_dir():
        raise XiezuoError(f"--out {out}: folder {out.parent} does not exist")
    target = out.resolve()
    for item in inputs:
        if item != STDIN and Path(item).resolve() == target:
            raise XiezuoError(f"--out {out}: is also an input; writing it would destroy the articles")


def read_input(item: str) -> tuple[str, str]:
    """(name, text) of a file or of standard input, read as UTF-8 bytes with the same checks."""
    if item == STDIN:
        return "<stdin>", decode_article(sys.stdin.buffer.read(), "<stdin>")
    return item, read_article(Path(item))


class ArticleWriter:
    """Writes tagged articles in one format: line formats as they come, whole-document formats at the end."""

    def __init__(self, format_: OutputFormat, stream: TextIO, model_version: str):
        from rich.console import Console

        from training import formats

        self.formats = formats
        self.format, self.stream, self.model_version = format_, stream, model_version
        self.screen = (
            Console(file=stream, soft_wrap=True, markup=False, emoji=False, highlight=False)
            if format_ is OutputFormat.pretty
            else None
        )
        self.collected: list[tuple[str, TaggedArticle]] = []

    def write(self, name: str, article: TaggedArticle) -> None:
        if self.format is OutputFormat.pretty:
            self.formats.print_pretty(self.screen, name, article)
        elif self.format is OutputFormat.jsonl:
            self.stream.write(self.formats.as_jsonl(name, article))
        elif self.format is OutputFormat.conll:
            self.stream.write(self.formats.as_conll(name, article))
        else:
            self.collected.append((name, article))

    def close(self) -> None:
        if self.format is OutputFormat.json:
            items = [self.formats.article_json(name, article) for name, article in self.collected]
            self.stream.write(json.dumps(items, ensure_ascii=False, indent=2) + "\n")
        elif self.format is OutputFormat.label_studio:
            tasks = [
                self.formats.as_label_studio(name, article, self.model_version) for name, article in self.collected
            ]
            self.stream.write(json.dumps(tasks, ensure_ascii=False, indent=2) + "\n")
        elif self.format is OutputFormat.html:
            self.stream.write(self.formats.as_html(self.collected))


@dataclass
class TagSummary:
    articles: int = 0
    characters: int = 0
    entities: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)  # one line per bad input
    warnings: list[str] = field(default_factory=list)


def tag_inputs(
    tagger: Tagger,
    inputs: list[str],
    writer: ArticleWriter,
    report: Callable[[str, str], None],
    advance: Callable[[], None],
) -> TagSummary:
    """Tag every input into `writer`, in order; `report(line, kind)` hears each failure ("error") or warning.

    Windows of many articles share each batch (training/stream.py), as in corpus tagging.
    """
    from training.records import BadRecord, text_records
    from training.stream import tag_stream

    summary = TagSummary()
    for result in tag_stream(tagger, text_records(inputs)):
        if isinstance(result, BadRecord):
            summary.failed.append(str(result))
            report(str(result), "error")
            advance()
            continue
        record, article = result
        name, text = record.id, record.text
        warning = article_warning(name, article)
        if warning:
            summary.warnings.append(warning)
            report(warning, "warning")
        writer.write(name, article)
        summary.articles += 1
        summary.characters += len(text)
        for entity in article.entities:
            summary.entities[entity.label] = summary.entities.get(entity.label, 0) + 1
        advance()
    return summary


def article_warning(name: str, article: TaggedArticle) -> str | None:
    """Why an article's (lack of) entities may mislead: it is blank, or the model cannot read it."""
    if not article.text.strip():
        return f"{name}: empty article; no entities"
    if article.mostly_unknown:
        return (
            f"{name}: {article.unknown_share:.0%} of its characters are unknown to the model's vocabulary; "
            "its entities are unreliable (another language, or the wrong tokenizer files?)"
        )
    return None
