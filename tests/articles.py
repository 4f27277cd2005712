"""Real articles for the corpus-tagging tests: the seeds (raw) and the written corpus's paragraphs."""

from __future__ import annotations

import json
from pathlib import Path

from training.annotations import load_tasks
from training.text import read_article

PROJECT = Path(__file__).resolve().parent.parent


def seed_texts() -> list[str]:
    return [read_article(path) for path in sorted((PROJECT / "seeds").glob("*.txt"))]


def corpus_paragraphs(limit: int) -> list[str]:
    """Paragraphs of the written corpus: short articles of 40 to a few hundred characters."""
    documents = [
        document
        for path in sorted((PROJECT / "annotations" / "corpus").glob("*.json"))
        for document in load_tasks(path)
    ]
    paragraphs = [line for document in documents for line in document.text.split("\n") if len(line.strip()) >= 40]
    return paragraphs[:limit]


def write_jsonl(path: Path, texts: list[str], prefix: str = "a") -> list[str]:
    """One record per text (`id`, `text`, a passed-through `site`); the ids written."""
    ids = [f"{prefix}{index:04d}" for index in range(len(texts))]
    with path.open("w", encoding="utf-8") as out:
        for record_id, text in zip(ids, texts):
            out.write(json.dumps({"id": record_id, "text": text, "site": "example.cn"}, ensure_ascii=False) + "\n")
    return ids


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
