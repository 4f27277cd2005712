"""A rule-and-lexicon tagger, evaluated beside the model so every report shows what the model adds.

- AMOUNT and DATE: regular expressions for the styles in the seeds (万元, 亿元, 余/多; 年月日, ISO datetimes).
- REGION: China's provinces, prefectures and counties from cpca's administrative-division table,
  with and without their level suffix (平塘县 and 平塘), longest match first.
- ORG: a run of Han characters ending in an organisation suffix (局, 医院, 有限公司, ...).
- PERSON: names after byline markers (作者, 编辑, 记者, ...).
Rules run on the simplified view, so Traditional text matches too.
"""

from __future__ import annotations

import re
from functools import lru_cache

from training.annotations import Span
from training.gazetteer import LOCAL_SUFFIXES, region_names
from training.text import simplified_view

NUMBER = r"\d+(?:\.\d+)?"
AMOUNT = re.compile(
    rf"{NUMBER}(?:余|多)?(?:[万亿千百]+(?:余|多)?)?元|{NUMBER}(?:余|多)?[万亿](?:余|多)?(?=帮扶|资金|扶持)"
)
DATE = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}(?: \d{1,2}:\d{2}(?::\d{2})?)?"
    r"|(?:去年|今年|明年)\d{1,2}月(?:\d{1,2}日)?(?:底|初|中旬|上旬|下旬)?"
    r"|\d{4} ?年(?:(?:至|-|—)\d{4}年)?(?:前三季度|\d{1,2}月(?:\d{1,2}日)?(?:底|初|中旬|上旬|下旬)?)?"
    r"|\d{1,2}月\d{1,2}日|\d{1,2}月(?:底|初|中旬)"
)
ORG_SUFFIXES = (
    "有限公司|集团|公司|人民医院|医院|卫生院|小学|中学|大学|学院|学校|幼儿园|教育局|局|委员会|"
    "工作队|工作组|研究院|中心|合作社|日报|报社|杂志社|网|商会|协会|政府|党委|区委|县委|市委|办公室|组织部|宣传部|供销社"
)
ORG = re.compile(rf"[\u4e00-\u9fff]{{2,14}}?(?:{ORG_SUFFIXES})")
ORG_STOP_CHARS = set("的在与和及到向为是了对把被由从将以等共并于也都又还就这那个名")
PERSON = re.compile(
    r"(?:作者|编辑|记者|责任编辑|审核|监审|总监审|通讯员)[:：\s]*([\u4e00-\u9fff]{2,3})(?![\u4e00-\u9fff])"
)


@lru_cache(maxsize=1)
def _region_pattern() -> re.Pattern[str]:
    # Chains (广州市白云区) are one span: one or more names in a row, with town/village tails.
    name = "|".join(map(re.escape, region_names()))
    return re.compile(rf"(?:{name})+(?:[\u4e00-\u9fff]{{1,4}}?(?:{'|'.join(LOCAL_SUFFIXES)}))*")


def _trim_org(text: str, start: int, end: int) -> int:
    """Move an ORG start right past function words (在广州市第一人民医院 → 广州市第一人民医院)."""
    position = start
    for index in range(end - 2, start - 1, -1):
        if text[index] in ORG_STOP_CHARS:
            position = index + 1
            break
    return position


def rule_spans(text: str) -> list[Span]:
    """Spans found by the rules; on overlaps the earlier rule (AMOUNT, DATE, PERSON, ORG, REGION) wins."""
    view = simplified_view(text)
    found: list[Span] = []
    taken = [False] * len(text)

    def add(start: int, end: int, label: str) -> None:
        if end > start and not any(taken[start:end]):
            found.append(Span(start, end, label, text[start:end]))
            taken[start:end] = [True] * (end - start)

    for match in AMOUNT.finditer(view):
        add(*match.span(), "AMOUNT")
    for match in DATE.finditer(view):
        add(*match.span(), "DATE")
    for match in PERSON.finditer(view):
        add(*match.span(1), "PERSON")
    for match in ORG.finditer(view):
        start, end = match.span()
        add(_trim_org(view, start, end), end, "ORG")
    for match in _region_pattern().finditer(view):
        add(*match.span(), "REGION")
    return sorted(found)
