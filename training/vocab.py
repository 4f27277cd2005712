"""Characters → token ids, one id per character: the map every window, model and tagger shares.

Character *i* of the simplified view is token *i*, so labels never drift.
Whitespace and control characters get their own token (`[unused1]`, present in
`bert-base-chinese`'s vocab and in ours), unknown characters get `[UNK]`.
Torch-free, so building windows does not load the model code.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

WHITESPACE_TOKEN = "[unused1]"
SPECIAL_TOKENS = ["[PAD]", WHITESPACE_TOKEN, "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def common_cjk_characters() -> list[str]:
    """The 6,763 Han characters of GB 2312 (levels 1 and 2): the everyday Simplified set."""
    characters = []
    for high in range(0xB0, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                characters.append(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return characters


def write_char_vocab(texts: list[str], path: Path) -> None:
    """A BERT `vocab.txt` of single characters: specials, ASCII, common CJK, and every character of `texts`.

    `##` pieces of ASCII letters and digits let the stock word-piece tokenizer
    (e.g. in `transformers.pipeline`) split `2016` into characters too.
    """
    ascii_printable = [chr(code) for code in range(0x21, 0x7F)]
    characters = set(ascii_printable) | set(common_cjk_characters())
    characters |= {
        char for text in texts for char in text if not (char.isspace() or unicodedata.category(char).startswith("C"))
    }
    pieces = [f"##{char}" for char in ascii_printable if char.isalnum()]
    path.write_text("\n".join(SPECIAL_TOKENS + sorted(characters) + pieces) + "\n", encoding="utf-8")


class CharVocab:
    """Character → token id, one id per character, whatever the tokenizer would have merged."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase):
        self.vocab = tokenizer.get_vocab()
        self.unk_id = self.vocab[tokenizer.unk_token]
        self.whitespace_id = self.vocab.get(WHITESPACE_TOKEN, self.unk_id)
        self.cls_id, self.sep_id, self.pad_id = tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id
        self._cache: dict[str, int] = {}

    def char_id(self, char: str) -> int:
        cached = self._cache.get(char)
        if cached is not None:
            return cached
        if char.isspace() or unicodedata.category(char).startswith("C"):
            token_id = self.whitespace_id
        else:
            folded = unicodedata.normalize("NFKC", char)  # full-width Ｒ１ → R1, when it stays one character
            candidates = [char] + ([folded, folded.lower()] if len(folded) == 1 else []) + [char.lower()]
            token_id = next((self.vocab[c] for c in candidates if c in self.vocab), self.unk_id)
        self._cache[char] = token_id
        return token_id

    def encode(self, text: str) -> list[int]:
        return [self.char_id(char) for char in text]
