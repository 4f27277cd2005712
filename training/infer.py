"""Tag raw articles with a trained model on PyTorch; offsets always point into the caller's text.

    from training.infer import Tagger
    tagger = Tagger.from_pretrained("models/xiezuo-small")
    for entity in tagger("廣 州市白雲區對口幫扶平塘縣").entities:
        print(entity.label, entity.text, entity.start, entity.end, entity.score)

The article → windows → spans work is `training.tagged.WindowTagger`'s; this module adds the torch
forward and the CRF decode. `Tagger.from_pretrained(path, runtime="onnx")` (or "onnx-int8") returns
the ONNX Runtime tagger of training/onnx_runtime.py, which has the same methods and loads no torch
when imported on its own (`training.taggers.load_tagger`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from training.choices import DEFAULT_BATCH_SIZE
from training.modeling import character_positions, crf_view, load_trained
from training.tagged import (  # noqa: F401  (re-exported: callers import them from here)
    DEFAULT_OVERLAP,
    UNKNOWN_WARNING_SHARE,
    Entity,
    TaggedArticle,
    WindowTagger,
    pad_arrays,
    window_size,
)
from training.vocab import CharVocab


def pick_device(requested: str | None = None) -> torch.device:
    if requested:
        return torch.device(requested)
    if torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def bf16_capable(device: torch.device) -> bool:
    return device.type == "cuda" and torch.cuda.is_bf16_supported()


class Tagger(WindowTagger):
    """A trained token classifier on PyTorch, wrapped for whole articles of any length."""

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        model_version: str,
        batch_size: int = DEFAULT_BATCH_SIZE,
        device: str | None = None,
    ):
        config = model.config.to_dict()
        super().__init__(config, CharVocab(tokenizer), model_version, batch_size)
        self.device = pick_device(device)
        self.model = model.to(self.device).eval()
        self.use_crf = config.get("use_crf", False) and hasattr(model, "crf")
        self.autocast = bf16_capable(self.device)

    @classmethod
    def from_pretrained(
        cls, path: str | Path, batch_size: int = DEFAULT_BATCH_SIZE, device: str | None = None, runtime: str = "torch"
    ) -> WindowTagger:
        """The torch Tagger of a model folder; with runtime onnx or onnx-int8, its ONNX Runtime tagger."""
        if runtime != "torch":
            from training.onnx_runtime import OnnxTagger

            return OnnxTagger.from_pretrained(Path(path), runtime, batch_size=batch_size)
        tokenizer, model = load_trained(Path(path))
        return cls(model, tokenizer, model_version=Path(path).name, batch_size=batch_size, device=device)

    @torch.inference_mode()
    def _forward(self, inputs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        tensors = {name: torch.from_numpy(array).to(self.device) for name, array in inputs.items()}
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.autocast):
            logits = self.model(**tensors).logits.float()  # (B, L, T)
        emissions, mask = crf_view(logits, character_positions(tensors["attention_mask"]))  # character i is position i
        probabilities = emissions.softmax(-1)
        tags = self.model.crf.decode(emissions, mask) if self.use_crf else probabilities.argmax(-1)
        chosen = probabilities.gather(2, tags.unsqueeze(2)).squeeze(2)
        return tags.cpu().numpy(), chosen.cpu().numpy()


def pad_batch(examples: list[dict[str, list[int]]], pad_id: int, device: torch.device) -> dict[str, torch.Tensor]:
    """Encoded windows as one padded batch of tensors on `device` (`tagged.pad_arrays`, moved)."""
    return {name: torch.from_numpy(array).to(device) for name, array in pad_arrays(examples, pad_id).items()}
