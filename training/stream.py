"""Tag a corpus as a stream: articles in chunks, the windows of a whole chunk sharing batches, results
in input order, memory flat in the corpus size; on one process or on `workers` processes.

A chunk holds about `CHUNK_BATCHES` batches of characters (a 300-character article fills 6 of 128
slots alone; a chunk of them fills every slot). With workers, the reader keeps at most
`2 × workers` chunks in flight and writes each chunk's results when its turn comes, so order is kept
and nothing piles up. Each process gets `cores // workers` threads (at least one): on two cores, two
processes of two threads each run many times slower than one.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from training import worker
from training.choices import DEFAULT_BATCH_SIZE
from training.errors import XiezuoError
from training.records import BadRecord, Record
from training.shipped import check_model_folder
from training.tagged import Entity, TaggedArticle, WindowTagger, window_size

CHUNK_BATCHES = 4  # batches of windows per chunk of articles: full batches, little held in memory

Item = Record | BadRecord


def chunk_chars(model: Path, batch_size: int) -> int:
    return batch_size * window_size(check_model_folder(model))[0] * CHUNK_BATCHES


def chunks(items: Iterable[Item], max_chars: int) -> Iterator[list[Item]]:
    """Consecutive items in groups of about `max_chars` characters of text (a long article alone)."""
    group: list[Item] = []
    size = 0
    for item in items:
        group.append(item)
        size += len(item.text) if isinstance(item, Record) else 0
        if size >= max_chars:
            yield group
            group, size = [], 0
    if group:
        yield group


Tagged = tuple[
    list[Entity], float
]  # an article's entities and its share of unknown characters: all a worker sends back


def _assemble(group: list[Item], results: list[Tagged]) -> Iterator[tuple[Record, TaggedArticle] | BadRecord]:
    found = iter(results)
    for item in group:
        yield item if isinstance(item, BadRecord) else (item, TaggedArticle(item.text, *next(found)))


def _texts(group: list[Item]) -> list[str]:
    return [item.text for item in group if isinstance(item, Record)]


def tag_stream(tagger: WindowTagger, items: Iterable[Item]) -> Iterator[tuple[Record, TaggedArticle] | BadRecord]:
    """Each record with its tagged article (bad records as they came), in input order, on this process."""
    max_chars = tagger.batch_size * tagger.max_chars * CHUNK_BATCHES
    for group in chunks(items, max_chars):
        yield from _assemble(group, worker.results(tagger.tag_batch(_texts(group))))


def threads_per_worker(workers: int) -> int:
    return max(1, len(os.sched_getaffinity(0)) // workers)


def tag_stream_parallel(
    model: Path, items: Iterable[Item], workers: int, batch_size: int = DEFAULT_BATCH_SIZE, runtime: str = "torch"
) -> Iterator[tuple[Record, TaggedArticle] | BadRecord]:
    """`tag_stream` on `workers` processes, results in input order. Processes are spawned (a forked torch
    can hang) and a worker that dies stops the run with an error (a `multiprocessing.Pool` would wait)."""
    max_chars = chunk_chars(model, batch_size)
    context = multiprocessing.get_context("spawn")
    initargs = (model, batch_size, runtime, threads_per_worker(workers), os.getpid())
    with ProcessPoolExecutor(workers, mp_context=context, initializer=worker.start, initargs=initargs) as pool:
        pending: deque = deque()
        try:
            for group in chunks(items, max_chars):
                pending.append((group, pool.submit(worker.tag_texts, _texts(group))))
                if len(pending) > 2 * workers:
                    group, result = pending.popleft()
                    yield from _assemble(group, result.result())
            while pending:
                group, result = pending.popleft()
                yield from _assemble(group, result.result())
        except BrokenProcessPool:
            raise XiezuoError(
                "a tagging worker stopped (killed, or out of memory); rerun with --resume, fewer --workers or a smaller --batch-size"
            ) from None
