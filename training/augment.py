"""Mention replacement: new training documents made from gold ones by swapping each entity
for another of its type, so a model trained from scratch sees many more names, amounts and
dates in the contexts the seeds use.

Replacements come from maintained data and from the training documents themselves:
- REGION: administrative divisions from cpca's table (full names and suffix-less short forms)
  and the training documents' own REGION mentions (粤, 黔, 穗 ...);
- ORG: a region plus an organisation type in the seeds' style (人民医院, 教育局, 工作队 ...),
  Faker `zh_CN` company names, and the training documents' ORG mentions;
- PERSON: Faker `zh_CN` names;
- AMOUNT and DATE: generated in the seeds' styles (万元, 亿元, 余/多; 年月日, 去年X月, ISO datetimes).
Other label sets (imported public data) draw only from the training documents' own mentions.
Offsets are rebuilt as the text is, so every new span satisfies text[start:end] == span.text.
Only training documents are augmented; dev and test documents never are.
"""

from __future__ import annotations

import random
from collections import defaultdict

from faker import Faker

from training.annotations import LABELS, Document, Span
from training.baseline import region_names

ORG_TYPES = (
    "人民医院", "第一人民医院", "中医院", "卫生院", "教育局", "人社局", "就业局", "农业农村局", "乡村振兴局",
    "第一中学", "第四中学", "民族中学", "实验小学", "中心小学", "幼儿园", "职业技术学校", "区委", "县委",
    "人民政府", "政协", "扶贫办", "供销社", "投资有限公司", "农业发展有限公司", "协作工作队", "工作组", "日报", "融媒体中心",
)
AMOUNT_UNITS = ("万元", "亿元", "元", "万余元", "多万元", "余万元", "万")


def _amount(rng: random.Random) -> str:
    unit = rng.choice(AMOUNT_UNITS)
    number = rng.choice([str(rng.randint(1, 9999)), f"{rng.uniform(1, 9999):.2f}".rstrip("0").rstrip("."), str(rng.randint(1, 99))])
    if unit in ("多万元", "余万元", "万余元"):
        number = str(rng.randint(2, 999))
    return number + unit


def _date(rng: random.Random) -> str:
    year, month, day = rng.randint(2010, 2025), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice(
        [
            f"{year}年", f"{year}年{month}月", f"{month}月{day}日", f"{year}年{month}月{day}日", f"去年{month}月",
            f"今年{month}月{day}日", f"{month}月底", f"{year}年{month}月初", f"{year}-{month:02d}-{day:02d}",
            f"{year}-{month:02d}-{day:02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
            f"{year}年至{year + rng.randint(1, 4)}年", f"{year}年前三季度",
        ]
    )


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
        self.regions = list(region_names())

    def __call__(self, label: str) -> str:
        rng = self.rng
        if label not in LABELS or (self.own[label] and rng.random() < 0.3):
            return rng.choice(self.own[label])
        if label == "REGION":
            return rng.choice(self.regions)
        if label == "ORG":
            if rng.random() < 0.25:
                return self.faker.company()
            return rng.choice(self.regions) + rng.choice(ORG_TYPES)
        if label == "PERSON":
            return self.faker.name()
        if label == "AMOUNT":
            return _amount(rng)
        return _date(rng)  # DATE


def replace_mentions(document: Document, sample: MentionSampler, copy: int) -> Document:
    """One new document: every gold span replaced by a sampled mention of its label."""
    parts, spans, position, length = [], [], 0, 0
    for span in sorted(document.spans):
        parts.append(document.text[position : span.start])
        length += span.start - position
        mention = sample(span.label)
        spans.append(Span(length, length + len(mention), span.label, mention))
        parts.append(mention)
        length += len(mention)
        position = span.end
    parts.append(document.text[position:])
    return Document(doc_id=f"{document.doc_id}~aug{copy}", text="".join(parts), spans=spans)


def augment(documents: list[Document], copies: int, seed: int) -> list[Document]:
    """`copies` mention-replaced versions of each document (the originals are not included)."""
    sample = MentionSampler(documents, seed)
    return [replace_mentions(document, sample, copy) for copy in range(copies) for document in documents]
