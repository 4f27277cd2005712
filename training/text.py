"""Raw article → normalised text with an offset map, and a simplified view.

Scraped and PDF-extracted articles carry noise that the annotator never sees
(see ../shared/specs/annotation-spec.md, "Text the annotator sees"). The
normaliser only ever *deletes* characters, so every character of the
normalised text came from exactly one raw character and `raw_offsets[i]` is
that character's index in the raw text. A span of normalised text therefore
maps to the raw span from its first to its last character, and everything
the normaliser deleted inside it (a pinyin reading, a line-wrap space) is
inside the raw span too.

Each cleaning step is a small function that finds the stretches to delete in
the current text; `normalise` applies them in order and carries the offsets
along.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from training.errors import XiezuoError
from training.files import atomic_write_text

# Han ideographs (basic, extension A, compatibility), CJK punctuation,
# full-width forms and the curly quotes Chinese text uses.
CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3001-\u303f\uff01-\uffef“”‘’"
TONED_VOWELS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_SYLLABLE = rf"(?=[a-zü]*[{TONED_VOWELS}])[a-zü{TONED_VOWELS}]{{1,7}}"

_PLAIN_SYLLABLE = rf"[a-zü{TONED_VOWELS}]{{1,7}}"
# `以來(lái)` → `以來`, `廣州(guǎng zhōu)` → `廣州`: bracketed syllables right after a character,
# separated by spaces, at least one with a tone mark (neutral-tone syllables have none).
PINYIN_READING = re.compile(rf"(?<=\S)\((?=[^)]*[{TONED_VOWELS}]){_PLAIN_SYLLABLE}(?: {_PLAIN_SYLLABLE})*\)")
# In seed 000 a mojibake run ate the opening bracket: `?!皝?lái)到` → `?!皝?到`.
PINYIN_LOST_BRACKET = re.compile(rf"(?<=\?){_SYLLABLE}\)")
# The scraper put a comma before the real mark: `,,` `,。` `,、` `,;` → one mark.
# The seeds mix ASCII and full-width marks; an ASCII `?` after a comma is
# mojibake in seed 000, not a question mark, so it does not count.
DOUBLED_PUNCTUATION = re.compile(r"[，,](?=[，,、。；;：:？！])")
# PDF column wraps leave a space inside a word: `廣 州市` → `廣州市`.
LINE_WRAP_SPACE = re.compile(rf"(?<=[{CJK}])[ \u00a0\u3000]+(?=[{CJK}])")
# A line that is nothing but an image file name: `微信图片_20231026103208.jpg`. It must end
# in a newline, so that a piece of one line (a span) never looks like a whole line.
IMAGE_LINE = re.compile(
    r"^[ \t\u00a0\u3000]*[^\s]+\.(?:jpe?g|png|gif|webp|bmp)[ \t\u00a0\u3000]*\n",
    re.IGNORECASE | re.MULTILINE,
)
# A second capture of the page repeats whole paragraphs; a run of repeated
# lines this long (non-space characters) is page content, not a short slogan.
MIN_REPEATED_BLOCK_CHARS = 20

Deletions = list[tuple[int, int]]


def _regex_deletions(pattern: re.Pattern[str]) -> Callable[[str], Deletions]:
    def find(text: str) -> Deletions:
        return [match.span() for match in pattern.finditer(text)]

    find.__name__ = f"delete_{pattern.pattern[:20]}"
    return find


def _lines(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end including the newline, stripped content) per line."""
    start = 0
    for line in text.splitlines(keepends=True):
        yield start, start + len(line), line.strip()
        start += len(line)


def repeated_blocks(text: str) -> Deletions:
    """Find runs of lines that repeat earlier lines word for word (a page captured twice).

    Blank lines inside a run belong to it; a run shorter than
    MIN_REPEATED_BLOCK_CHARS stays (two identical slogans are not a capture).
    """
    seen: set[str] = set()
    deletions: Deletions = []
    block_start = block_end = block_chars = 0

    def close_block() -> None:
        if block_chars >= MIN_REPEATED_BLOCK_CHARS:
            deletions.append((block_start, block_end))

    for start, end, content in _lines(text):
        if not content:
            continue
        if content in seen:
            if block_chars == 0:
                block_start = start
            block_end = end
            block_chars += len(re.sub(r"\s", "", content))
        else:
            close_block()
            block_chars = 0
            seen.add(content)
    close_block()
    return deletions


CLEANING_STEPS: list[Callable[[str], Deletions]] = [
    _regex_deletions(PINYIN_READING),
    _regex_deletions(PINYIN_LOST_BRACKET),
    _regex_deletions(DOUBLED_PUNCTUATION),
    _regex_deletions(LINE_WRAP_SPACE),
    _regex_deletions(IMAGE_LINE),
    repeated_blocks,
]


@dataclass(frozen=True)
class NormalisedText:
    """Normalised text plus, for each of its characters, the raw index it came from."""

    text: str
    raw_offsets: np.ndarray  # shape (len(text),), int64, strictly increasing
    raw_length: int

    def to_raw(self, start: int, end: int) -> tuple[int, int]:
        """Map the normalised span [start, end) to the raw span it came from."""
        if not 0 <= start <= end <= len(self.text):
            raise XiezuoError(f"span [{start}, {end}) is outside a text of {len(self.text)} characters")
        if start == end:
            raw_start = int(self.raw_offsets[start]) if start < len(self.text) else self.raw_length
            return raw_start, raw_start
        return int(self.raw_offsets[start]), int(self.raw_offsets[end - 1]) + 1


def _apply(text: str, offsets: np.ndarray, deletions: Deletions) -> tuple[str, np.ndarray]:
    if not deletions:
        return text, offsets
    keep = np.ones(len(text), dtype=bool)
    for start, end in deletions:
        keep[start:end] = False
    kept_text = "".join(char for char, kept in zip(text, keep) if kept)
    return kept_text, offsets[keep]


def normalise(raw: str) -> NormalisedText:
    """Remove scraper noise from `raw`, keeping a map back to raw offsets."""
    text, offsets = raw, np.arange(len(raw), dtype=np.int64)
    for step in CLEANING_STEPS:
        text, offsets = _apply(text, offsets, step(text))
    return NormalisedText(text=text, raw_offsets=offsets, raw_length=len(raw))


@cache
def _t2s():  # OpenCC's converter loads its dictionaries once.
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=65536)
def _simplified_char(char: str) -> str:
    if unicodedata.category(char) == "Cs":  # a lone surrogate cannot pass through OpenCC's UTF-8
        return char
    converted = _t2s().convert(char)
    return converted if len(converted) == 1 else char


def simplified_view(text: str) -> str:
    """Traditional → Simplified one character at a time, so positions never move.

    Character-level conversion misses a few phrase-level choices (乾 in 乾淨),
    which is the price of a view whose offsets equal the original's.
    """
    return "".join(_simplified_char(char) for char in text)


def decode_article(data: bytes, name: str) -> str:
    """UTF-8 bytes → article text, failing with one line that names the input and the bad byte.

    Files and standard input go through this same check. An empty or blank article is
    not an error: it has no entities (the caller may warn).
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise XiezuoError(f"{name}: not UTF-8 (byte {error.start}: {data[error.start : error.start + 1]!r})") from None
    if "\x00" in text:
        raise XiezuoError(f"{name}: looks binary (NUL at character {text.index(chr(0))})")
    return text


def read_article(path: Path) -> str:
    """Read a UTF-8 article file; a missing file, a folder or an unreadable file is one line naming it."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise XiezuoError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise XiezuoError(f"{path}: is a folder, not an article file") from None
    except OSError as error:
        raise XiezuoError(f"{path}: cannot read ({error.strerror or type(error).__name__})") from None
    return decode_article(data, str(path))


def normalise_files(
    paths: list[Path], out: Path | None, on_bad: Callable[[XiezuoError], None]
) -> list[tuple[Path, int, int]]:
    """Normalise each article file, writing the result to `out`/<name> when `out` is given; returns
    (path, raw characters, normalised characters) per file read. A file that cannot be read goes to
    `on_bad` and the others are still done: one bad file should not hide what the rest would become."""
    rows = []
    for path in paths:
        try:
            result = normalise(read_article(path))
        except XiezuoError as error:
            on_bad(error)
            continue
        rows.append((path, result.raw_length, len(result.text)))
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            atomic_write_text(out / path.name, result.text)
    return rows
