"""Mention replacement: new training documents made from gold ones by swapping each entity
for another of its type, so a model trained from scratch sees many more names, amounts and
dates in the contexts the seeds use.

Replacements come from maintained data and from the training documents themselves:
- REGION: administrative divisions from cpca's table in the shape of the gold mention (a chain
  廣州市白云區 becomes another 市 and 区, 枹罕镇王坪村 another 镇 and 村, a short form 南沙 another
  short form, a one-character form 毕 a province's or a prefecture's first character or the first
  character of a place the training documents name, a country another country), and the training
  documents' own REGION mentions (粤, 黔, 穗 ...);
- ORG: the gold name with its leading region swapped (临夏市医院 → 某某县医院), a region plus an
  organisation type in the seeds' style (人民医院, 教育局, 工作队 ...) or made of ordinary words and
  a type's last word (妇幼保健院, 教师发展中心), the region often a chain (毕节市七星关区), organisation names from
  jieba's dictionary (沈阳药科大学, 广东省科技厅), Faker `zh_CN` company names, and the training
  documents' ORG mentions;
- PERSON: names as long as the gold name, from jieba's dictionary (three-character words tagged
  `nr` that start with a common surname: 孟富林, 向红玉; for two characters, a surname and one of
  their given-name characters) or Faker `zh_CN` (whose 131 given names alone taught that 乔明孔
  ends at 乔明);
- AMOUNT and DATE: the gold mention with new numbers (1033.98萬元 → 5182.07萬元), or generated in
  the seeds' styles (万元, 亿元, 余/多; 年月日, 去年X月, ISO datetimes).
Other label sets (imported public data) draw only from the training documents' own mentions.

Each copy also swaps a share of the content words *outside* entities (nouns, verbs, adjectives,
adverbs, idioms) for other words of the same part of speech from jieba's dictionary, and redraws
the same share of the numbers there with any number of digits. Without this, the entity slots
are the only text that changes between copies, and a model trained from scratch learns that any
text it has not memorised is an entity (spurious REGION on 牡丹, 开刀; DATE on licence numbers).
Offsets are rebuilt as the text is, so every new span satisfies text[start:end] == span.text.
Only training documents are augmented; dev and test documents never are.
"""

from __future__ import annotations

import bisect
import random
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from faker import Faker
from faker.providers.address.zh_CN import Provider as AddressProvider

from training.annotations import LABELS, Document, Span, span_rule_problem
from training.gazetteer import (
    LOCAL_SUFFIXES,
    PROVINCE_ABBREVIATIONS,
    REGION_SUFFIXES,
    division_names,
    prefecture_names,
    region_names,
)
from training.lexicon import jieba_posseg
from training.text import simplified_view

# Kinds of organisation named after a place (人民医院, 教育局), from a data file written from general knowledge.
ORG_TYPES = tuple(
    line.strip()
    for line in (Path(__file__).parent / "data" / "org_types.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
)
AMOUNT_UNITS = ("万元", "亿元", "元", "万余元", "多万元", "余万元", "万")
# How names of organisations end: keeps the dictionary's `nt` words that are names (教育局), not topics (世界大国).
ORG_ENDINGS = (
    "局",
    "院",
    "校",
    "学",
    "会",
    "部",
    "委",
    "厅",
    "所",
    "司",
    "社",
    "行",
    "团",
    "中心",
    "办",
    "馆",
    "站",
    "队",
    "组",
    "报",
    "台",
    "厂",
    "处",
    "署",
    "室",
)
YEARS = (1990, 2035)  # any year news of this kind may name, not only the years of the articles we have
DATE_UNITS = "年月日"  # a number before one of these is a date or a duration (3年): never redrawn as a year


def _digits(rng: random.Random, count: int) -> str:
    """`count` random digits, a leading 0 included (0851: an area code)."""
    return "".join(rng.choice("0123456789") for _ in range(count))


def _amount(rng: random.Random) -> str:
    unit = rng.choice(AMOUNT_UNITS)
    number = rng.choice(
        [str(rng.randint(1, 9999)), f"{rng.uniform(1, 9999):.2f}".rstrip("0").rstrip("."), str(rng.randint(1, 99))]
    )
    if unit in ("多万元", "余万元", "万余元"):
        number = str(rng.randint(2, 999))
    return number + unit


def _date(rng: random.Random) -> str:
    year, month, day = rng.randint(*YEARS), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice(
        [
            f"{year}年",
            f"{year}年{month}月",
            f"{month}月{day}日",
            f"{year}年{month}月{day}日",
            f"去年{month}月",
            f"今年{month}月{day}日",
            f"{month}月底",
            f"{year}年{month}月初",
            f"{year}-{month:02d}-{day:02d}",
            f"{year}-{month:02d}-{day:02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
            f"{year}年至{year + rng.randint(1, 4)}年",
            f"{year}年前三季度",
        ]
    )


def _renumber(gold: str, label: str, rng: random.Random) -> str:
    """`gold` with every number redrawn in its own format: 1033.98萬元 → 5182.07萬元, 2019-01-20 09:24 → 2013-06-11 17:42."""

    def redraw(match: re.Match[str]) -> str:
        digits = match.group()
        before, after = gold[match.start() - 1 : match.start()], gold[match.end() : match.end() + 1]
        if before == ".":  # decimals
            return _digits(rng, len(digits))
        if label == "AMOUNT":  # as many digits as the gold's
            value = rng.randint(10 ** (len(digits) - 1), 10 ** len(digits) - 1)
        elif len(digits) == 4:
            value = rng.randint(*YEARS)  # a year
        elif after == "月" or (before == "-" and after == "-"):
            value = rng.randint(1, 12)
        elif after == "日" or before == "-":
            value = rng.randint(1, 28)
        elif after == ":" and before != ":":
            value = rng.randint(0, 23)
        else:
            value = rng.randint(0, 59) if before == ":" else rng.randint(1, 31)
        fixed_width = before in ("-", ":") or after in ("-", ":")  # ISO dates and times: 2019-01-20 09:24
        return f"{value:0{len(digits)}d}" if fixed_width else str(value)

    return re.sub(r"\d+", redraw, gold)


# Content words that may be swapped; names (nr, ns, nt, nz), numbers (m), times (t) and function
# words (p, c, u, f) stay, since they are entities or the cues that mark them.
SWAP_TAGS = ("n", "vn", "v", "a", "ad", "an", "d", "i", "l")
MIN_WORD_FREQ = 50  # common dictionary words only: rare entries are often names jieba has not tagged as such


@lru_cache(maxsize=1)
def dictionary_organisations() -> list[str]:
    """Organisation names from jieba's dictionary (沈阳药科大学, 广东省科技厅): `nt` words that end like a name."""
    return sorted(
        word
        for word, tag in jieba_posseg().dt.word_tag_tab.items()
        if tag == "nt"
        and 3 <= len(word) <= 12
        and word.endswith(ORG_ENDINGS)
        and re.fullmatch(r"[\u4e00-\u9fff]+", word)
    )


LEVEL_CHARACTERS = "省市县区州镇乡村盟旗街社"  # kept out of the stems of new names, so 某某镇 never reads as two places


class RegionShapes:
    """Reads the shape of a region mention and draws another region of that shape."""

    def __init__(self) -> None:
        self.suffixes = sorted(REGION_SUFFIXES + LOCAL_SUFFIXES, key=len, reverse=True)  # 社区 before 区
        full = division_names()
        self.full = set(full)
        self.longest = max(map(len, full))
        self.by_suffix: dict[str, list[str]] = defaultdict(list)
        for name in full:
            self.by_suffix[self.suffix(name)].append(name)
        # One-character forms: the provinces' (粤, 黔) and the first character of a prefecture's name (穗毕: 毕 for 毕节市).
        self.one_character = sorted(
            set(PROVINCE_ABBREVIATIONS) | {name[0] for name in prefecture_names() if name[0] not in "省市县自"}
        )  # not 市辖区
        self.countries = sorted(set(AddressProvider.countries))  # 中国, 美国: a country is a REGION too
        self.regions = list(region_names())
        self.short = sorted(set(self.regions) - self.full)
        self.short_set = set(self.short)
        # Stems for names cpca does not list: its short forms.
        self.stems = [
            name for name in self.short if len(name) <= 3 and not any(char in name for char in LEVEL_CHARACTERS)
        ]
        # A name cpca does not list (紫云自治县, 王坪村): a short stem and a level suffix.
        self.other = re.compile(rf"[\u4e00-\u9fff]{{1,4}}?(?:{'|'.join(self.suffixes)})")

    def suffix(self, name: str) -> str:
        return next((suffix for suffix in self.suffixes if name.endswith(suffix)), "")

    def parse(self, mention: str) -> tuple[list[str], int]:
        """The shape of the regions `mention` starts with ("division:县", "short:", "other:村", ...) and where they end."""
        text, shape, position = simplified_view(mention), [], 0
        while position < len(text):
            size = next(
                (
                    size
                    for size in range(min(self.longest, len(text) - position), 1, -1)
                    if text[position : position + size] in self.full
                ),
                0,
            )
            if size:
                shape.append("division:" + self.suffix(text[position : position + size]))
                position += size
                continue
            size = self._short_size(text, position)
            if size:
                shape.append("short:")
                position += size
                continue
            match = self.other.match(text, position)
            if not match:
                break
            shape.append("other:" + self.suffix(match.group()))
            position = match.end()
        return shape, position

    def _short_size(self, text: str, position: int) -> int:
        """The length of the short form at `position` (广州 in 广东广州), or 0: none, or the stem of a name with a level (紫云 in 紫云自治县)."""
        for size in (3, 2):
            piece = text[position : position + size]
            if len(piece) == size and piece in self.short_set:
                return 0 if any(text.startswith(suffix, position + size) for suffix in self.suffixes) else size
        return 0

    def draw(self, shape: list[str], rng: random.Random) -> str:
        parts = []
        for kind, _, suffix in (part.partition(":") for part in shape):
            if kind == "division":
                parts.append(rng.choice(self.by_suffix[suffix]))
            elif kind == "short":
                parts.append(rng.choice(self.stems))
            else:  # a town or village cpca does not list: a stem and its level (王坪村)
                parts.append(rng.choice(self.stems) + suffix)
        return "".join(parts)

    def region(self, mention: str, rng: random.Random) -> str:
        """A region shaped like `mention`; a short form (南沙) for a mention it cannot read."""
        if len(mention) == 1:
            return rng.choice(PROVINCE_ABBREVIATIONS if rng.random() < 0.5 else self.one_character)
        if simplified_view(mention) in self.countries:
            return rng.choice(self.countries)
        shape, end = self.parse(mention)
        if not shape or end < len(mention):
            return rng.choice(self.short)
        return self.draw(shape, rng)


class MentionSampler:
    """Draws a replacement mention for a label; `own` are the training documents' mentions."""

    def __init__(self, documents: list[Document], seed: int):
        self.rng = random.Random(seed)
        self.faker = Faker("zh_CN")
        self.faker.seed_instance(seed)
        self.own: dict[str, list[str]] = defaultdict(list)
        for document in documents:
            for span in document.spans:
                self.own[span.label].append(span.text)
        self.shapes = RegionShapes()
        self.organisations = dictionary_organisations()

    def __call__(self, label: str, gold: str) -> str:
        """A replacement for the gold mention `gold` of `label` that the spec's span rules accept (a drawn
        `县人民医院` or `太湖` the lake is drawn again; after ten tries the gold mention is kept)."""
        for _ in range(10):
            mention = self._draw(label, gold)
            if span_rule_problem(label, mention) is None:
                return mention
        return gold

    def _draw(self, label: str, gold: str) -> str:
        rng = self.rng
        if label not in LABELS or (self.own[label] and rng.random() < 0.3):
            return rng.choice(self.own[label])
        if label == "REGION":
            return self.shapes.region(gold, rng)
        if label == "ORG":
            shape, end = self.shapes.parse(gold)
            if (
                shape and len(gold) - end >= 2 and rng.random() < 0.6
            ):  # 临夏市医院: a new region, the same or another body
                return self.shapes.draw(shape, rng) + (gold[end:] if rng.random() < 0.5 else rng.choice(ORG_TYPES))
            draw = rng.random()
            if draw < 0.25:
                return rng.choice(self.organisations)
            if draw < 0.4:
                return self.faker.company()
            return rng.choice(self.shapes.regions) + rng.choice(ORG_TYPES)
        if label == "PERSON":  # as long as the gold name where Faker has one
            names = (self.faker.name() for _ in range(20))
            return next((name for name in names if len(name) == len(gold)), self.faker.name())
        if rng.random() < 0.5:  # AMOUNT and DATE: the gold's format with new numbers, or one of the seeds' styles
            return _renumber(gold, label, rng)
        if label == "AMOUNT":
            return _amount(rng)
        return _date(rng)  # DATE


class WordSwapper:
    """Replaces content words outside entities, each with probability `rate`, by jieba dictionary words of the same tag."""

    def __init__(self, rate: float, seed: int):
        self.rate = rate
        self.rng = random.Random(seed)
        posseg = jieba_posseg()
        frequency = posseg.dt.tokenizer.FREQ
        pools: dict[str, list[str]] = defaultdict(list)
        for word, tag in posseg.dt.word_tag_tab.items():
            if (
                tag in SWAP_TAGS
                and frequency.get(word, 0) >= MIN_WORD_FREQ
                and re.fullmatch(r"[\u4e00-\u9fff]{1,4}", word)
            ):
                pools[tag].append(word)
        self.pools = {tag: sorted(words) for tag, words in pools.items()}
        self.words: dict[str, list[tuple[int, int, str]]] = {}

    def segment(self, document: Document) -> list[tuple[int, int, str]]:
        """(start, end, tag) of the document's swappable words, segmented once on the simplified view."""
        if document.doc_id not in self.words:
            words, position = [], 0
            for word, tag in jieba_posseg().lcut(simplified_view(document.text)):
                if tag in self.pools:
                    words.append((position, position + len(word), tag))
                position += len(word)
            self.words[document.doc_id] = words
        return self.words[document.doc_id]

    def __call__(self, text: str, start: int, end: int, words: list[tuple[int, int, str]]) -> str:
        """`text[start:end]` (no entity inside) with some of its whole words swapped and some of its numbers redrawn."""
        parts, position = [], start
        for word_start, word_end, tag in words[bisect.bisect_left(words, (start,)) :]:
            if word_end > end:
                break
            after_number = (
                word_start > 0 and text[word_start - 1].isdigit()
            )  # 3名, 229人次: cues that a number is no AMOUNT
            if not after_number and self.rng.random() < self.rate:
                parts.append(text[position:word_start])
                parts.append(self.rng.choice(self.pools[tag]))
                position = word_end
        parts.append(text[position:end])
        # Counts, phone and licence numbers of any length are no DATE or AMOUNT without their unit.
        swapped = "".join(parts)
        return re.sub(
            r"\d+", lambda match: self._number(match.group(), swapped[match.end() : match.end() + 1]), swapped
        )

    def _number(self, digits: str, after: str) -> str:
        """A new number for `digits`: of any length (counts, phone numbers), unless a date unit follows (3年)."""
        if self.rng.random() >= self.rate:
            return digits
        rng = self.rng
        if after in DATE_UNITS:  # a duration keeps its size (3年 → 7年); "" is in every string: before an entity too
            return str(rng.randint(1, 9)) + _digits(rng, len(digits) - 1)
        return _digits(rng, rng.randint(1, 12))


def replace_mentions(
    document: Document, sample: MentionSampler, copy: int, swap: WordSwapper | None = None
) -> Document:
    """One new document: every gold span replaced by a sampled mention of its label, and
    (with `swap`) some words between them replaced too."""
    words = swap.segment(document) if swap else []
    parts, spans, position, length = [], [], 0, 0
    for span in sorted(document.spans) + [Span(len(document.text), len(document.text), "", "")]:
        between = swap(document.text, position, span.start, words) if swap else document.text[position : span.start]
        parts.append(between)
        length += len(between)
        if span.label:  # the sentinel above only flushes the text after the last entity
            mention = sample(span.label, span.text)
            spans.append(Span(length, length + len(mention), span.label, mention))
            parts.append(mention)
            length += len(mention)
        position = span.end
    return Document(doc_id=f"{document.doc_id}~aug{copy}", text="".join(parts), spans=spans)


def augment(documents: list[Document], copies: int, seed: int, word_swap_rate: float = 0.0) -> list[Document]:
    """`copies` mention-replaced versions of each document (the originals are not included)."""
    sample = MentionSampler(documents, seed)
    swap = WordSwapper(word_swap_rate, seed) if word_swap_rate > 0 and copies else None
    return [replace_mentions(document, sample, copy, swap) for copy in range(copies) for document in documents]
