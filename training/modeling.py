"""The model: a BERT token classifier, pretrained (hub id / local folder) or built from scratch.

One token per character (`training.vocab.CharVocab`), so labels never drift.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path
from urllib.parse import urlparse

import torch
from huggingface_hub import try_to_load_from_cache
from safetensors import SafetensorError
from torch import nn
from transformers import (
    AutoConfig,
    AutoModelForTokenClassification,
    AutoTokenizer,
    BertConfig,
    BertForTokenClassification,
    BertTokenizerFast,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)
from transformers.modeling_outputs import TokenClassifierOutput

from training.config import ModelConfig, ScratchEncoder
from training.errors import XiezuoError, first_line
from training.lexicon import NUM_FEATURES
from training.shipped import check_model_folder
from training.tags import tag_labels
from training.vocab import write_char_vocab
from training.windows import IGNORE_INDEX

logger = logging.getLogger(__name__)


class CRF(nn.Module):
    """Linear-chain CRF over tag emissions, with batched forward algorithm and Viterbi.

    Masks must be a contiguous prefix per row (the characters of a window).
    """

    def __init__(self, num_tags: int):
        super().__init__()
        self.start = nn.Parameter(torch.zeros(num_tags))
        self.end = nn.Parameter(torch.zeros(num_tags))
        self.transitions = nn.Parameter(torch.zeros(num_tags, num_tags))  # [from, to]

    def neg_log_likelihood(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean over the batch. emissions (B, L, T), tags (B, L), mask (B, L) bool."""
        emissions = emissions.float()
        batch = torch.arange(emissions.size(0), device=emissions.device)
        score = self.start[tags[:, 0]] + emissions[batch, 0, tags[:, 0]]
        log_z = self.start + emissions[:, 0]  # (B, T)
        for position in range(1, emissions.size(1)):
            step = mask[:, position]
            transition = self.transitions[tags[:, position - 1], tags[:, position]]
            emission = emissions[batch, position, tags[:, position]]
            score = score + (transition + emission) * step
            next_log_z = torch.logsumexp(
                log_z.unsqueeze(2) + self.transitions + emissions[:, position].unsqueeze(1), dim=1
            )
            log_z = torch.where(step.unsqueeze(1), next_log_z, log_z)
        last_tags = tags[batch, mask.sum(1) - 1]
        score = score + self.end[last_tags]
        log_z = torch.logsumexp(log_z + self.end, dim=1)
        return (log_z - score).mean()

    def decode(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Best tag sequence per row (B, L); positions outside the mask are 0."""
        emissions = emissions.float()
        best = self.start + emissions[:, 0]  # (B, T)
        backpointers = []
        for position in range(1, emissions.size(1)):
            candidates = best.unsqueeze(2) + self.transitions  # (B, from, to)
            scores, pointers = candidates.max(dim=1)
            step = mask[:, position].unsqueeze(1)
            best = torch.where(step, scores + emissions[:, position], best)
            backpointers.append(torch.where(step, pointers, torch.arange(best.size(1), device=best.device)))
        best = best + self.end
        path = [best.argmax(dim=1)]
        for pointers in reversed(backpointers):
            path.append(pointers.gather(1, path[-1].unsqueeze(1)).squeeze(1))
        tags = torch.stack(list(reversed(path)), dim=1)
        return tags * mask


def character_positions(attention_mask: torch.Tensor) -> torch.Tensor:
    """(B, L) bool, True at the characters of each encoded window: after [CLS], before [SEP] and padding."""
    positions = torch.arange(attention_mask.size(1), device=attention_mask.device)
    return (positions >= 1) & (positions < attention_mask.sum(1, keepdim=True) - 1)


def crf_view(logits: torch.Tensor, is_character: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Emissions (B, L-1, T) and mask (B, L-1) as the CRF takes them: [CLS] dropped, so the characters of each
    row are a prefix of it. `is_character` (B, L): `labels != IGNORE_INDEX`, or `character_positions(...)`."""
    return logits[:, 1:], is_character[:, 1:].bool()


class BertCrfForTokenClassification(BertForTokenClassification):
    """BERT emissions + CRF, with lexicon flags (`training.lexicon`) added to the character embeddings
    when `config.lexicon_features` is set. Loads as a plain BertForTokenClassification elsewhere (the
    CRF and the lexicon are then ignored, and a model trained with a lexicon loses what it gave)."""

    def __init__(self, config: BertConfig):
        super().__init__(config)
        self.crf = CRF(config.num_labels)
        size = getattr(config, "lexicon_features", 0)
        self.lexicon = nn.Linear(size, config.hidden_size, bias=False) if size else None
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        """A CRF missing from a checkpoint (an encoder or MLM folder) starts at zero, not in uninitialised memory."""
        if isinstance(module, CRF):
            for parameter in (module.start, module.end, module.transitions):
                nn.init.zeros_(parameter)
        else:
            super()._init_weights(module)

    def forward(
        self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None, lexicon_flags=None, **kwargs
    ):
        if self.lexicon is not None and lexicon_flags is not None:
            # Bits made here, not kept as a buffer: from_pretrained leaves unsaved buffers uninitialised.
            # Division, not `>>`: ONNX shifts only unsigned integers, and the exported graph is this one.
            powers = 2 ** torch.arange(self.lexicon.in_features, device=lexicon_flags.device)
            flags = ((lexicon_flags.unsqueeze(-1) // powers) % 2).to(self.lexicon.weight.dtype)  # (B, L, features)
            kwargs["inputs_embeds"] = self.bert.embeddings.word_embeddings(input_ids) + self.lexicon(flags)
            input_ids = None
        outputs = super().forward(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, **kwargs
        )
        loss = None
        if labels is not None:
            emissions, mask = crf_view(outputs.logits, labels != IGNORE_INDEX)
            loss = self.crf.neg_log_likelihood(emissions, labels[:, 1:].clamp(min=0), mask)
        return TokenClassifierOutput(loss=loss, logits=outputs.logits)


def char_tokenizer(corpus: list[str], vocab_file: Path) -> PreTrainedTokenizerBase:
    """Write the character vocabulary for `corpus` and load it as a BERT tokenizer."""
    write_char_vocab(corpus, vocab_file)
    tokenizer = BertTokenizerFast(
        vocab=str(vocab_file), do_lower_case=False, tokenize_chinese_chars=True, strip_accents=False
    )
    expected_size = len(vocab_file.read_text(encoding="utf-8").splitlines())
    if len(tokenizer.get_vocab()) != expected_size:  # guards against a tokenizer API that ignores the file
        raise XiezuoError(f"{vocab_file}: tokenizer loaded {len(tokenizer.get_vocab())} of {expected_size} tokens")
    return tokenizer


def scratch_bert_config(encoder: ScratchEncoder, vocab_size: int, dropout: float, **extra) -> BertConfig:
    """The BERT shape of `encoder`, for a token classifier or an MLM built from scratch."""
    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=encoder.hidden_size,
        num_hidden_layers=encoder.num_hidden_layers,
        num_attention_heads=encoder.num_attention_heads,
        intermediate_size=encoder.intermediate_size,
        max_position_embeddings=512,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
        **extra,
    )


def _hub_reachable(timeout: float = 5.0) -> bool:
    """One quick connection to the hub, so an offline machine fails in seconds, not after minutes of retries."""
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        return False
    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def _cached_locally(name: str) -> bool:
    return Path(name).is_dir() or isinstance(try_to_load_from_cache(name, "config.json"), str)


def _hub_error(name: str, reason: str) -> XiezuoError:
    return XiezuoError(
        f"cannot load model {name!r} ({reason}); download it on a "
        f"connected machine (`hf download {name} --local-dir models/{name.split('/')[-1]}`), copy that folder here and set "
        f"model.name_or_path to it, or train offline with configs/offline-small.yaml"
    )


def build_model(
    model_config: ModelConfig, label_names: list[str], corpus: list[str], work_dir: Path
) -> tuple[PreTrainedTokenizerBase, PreTrainedModel]:
    """A tokenizer and a token classifier with `label_names` as its id2label, ready to fine-tune."""
    id2label = dict(enumerate(label_names))
    label2id = {label: index for index, label in id2label.items()}
    model_class = BertCrfForTokenClassification if model_config.crf else AutoModelForTokenClassification
    if model_config.from_scratch is not None:
        tokenizer = char_tokenizer(corpus, work_dir / "vocab.txt")
        bert_config = scratch_bert_config(
            model_config.from_scratch,
            tokenizer.vocab_size,
            model_config.dropout,
            num_labels=len(label_names),
            id2label=id2label,
            label2id=label2id,
        )
        bert_config.use_crf = model_config.crf
        bert_config.lexicon_features = NUM_FEATURES if model_config.lexicon else 0
        model = (BertCrfForTokenClassification if model_config.crf else BertForTokenClassification)(bert_config)
        return tokenizer, model
    name = model_config.name_or_path
    if not _cached_locally(name) and not _hub_reachable():
        raise _hub_error(name, "no local folder or cached copy, and the Hugging Face hub is unreachable")
    try:
        tokenizer = AutoTokenizer.from_pretrained(name)
        source_tags = head_tags(AutoConfig.from_pretrained(name))
        config = AutoConfig.from_pretrained(
            name,
            num_labels=len(label_names),
            id2label=id2label,
            label2id=label2id,
            hidden_dropout_prob=model_config.dropout,
        )
        config.use_crf = model_config.crf
        config.lexicon_features = NUM_FEATURES if model_config.lexicon else 0
        model = model_class.from_pretrained(name, config=config, ignore_mismatched_sizes=True)
    except OSError as error:
        raise _hub_error(name, type(error).__name__) from None
    if source_tags is not None and source_tags != label_names:
        if sorted(source_tags) == sorted(label_names):  # the same tags in another order: keep what the head learnt
            reorder_head(model, [source_tags.index(tag) for tag in label_names])
        else:  # a head trained for another label set (a public dataset's) starts afresh, whatever its size
            logger.warning(
                "%s: its head was trained for other labels (%s); a fresh head is trained for %s, the encoder carries over",
                name,
                ", ".join(tag_labels(source_tags)),
                ", ".join(tag_labels(label_names)),
            )
            reset_head(model)
    return tokenizer, model


def head_tags(config: PretrainedConfig) -> list[str] | None:
    """The tags a folder's classification head was trained for; None for an encoder (default LABEL_<i> names)."""
    tags = [config.id2label[index] for index in range(config.num_labels)]
    return None if tags == [f"LABEL_{index}" for index in range(len(tags))] else tags


@torch.no_grad()
def reorder_head(model: PreTrainedModel, order: list[int]) -> None:
    """Row i of the head (and of the CRF) becomes the loaded row `order[i]`, as `run_ner.py` follows a folder's label2id."""
    index = torch.tensor(order)
    model.classifier.weight.copy_(model.classifier.weight[index])
    model.classifier.bias.copy_(model.classifier.bias[index])
    crf = getattr(model, "crf", None)
    if crf is not None:
        crf.start.copy_(crf.start[index])
        crf.end.copy_(crf.end[index])
        crf.transitions.copy_(crf.transitions[index][:, index])


@torch.no_grad()
def reset_head(model: PreTrainedModel) -> None:
    """A fresh head, as BERT initialises one; a CRF starts at zero."""
    model.classifier.weight.normal_(mean=0.0, std=model.config.initializer_range)
    model.classifier.bias.zero_()
    crf = getattr(model, "crf", None)
    if crf is not None:
        for parameter in (crf.start, crf.end, crf.transitions):
            parameter.zero_()


TOKENIZER_FILES = ("vocab.txt", "tokenizer.json")  # either one lets a BERT tokenizer load its vocabulary


def trained_config(path: Path) -> BertConfig:
    """The config of a model folder written by `train`; every load of a trained model starts here."""
    check_model_folder(path)
    try:
        return AutoConfig.from_pretrained(path)
    except (OSError, ValueError) as error:  # a config.json that is not JSON, or not a model's
        raise XiezuoError(f"{path}: cannot load the model ({first_line(error)})") from None


def load_trained(path: Path) -> tuple[PreTrainedTokenizerBase, PreTrainedModel]:
    """A model folder written by `train`: the CRF class when the config says so.

    Anything missing or broken is one line naming the folder: without its tokenizer files a
    tokenizer still loads but knows only its special tokens, so every character would be unknown.
    """
    config = trained_config(path)
    if not any((path / name).is_file() for name in TOKENIZER_FILES):
        raise XiezuoError(f"{path}: no tokenizer files ({' or '.join(TOKENIZER_FILES)}); copy the whole model folder")
    try:
        model_class = (
            BertCrfForTokenClassification if getattr(config, "use_crf", False) else AutoModelForTokenClassification
        )
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = model_class.from_pretrained(path)
    except (
        OSError,
        ValueError,
        RuntimeError,
        KeyError,
        TypeError,
        SafetensorError,
    ) as error:  # missing or corrupted weights, a bad config.json
        raise XiezuoError(f"{path}: cannot load the model ({first_line(error)})") from None
    if not 0 < len(tokenizer) <= config.vocab_size or len(tokenizer) < config.vocab_size // 2:
        raise XiezuoError(
            f"{path}: the tokenizer has {len(tokenizer)} tokens but the model's embeddings {config.vocab_size}; "
            "its tokenizer files are missing or come from another model"
        )
    return tokenizer, model
