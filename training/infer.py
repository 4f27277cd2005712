"""Tag raw articles with a trained model; offsets always point into the caller's text.

raw text → normalise (offset map) → simplified view → character ids → windows
→ model → per-character tags (each character takes the window where it sits
furthest from an edge, so an entity on a window edge is found once, whole)
→ spans, trimmed of edge punctuation as the spec says → raw offsets.

    from training.infer import Tagger
    tagger = Tagger.from_pretrained("models/xiezuo-small")
    for entity in tagger("廣 州市白雲區對口幫扶平塘縣").entities:
        print(entity.label, entity.text, entity.start, entity.end, entity.score)

`Tagger.from_pretrained(path, runtime="onnx")` computes the emissions with ONNX Runtime
(`xiezuo-ner export --model M --onnx` writes the file; see training/onnx_export.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from training.annotations import trim_edges
from training.choices import DEFAULT_BATCH_SIZE
from training.errors import XiezuoError
from training.lexicon import default_lexicon
from training.modeling import character_positions, crf_view, load_trained
from training.tags import spans_from_tags, tag_labels
from training.text import normalise, simplified_view
from training.vocab import CharVocab
from training.windows import SPECIAL_TOKENS, encode_window, windows

if TYPE_CHECKING:
    import onnxruntime

logger = logging.getLogger(__name__)
DEFAULT_OVERLAP = 64  # characters; an entity cut by one window is whole in its neighbour
SORT_BATCHES = 8  # windows are sorted by length within this many batches: less padding, memory still bounded


@dataclass(frozen=True)
class Entity:
    start: int  # offsets into the text the caller gave: text[start:end] == self.text
    end: int
    label: str
    text: str
    score: float  # mean probability of the entity's character tags

    def to_dict(self) -> dict:
        return asdict(self)


UNKNOWN_WARNING_SHARE = 0.3  # above this share of unknown characters, an article's entities are unreliable


@dataclass(frozen=True)
class TaggedArticle:
    text: str
    entities: list[Entity]
    unknown_share: float = 0.0  # of its non-space characters, the share the model's vocabulary does not know

    @property
    def mostly_unknown(self) -> bool:
        return self.unknown_share > UNKNOWN_WARNING_SHARE


def pick_device(requested: str | None = None) -> torch.device:
    if requested:
        return torch.device(requested)
    if torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def bf16_capable(device: torch.device) -> bool:
    return device.type == "cuda" and torch.cuda.is_bf16_supported()


class Tagger:
    """A trained token classifier wrapped for whole articles of any length."""

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        model_version: str,
        batch_size: int = DEFAULT_BATCH_SIZE,
        device: str | None = None,
        session: onnxruntime.InferenceSession | None = None,
    ):
        if batch_size < 1:
            raise XiezuoError(f"batch size must be at least 1, not {batch_size}")
        self.device = pick_device(device) if session is None else torch.device("cpu")
        self.session = session  # ONNX Runtime computes the emissions; the CRF still decodes them here
        self.model = model.to(self.device).eval()
        self.vocab = CharVocab(tokenizer)
        self.model_version = model_version
        self.batch_size = batch_size
        config = model.config
        self.tag_names = [config.id2label[index] for index in range(config.num_labels)]
        self.labels = tag_labels(self.tag_names)
        self.max_chars, self.overlap = window_size(config)
        self.use_crf = getattr(config, "use_crf", False) and hasattr(model, "crf")
        self.lexicon = default_lexicon() if getattr(config, "lexicon_features", 0) else None
        if self.lexicon is not None and getattr(config, "lexicon_fingerprint", None) != self.lexicon.fingerprint:
            logger.warning(
                "the installed dictionaries (jieba, cpca) differ from those the model was trained with; its lexicon features differ too"
            )
        self.autocast = bf16_capable(self.device)

    @classmethod
    def from_pretrained(
        cls, path: str | Path, batch_size: int = DEFAULT_BATCH_SIZE, device: str | None = None, runtime: str = "torch"
    ) -> Tagger:
        tokenizer, model = load_trained(Path(path))
        session = None
        if runtime != "torch":
            from training.onnx_export import load_session

            session = load_session(Path(path), runtime)
        return cls(
            model, tokenizer, model_version=Path(path).name, batch_size=batch_size, device=device, session=session
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

    def _windows(
        self, texts: list[str], encoded: list[tuple[list[int], list[int] | None]]
    ) -> Iterator[tuple[tuple[int, int, int], dict[str, list[int]]]]:
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
        group: list[tuple[tuple[int, int, int], dict[str, list[int]]]] = []
        for item in self._windows(texts, encoded):
            group.append(item)
            if len(group) == self.batch_size * SORT_BATCHES:
                yield from self._sorted_forward(group)
                group = []
        if group:
            yield from self._sorted_forward(group)

    def _sorted_forward(self, group: list[tuple[tuple[int, int, int], dict[str, list[int]]]]) -> Iterable:
        group.sort(key=lambda item: len(item[1]["input_ids"]))
        for start in range(0, len(group), self.batch_size):
            yield from self._forward(group[start : start + self.batch_size])

    @torch.inference_mode()
    def _forward(self, batch: list[tuple[tuple[int, int, int], dict[str, list[int]]]]) -> Iterable:
        inputs = pad_batch([example for _, example in batch], self.vocab.pad_id, self.device)
        if self.session is not None:
            logits = torch.from_numpy(
                self.session.run(None, {name: tensor.numpy() for name, tensor in inputs.items()})[0]
            )
        else:
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.autocast):
                logits = self.model(**inputs).logits.float()  # (B, L, T)
        emissions, mask = crf_view(logits, character_positions(inputs["attention_mask"]))  # character i is position i
        probabilities = emissions.softmax(-1)
        if self.use_crf:
            tags = self.model.crf.decode(emissions, mask)
        else:
            tags = probabilities.argmax(-1)
        chosen = probabilities.gather(2, tags.unsqueeze(2)).squeeze(2)
        tags, chosen = tags.cpu().numpy(), chosen.cpu().numpy()
        for row, (window, example) in enumerate(batch):
            length = len(example["input_ids"]) - SPECIAL_TOKENS
            yield window, tags[row, :length], chosen[row, :length]


def window_size(config) -> tuple[int, int]:
    """(characters per window, overlap) as in training; models trained elsewhere get the position limit."""
    max_chars = min(getattr(config, "window_max_length", 512), config.max_position_embeddings) - SPECIAL_TOKENS
    return max_chars, getattr(config, "window_overlap", min(DEFAULT_OVERLAP, max_chars // 4))


def pad_batch(examples: list[dict[str, list[int]]], pad_id: int, device: torch.device) -> dict[str, torch.Tensor]:
    """Encoded windows as one padded batch: `pad_id` after the ids, 0 after the mask and the lexicon flags."""
    width = max(len(example["input_ids"]) for example in examples)
    input_ids = np.full(
        (len(examples), width), pad_id, dtype=np.int64
    )  # numpy rows, one tensor each: cheaper than a tensor per row
    attention_mask = np.zeros((len(examples), width), dtype=np.int64)
    flags = np.zeros((len(examples), width), dtype=np.int64) if "lexicon_flags" in examples[0] else None
    for row, example in enumerate(examples):
        input_ids[row, : len(example["input_ids"])] = example["input_ids"]
        attention_mask[row, : len(example["input_ids"])] = 1
        if flags is not None:
            flags[row, : len(example["lexicon_flags"])] = example["lexicon_flags"]
    batch = {
        "input_ids": torch.from_numpy(input_ids).to(device),
        "attention_mask": torch.from_numpy(attention_mask).to(device),
    }
    if flags is not None:
        batch["lexicon_flags"] = torch.from_numpy(flags).to(device)
    return batch
