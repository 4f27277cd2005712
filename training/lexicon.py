"""Lexicon features: which dictionary words of which kind begin, continue, end or make up each character.

Five articles cannot teach a model trained from scratch what Chinese places, names and
organisations look like; dictionaries that install with pip know many of them. As in
SoftLexicon (Ma et al., 2020), every character gets, for each kind of word, four flags:
a word of that kind Begins here, continues through it (Middle), Ends here, or is this
Single character. The model adds a learned embedding of these flags to the character's.

Kinds and their sources (all installed packages, nothing written from the seeds):
- REGION: cpca's administrative divisions with and without their level suffix
  (平塘县, 平塘), jieba's place words (`ns`), and the provinces' one-character forms (粤, 黔);
- PERSON: jieba's person names (`nr`);
- ORG: jieba's organisation names (`nt`);
- WORD: jieba's other words of two characters or more, common enough to be words
  (`MIN_WORD_FREQ`): where words begin and end tells a name's edges;
- SURNAME: Faker `zh_CN`'s 399 surnames (王, 欧阳): where a person's name may begin.

Matching runs on the simplified view, which is character-for-character with the text,
so the flags of character *i* belong to character *i* of the text: offsets never move.
Training and inference call the same `Lexicon.features`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from functools import lru_cache

import ahocorasick
import numpy as np

from training.gazetteer import PROVINCE_ABBREVIATIONS, region_names

KINDS = ("REGION", "PERSON", "ORG", "WORD", "SURNAME")  # new kinds go last: a model keeps the bits it was trained on
POSITIONS = ("B", "M", "E", "S")
NUM_FEATURES = len(KINDS) * len(POSITIONS)  # bit kind*4 + position
MIN_WORD_FREQ = 5  # jieba's count; rarer entries are mostly names and phrases jieba has not tagged
MAX_WORD_LENGTH = 16
HAN_WORD = re.compile(r"[\u4e00-\u9fff]+")


def feature_names() -> list[str]:
    """B-REGION, M-REGION, ... in bit order: the meaning of each bit of `Lexicon.features`."""
    return [f"{position}-{kind}" for kind in KINDS for position in POSITIONS]


@lru_cache(maxsize=1)
def jieba_posseg():
    """jieba's part-of-speech tagger with its dictionary and word frequencies loaded, quietly, once."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    jieba.posseg.dt.tokenizer.initialize()
    return jieba.posseg


def _jieba_words() -> dict[str, str]:
    posseg = jieba_posseg()
    frequency = posseg.dt.tokenizer.FREQ
    words = {}
    for word, tag in posseg.dt.word_tag_tab.items():
        if not HAN_WORD.fullmatch(word) or len(word) > MAX_WORD_LENGTH:
            continue
        if tag == "ns" and len(word) >= 2:
            words[word] = "REGION"
        elif tag == "nr" and 2 <= len(word) <= 4:
            words[word] = "PERSON"
        elif tag == "nt" and len(word) >= 2:
            words[word] = "ORG"
        elif len(word) >= 2 and frequency.get(word, 0) >= MIN_WORD_FREQ:
            words[word] = "WORD"
    return words


def lexicon_entries() -> dict[str, int]:
    """Word → bitmask of its kinds (a word may be of several: 黄山 is a place and a word)."""
    entries: dict[str, int] = {}

    def add(word: str, kind: str) -> None:
        entries[word] = entries.get(word, 0) | (1 << KINDS.index(kind))

    for word, kind in _jieba_words().items():
        add(word, kind)
    for name in region_names():
        add(name, "REGION")
    for char in PROVINCE_ABBREVIATIONS:
        add(char, "REGION")
    from faker.providers.person.zh_CN import Provider

    for surname in Provider.last_names:
        add(surname, "SURNAME")
    return entries


class Lexicon:
    """An Aho-Corasick automaton over every entry: all matches in one pass, in C."""

    def __init__(self, entries: dict[str, int]):
        self.automaton = ahocorasick.Automaton()
        for word, kinds in entries.items():
            self.automaton.add_word(word, (len(word), kinds))
        self.automaton.make_automaton()
        digest = hashlib.sha256("\n".join(f"{word}\t{kinds}" for word, kinds in sorted(entries.items())).encode())
        self.fingerprint = digest.hexdigest()[:16]  # recorded with a model: the features it was trained on

    def features(self, text: str) -> np.ndarray:
        """One int per character of `text` (give the simplified view): bit kind*4+position set where a word matches."""
        flags = np.zeros(len(text), dtype=np.int64)
        matches = list(self.automaton.iter(text)) if text else []
        if not matches:
            return flags
        ends = np.fromiter((end for end, _ in matches), dtype=np.int64, count=len(matches))
        lengths = np.fromiter((value[0] for _, value in matches), dtype=np.int64, count=len(matches))
        kinds = np.fromiter((value[1] for _, value in matches), dtype=np.int64, count=len(matches))
        starts = ends - lengths + 1
        single = lengths == 1
        for index in range(len(KINDS)):
            has = (kinds >> index) & 1 == 1
            bit = index * len(POSITIONS)
            np.bitwise_or.at(flags, starts[has & ~single], 1 << bit)  # B
            np.bitwise_or.at(flags, ends[has & ~single], 1 << (bit + 2))  # E
            np.bitwise_or.at(flags, starts[has & single], 1 << (bit + 3))  # S
            inner = has & (lengths > 2)  # M: strictly inside a word, by a difference array
            if inner.any():
                delta = np.zeros(len(text) + 1, dtype=np.int64)
                np.add.at(delta, starts[inner] + 1, 1)
                np.add.at(delta, ends[inner], -1)
                flags[np.cumsum(delta[:-1]) > 0] |= 1 << (bit + 1)
        return flags


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The lexicon of the installed dictionaries, built once per process (about two seconds)."""
    return Lexicon(lexicon_entries())
