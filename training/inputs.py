"""What a user names on the command line, before anything is read: files, folders, globs, `-` (standard
input) and URIs, sorted into kinds (text, JSON lines, Parquet); and the check that `--out` is none of them."""

from __future__ import annotations

import glob
import sys
from pathlib import Path

from training.errors import XiezuoError
from training.text import decode_article, read_article

STDIN = "-"
STDIN_NAME = "<stdin>"
JSONL_SUFFIXES = (".jsonl", ".ndjson")
PARQUET_SUFFIX = ".parquet"


def is_uri(item: str) -> bool:
    return "://" in item


def input_kind(item: str) -> str:
    """jsonl, parquet or text, by the name (a folder holding Parquet files is parquet): the one rule."""
    lowered = item.rstrip("/").lower()
    if lowered.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if lowered.endswith(PARQUET_SUFFIX):
        return "parquet"
    if not is_uri(item) and Path(item).is_dir() and any(Path(item).glob(f"*{PARQUET_SUFFIX}")):
        return "parquet"
    return "text"


def expand_inputs(items: list[str]) -> list[str]:
    """Files as given, folders of text searched recursively for *.txt, globs expanded (quoted ones too), `-` once.
    A folder of Parquet files and a URI stay one input each."""
    if items.count(STDIN) > 1:
        raise XiezuoError("standard input (-) can be named only once")
    inputs: list[str] = []
    for item in items:
        path = Path(item)
        if item == STDIN or is_uri(item) or input_kind(item) == "parquet":
            inputs.append(item)
        elif path.is_dir():
            inputs.extend(str(found) for found in sorted(path.rglob("*.txt")) if found.is_file())
        elif any(char in item for char in "*?[") and not path.exists():
            inputs.extend(sorted(glob.glob(item, recursive=True)))
        else:
            inputs.append(item)  # a missing file is reported when it is read, after the others are tagged
    return inputs


def read_input(item: str) -> tuple[str, str]:
    """(name, text) of a text file or of standard input, read as UTF-8 bytes with the same checks."""
    if item == STDIN:
        return STDIN_NAME, decode_article(sys.stdin.buffer.read(), STDIN_NAME)
    return item, read_article(Path(item))


def check_output(out: Path, items: list[str], folder: bool = False) -> None:
    """Refuse an output that is an input, lies inside an input folder, or cannot be written, before any work.

    `folder`: the output is a folder of parts (Parquet), created if missing; otherwise a file.
    """
    if out.is_dir() and not folder:
        raise XiezuoError(f"--out {out}: is a folder; name a file")
    if not out.parent.is_dir():
        raise XiezuoError(f"--out {out}: folder {out.parent} does not exist")
    target = out.resolve()
    for item in items:
        if item == STDIN or is_uri(item):
            continue
        given = Path(item).resolve()
        if given == target:
            raise XiezuoError(f"--out {out}: is also an input; writing it would destroy the articles")
        if Path(item).is_dir() and given in target.parents:
            raise XiezuoError(f"--out {out}: is inside the input folder {item}; it would be read back as an input")
