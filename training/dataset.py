"""Annotated documents → character tags → windows of token ids → a `datasets.Dataset`.

Token *i* of a window is character *i* of that stretch of text (see
`vocab.CharVocab`); windows prefer to end at a sentence end and never cut a
gold entity. Splits are by document, never by window.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
from functools import lru_cache
from pathlib import Path

import datasets

from training.annotations import Document
from training.errors import XiezuoError
from training.lexicon import Lexicon
from training.tags import char_tags
from training.text import simplified_view
from training.vocab import CharVocab
from training.windows import SPECIAL_TOKENS, encode_window, windows


def document_examples(
    document: Document,
    vocab: CharVocab,
    tags: list[str],
    scheme: str,
    max_length: int,
    overlap: int,
    lexicon: Lexicon | None = None,
) -> list[dict]:
    label2id = {tag: index for index, tag in enumerate(tags)}
    view = simplified_view(document.text)
    char_ids = vocab.encode(view)
    flags = lexicon.features(view).tolist() if lexicon is not None else None
    tag_ids = [label2id[tag] for tag in char_tags(len(document.text), document.spans, scheme)]
    examples = []
    for start, end in windows(len(document.text), max_length - SPECIAL_TOKENS, overlap, document.text, document.spans):
        example = encode_window(
            char_ids[start:end], vocab, tag_ids[start:end], flags[start:end] if flags is not None else None
        )
        examples.append({**example, "doc_id": document.doc_id, "char_start": start})
    return examples


def cache_dir() -> Path:
    return Path(os.environ.get("XIEZUO_CACHE", Path.home() / ".cache" / "xiezuo-ner")) / "datasets"


# The modules whose code turns documents into windows; augmented copies arrive as documents, hashed by content.
WINDOW_CODE = ("dataset.py", "windows.py", "tags.py", "text.py", "vocab.py", "lexicon.py")


@lru_cache(maxsize=1)
def window_code_hash() -> str:
    """A hash of the code that makes windows: a change to it never reuses cached windows."""
    digest = hashlib.sha256()
    for name in WINDOW_CODE:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


def documents_digest(documents: list[Document]):
    """A running hash of documents' ids, texts and spans, in doc id order (any order of loading gives the same)."""
    digest = hashlib.sha256()
    for document in sorted(documents, key=lambda d: d.doc_id):
        digest.update(
            json.dumps(
                [document.doc_id, document.text, [[s.start, s.end, s.label] for s in document.spans]],
                ensure_ascii=False,
            ).encode()
        )
    return digest


def data_hash(documents: list[Document], vocab: CharVocab, settings: dict) -> str:
    """A hash of everything a dataset is built from: texts, spans, vocabulary and window settings."""
    digest = documents_digest(documents)
    digest.update(json.dumps(sorted(vocab.vocab.items()), ensure_ascii=False).encode())
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def build_dataset(
    documents: list[Document],
    vocab: CharVocab,
    tags: list[str],
    scheme: str,
    max_length: int,
    overlap: int,
    lexicon: Lexicon | None = None,
) -> datasets.Dataset:
    """Windows of all `documents`, labelled with indices into `tags`, cached on disk under a hash of the inputs and settings."""
    settings = {
        "tags": tags,
        "scheme": scheme,
        "max_length": max_length,
        "overlap": overlap,
        "code": window_code_hash(),
        "lexicon": lexicon.fingerprint if lexicon is not None else None,
    }
    path = cache_dir() / data_hash(documents, vocab, settings)
    if path.is_dir():
        return datasets.load_from_disk(str(path))
    rows = [
        example
        for document in documents
        for example in document_examples(document, vocab, tags, scheme, max_length, overlap, lexicon)
    ]
    dataset = datasets.Dataset.from_list(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + f".tmp{os.getpid()}")
    dataset.save_to_disk(str(temporary))  # written aside, renamed: a killed run leaves no half cache
    if path.exists():  # another process built the same data meanwhile
        shutil.rmtree(temporary)
    else:
        os.replace(temporary, path)
    return datasets.load_from_disk(str(path))


def select(documents: list[Document], names: list[str]) -> list[Document]:
    """The documents a split names: each name is a doc id, or a task file's stem for all of its documents."""
    by_id = {document.doc_id: [document] for document in documents}
    by_file: dict[str, list[Document]] = {}
    for document in documents:
        if document.path is not None:
            by_file.setdefault(document.path.stem, []).append(document)
    missing = [name for name in names if name not in by_id and name not in by_file]
    if missing:
        known = sorted(by_id) if len(by_id) <= 20 else sorted(by_file)
        raise XiezuoError(f"split names unknown document(s) {missing}; known: {known}")
    return [document for name in names for document in by_id.get(name) or by_file[name]]


def folds(doc_ids: list[str], k: int, seed: int, dev: bool = False) -> list[dict[str, list[str]]]:
    """k-fold by document: each fold tests on its documents and trains on the rest.

    With `dev`, the next fold's documents are held out of training for early stopping.
    """
    if not 2 <= k <= len(doc_ids):
        raise XiezuoError(f"--folds must be between 2 and the number of documents ({len(doc_ids)}), got {k}")
    shuffled = sorted(doc_ids)
    random.Random(seed).shuffle(shuffled)
    groups = [shuffled[index::k] for index in range(k)]
    result = []
    for index in range(k):
        test, held = groups[index], (groups[(index + 1) % k] if dev and k > 2 else [])
        train = [doc_id for group in groups for doc_id in group if doc_id not in test and doc_id not in held]
        result.append({"train": train, "dev": held, "test": test})
    return result
