"""Characters → token ids, one id per character: the map every window, model and tagger shares.

Character *i* of the simplified view is token *i*, so labels never drift.
Whitespace and control characters get their own token (`[unused1]`, present in
`bert-base-chinese`'s vocab and in ours), unknown characters get `[UNK]`.
Torch-free, so building windows does not load the model code.
"""

from __future__ import annotations

import json
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
        self._set(
            tokenizer.get_vocab(), tokenizer.unk_token, tokenizer.cls_token, tokenizer.sep_token, tokenizer.pad_token
        )

    @classmethod
    def from_folder(cls, folder: Path) -> CharVocab:
        """The vocabulary of a model folder read from its files (tokenizer.json or vocab.txt, and
        tokenizer_config.json), without transformers: what `CharVocab(AutoTokenizer.from_pretrained(folder))` holds."""
        settings_file = folder / "tokenizer_config.json"
        settings = json.loads(settings_file.read_text(encoding="utf-8")) if settings_file.is_file() else {}
        if (folder / "tokenizer.json").is_file():
            from tokenizers import Tokenizer

            vocab = Tokenizer.from_file(str(folder / "tokenizer.json")).get_vocab(with_added_tokens=True)
        else:
            lines = (folder / "vocab.txt").read_text(encoding="utf-8").splitlines()
            vocab = {token: index for index, token in enumerate(lines)}
        vocab_of = cls.__new__(cls)
        vocab_of._set(
            vocab, *(settings.get(f"{name}_token", f"[{name.upper()}]") for name in ("unk", "cls", "sep", "pad"))
        )
        return vocab_of

    def _set(self, vocab: dict[str, int], unk: str, cls: str, sep: str, pad: str) -> None:
        self.vocab = vocab
        self.unk_id = self.vocab[unk]
        self.whitespace_id = self.vocab.get(WHITESPACE_TOKEN, self.unk_id)
        self.cls_id, self.sep_id, self.pad_id = self.vocab[cls], self.vocab[sep], self.vocab[pad]
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
