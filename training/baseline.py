"""A rule-and-lexicon tagger, evaluated beside the model so every report shows what the model adds.

- AMOUNT and DATE: regular expressions for the styles in the seeds (万元, 亿元, 余/多; 年月日, ISO datetimes).
- REGION: China's provinces, prefectures and counties from cpca's administrative-division table,
  with and without their level suffix (平塘县 and 平塘), longest match first.
- ORG: a run of Han characters ending in an organisation suffix (局, 医院, 有限公司, ...).
- PERSON: names after byline markers (作者, 编辑, 记者, ...).
Rules run on the simplified view, so Traditional text matches too.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache

from training.annotations import Span
from training.divisions import cpca_resource
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
REGION_SUFFIXES = ("特别行政区", "自治州", "自治县", "自治区", "地区", "新区", "省", "市", "县", "区", "州", "盟", "旗")
LOCAL_SUFFIXES = ("街道", "社区", "镇", "乡", "村")  # below the counties cpca lists
# The official one-character forms of the provincial-level divisions (粤 for 广东, 黔 for 贵州).
PROVINCE_ABBREVIATIONS = "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川蜀黔贵滇云藏陕秦甘陇青宁新港澳台"


@lru_cache(maxsize=1)
def _division_table() -> tuple[tuple[str, str], ...]:
    """(adcode, name) of every row of cpca's administrative-division table."""
    with cpca_resource("adcodes.csv").open(encoding="utf-8") as handle:
        return tuple((row["adcode"], row["name"]) for row in csv.DictReader(handle))


@lru_cache(maxsize=1)
def division_names() -> tuple[str, ...]:
    """China's provinces, prefectures and counties by their full names (平塘县), sorted."""
    return tuple(sorted({name for _, name in _division_table()}))


def prefecture_names() -> tuple[str, ...]:
    """The prefecture-level divisions (毕节市, 临夏回族自治州): adcodes PPCC00…, CC not 00."""
    return tuple(sorted({name for code, name in _division_table() if code[2:4] != "00" and code[4:6] == "00"}))


@lru_cache(maxsize=1)
def region_names() -> tuple[str, ...]:
    """Administrative-division names and their suffix-less short forms (two characters or more), longest first."""
    names: set[str] = set()
    for name in division_names():
        names.add(name)
        for suffix in REGION_SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                short = name[: -len(suffix)]
                names.add(
                    re.sub(r"(苗族|布依族|彝族|回族|土家族|侗族|壮族|藏族|羌族|瑶族|蒙古族|维吾尔)+$", "", short)
                    or short
                )
                break
    # Longest first for the regex; ties by name, so the order never depends on string hashing.
    return tuple(sorted((name for name in names if len(name) >= 2), key=lambda name: (-len(name), name)))


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
