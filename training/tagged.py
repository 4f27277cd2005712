"""Whole articles through a window model, whatever computes the windows' tags: the part of every
tagger that needs neither torch nor transformers (training/infer.py runs torch, training/onnx_runtime.py
ONNX Runtime).

raw text → normalise (offset map) → simplified view → character ids → windows
→ `_forward` (a batch of windows → tag and probability per character; each character takes the
window where it sits furthest from an edge, so an entity on a window edge is found once, whole)
→ spans, trimmed of edge punctuation as the spec says → raw offsets.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

import numpy as np

from training.annotations import trim_edges
from training.choices import DEFAULT_BATCH_SIZE
from training.errors import XiezuoError
from training.lexicon import default_lexicon
from training.tags import spans_from_tags, tag_labels
from training.text import normalise, simplified_view
from training.vocab import CharVocab
from training.windows import SPECIAL_TOKENS, encode_window, windows

logger = logging.getLogger(__name__)
DEFAULT_OVERLAP = 64  # characters; an entity cut by one window is whole in its neighbour
SORT_BATCHES = 8  # windows are sorted by length within this many batches: less padding, memory still bounded
UNKNOWN_WARNING_SHARE = 0.3  # above this share of unknown characters, an article's entities are unreliable

Window = tuple[tuple[int, int, int], dict[str, list[int]]]  # (document index, start, end), encoded window


@dataclass(frozen=True)
class Entity:
    start: int  # offsets into the text the caller gave: text[start:end] == self.text
    end: int
    label: str
    text: str
    score: float  # mean probability of the entity's character tags

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TaggedArticle:
    text: str
    entities: list[Entity]
    unknown_share: float = 0.0  # of its non-space characters, the share the model's vocabulary does not know

    @property
    def mostly_unknown(self) -> bool:
        return self.unknown_share > UNKNOWN_WARNING_SHARE


def window_size(config: dict) -> tuple[int, int]:
    """(characters per window, overlap) as in training, from a model's config (config.json's keys);
    models trained elsewhere get the position limit."""
    max_chars = min(config.get("window_max_length", 512), config.get("max_position_embeddings", 512)) - SPECIAL_TOKENS
    return max_chars, config.get("window_overlap", min(DEFAULT_OVERLAP, max_chars // 4))


def pad_arrays(examples: list[dict[str, list[int]]], pad_id: int) -> dict[str, np.ndarray]:
    """Encoded windows as one padded batch of int64 arrays: `pad_id` after the ids, 0 after the mask and flags."""
    width = max(len(example["input_ids"]) for example in examples)
    input_ids = np.full((len(examples), width), pad_id, dtype=np.int64)
    attention_mask = np.zeros((len(examples), width), dtype=np.int64)
    flags = np.zeros((len(examples), width), dtype=np.int64) if "lexicon_flags" in examples[0] else None
    for row, example in enumerate(examples):
        input_ids[row, : len(example["input_ids"])] = example["input_ids"]
        attention_mask[row, : len(example["input_ids"])] = 1
        if flags is not None:
            flags[row, : len(example["lexicon_flags"])] = example["lexicon_flags"]
    batch = {"input_ids": input_ids, "attention_mask": attention_mask}
    if flags is not None:
        batch["lexicon_flags"] = flags
    return batch


class WindowTagger:
    """A trained token classifier wrapped for whole articles of any length; subclasses give `_forward`."""

    def __init__(self, config: dict, vocab: CharVocab, model_version: str, batch_size: int = DEFAULT_BATCH_SIZE):
        """`config`: the model folder's config.json (as `shipped.check_model_folder` returns it)."""
        if batch_size < 1:
            raise XiezuoError(f"batch size must be at least 1, not {batch_size}")
        self.vocab = vocab
        self.model_version = model_version
        self.batch_size = batch_size
        id2label = {
            str(key): tag for key, tag in config["id2label"].items()
        }  # JSON keys are strings; a config object's ints
        self.tag_names = [id2label[str(index)] for index in range(len(id2label))]
        self.labels = tag_labels(self.tag_names)
        self.max_chars, self.overlap = window_size(config)
        self.lexicon = default_lexicon() if config.get("lexicon_features", 0) else None
        if self.lexicon is not None and config.get("lexicon_fingerprint") != self.lexicon.fingerprint:
            logger.warning(
                "the installed dictionaries (jieba, cpca) differ from those the model was trained with; its lexicon features differ too"
            )

    def __call__(self, text: str) -> TaggedArticle:
        return self.tag_batch([text])[0]

    def tag_batch(self, texts: list[str]) -> list[TaggedArticle]:
        """Tag raw articles; every entity satisfies text[start:end] == entity.text."""
        normalised = [normalise(text) for text in texts]
        encoded = [self._encode(item.text) for item in normalised]
        results = self._predict([item.text for item in normalised], encoded)
        articles = []
        for raw, item, entities, (char_ids, _) in zip(texts, normalised, results, encoded):
            mapped = []
            for entity in entities:
                start, end = item.to_raw(entity.start, entity.end)
                mapped.append(Entity(start, end, entity.label, raw[start:end], entity.score))
            articles.append(TaggedArticle(raw, mapped, self.unknown_share(char_ids)))
        return articles

    def unknown_share(self, char_ids: list[int]) -> float:
        """The share of a text's characters, spaces and controls aside, that the vocabulary maps to [UNK]."""
        visible = len(char_ids) - char_ids.count(self.vocab.whitespace_id)
        return char_ids.count(self.vocab.unk_id) / visible if visible else 0.0

    def predict_normalised(self, texts: list[str]) -> list[list[Entity]]:
        """Entities with offsets into already-normalised texts (gold documents are stored normalised)."""
        return self._predict(texts, [self._encode(text) for text in texts])

    def _encode(self, text: str) -> tuple[list[int], list[int] | None]:
        """Character ids and lexicon flags of a text, both read on its simplified view."""
        view = simplified_view(text)
        return self.vocab.encode(view), self.lexicon.features(view).tolist() if self.lexicon is not None else None

    def _predict(self, texts: list[str], encoded: list[tuple[list[int], list[int] | None]]) -> list[list[Entity]]:
        char_tags = [np.zeros(len(text), dtype=np.int16) for text in texts]
        char_probs = [np.zeros(len(text), dtype=np.float32) for text in texts]
        edge_distance = [np.full(len(text), -1, dtype=np.int32) for text in texts]
        for (doc_index, start, end), tags, probs in self._window_predictions(texts, encoded):
            positions = np.arange(start, end)
            left = positions - start if start > 0 else np.full(end - start, 1 << 30)
            right = end - 1 - positions if end < len(texts[doc_index]) else np.full(end - start, 1 << 30)
            distance = np.minimum(left, right)
            better = distance > edge_distance[doc_index][start:end]
            edge_distance[doc_index][start:end][better] = distance[better]
            char_tags[doc_index][start:end][better] = tags[better]
            char_probs[doc_index][start:end][better] = probs[better]
        results = []
        for text, tags, probs in zip(texts, char_tags, char_probs):
            entities = []
            for span in spans_from_tags([self.tag_names[tag] for tag in tags], text):
                # The spec keeps punctuation outside spans; a model trained from scratch sometimes takes one in.
                start, end = trim_edges(text, span.start, span.end)
                if start < end:
                    entities.append(
                        Entity(start, end, span.label, text[start:end], round(float(probs[start:end].mean()), 4))
                    )
            results.append(entities)
        return results

    def _windows(self, texts: list[str], encoded: list[tuple[list[int], list[int] | None]]) -> Iterator[Window]:
        """(document index, start, end) and the encoded window, for every window of every text (`encoded`: `_encode`'s)."""
        for doc_index, (text, (char_ids, flags)) in enumerate(zip(texts, encoded)):
            for start, end in windows(len(text), self.max_chars, self.overlap, text):
                window_flags = flags[start:end] if flags is not None else None
                yield (
                    (doc_index, start, end),
                    encode_window(char_ids[start:end], self.vocab, lexicon_flags=window_flags),
                )

    def _window_predictions(
        self, texts: list[str], encoded: list[tuple[list[int], list[int] | None]]
    ) -> Iterator[tuple[tuple[int, int, int], np.ndarray, np.ndarray]]:
        """(window, tag id per character, probability of that tag) for every window, batch by batch;
        windows of many texts share a batch, and batches hold windows of like length."""
        group: list[Window] = []
        for item in self._windows(texts, encoded):
            group.append(item)
            if len(group) == self.batch_size * SORT_BATCHES:
                yield from self._sorted_forward(group)
                group = []
        if group:
            yield from self._sorted_forward(group)

    def _sorted_forward(self, group: list[Window]) -> Iterable:
        group.sort(key=lambda item: len(item[1]["input_ids"]))
        for start in range(0, len(group), self.batch_size):
            batch = group[start : start + self.batch_size]
            tags, chosen = self._forward(pad_arrays([example for _, example in batch], self.vocab.pad_id))
            for row, (window, example) in enumerate(batch):
                length = len(example["input_ids"]) - SPECIAL_TOKENS
                yield window, tags[row, :length], chosen[row, :length]

    def _forward(self, inputs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """A padded batch of windows → (tag id, its probability) per position after [CLS], as arrays (B, L-1)."""
        raise NotImplementedError
