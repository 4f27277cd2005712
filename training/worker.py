"""The body of a `--workers` process: a Tagger loaded once, texts in, entities out. It watches its parent
from the first instant (before torch is imported, which takes seconds), and ends when the parent is gone.

Kept apart from training/stream.py so that a spawned worker unpickles its entry points from a module
that imports nothing heavy at the top.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

PARENT_CHECK_SECONDS = 0.5  # how soon a worker notices that its parent was killed

_tagger = None  # this process's Tagger, loaded by `start`


def die_with(parent: int) -> None:
    """End this process when its parent is gone (killed with -9, or SIGTERM without cleanup): it is then
    re-parented, so its parent id changes. Without this, workers outlive a killed run for minutes."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def start(model: Path, batch_size: int, runtime: str, threads: int, parent: int) -> None:
    die_with(parent)
    from training.display import quiet_libraries
    from training.taggers import load_tagger

    global _tagger
    if runtime == "torch":
        quiet_libraries()
    _tagger = load_tagger(model, runtime, batch_size=batch_size, device="cpu", threads=threads)


def results(articles: list) -> list[tuple[list, float]]:
    """An article's entities and its share of unknown characters: all a worker sends back."""
    return [(article.entities, article.unknown_share) for article in articles]


def tag_texts(texts: list[str]) -> list[tuple[list, float]]:
    return results(_tagger.tag_batch(texts))
