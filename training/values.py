"""AMOUNT and DATE spans → values: yuan as numbers (ranges as low/high, 余/多 as approximate) and dates
as ISO strings at the precision written, relative ones (去年7月, 今年) read against the publish date.

Both read the span's Simplified, half-width form (萬 → 万, １２ → 12); arithmetic is decimal, so
1033.98万元 is exactly 10339800.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from training.text import simplified_view

DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8}
DIGITS |= {"九": 9, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9}
SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
BIG_UNITS = {"万": 10**4, "亿": 10**8}
CN_NUMBER = "零〇○一二两三四五六七八九壹贰叁肆伍陆柒捌玖十拾百佰千仟万亿"
NUMBER = re.compile(rf"(\d+(?:\.\d+)?)?([{CN_NUMBER}]*)")
APPROX = ("余", "多", "约", "近", "逾", "超", "左右", "上下", "几", "数")
RANGE = re.compile(r"(?<=[\d十百千万亿余多])\s*(?:至|到|-|~|—|–|－|～)\s*(?=[\d一二两三四五六七八九十])")
OTHER_CURRENCY = ("美元", "港元", "港币", "欧元", "英镑", "日元", "澳门元", "卢布", "新台币")


@dataclass(frozen=True)
class Amount:
    yuan: float | None  # one value; None for a range or an unreadable amount
    low: float | None  # a range's ends
    high: float | None
    approx: bool


@dataclass(frozen=True)
class DateValue:
    iso: str | None  # 2020, 2020-07, 2020-07-15; None for a range or an unreadable date
    low: str | None
    high: str | None

    @property
    def year(self) -> int | None:
        value = self.iso or self.low
        return int(value[:4]) if value else None


def plain(text: str) -> str:
    """Simplified, half-width, without spaces or thousands separators: the form values are read from."""
    text = unicodedata.normalize("NFKC", simplified_view(text))
    return re.sub(r"(?<=\d),(?=\d{3})|\s", "", text)


def chinese_number(text: str) -> Decimal | None:
    """三千五百万 → 35000000, 二〇二〇 → 2020 (digit by digit when there are no units)."""
    if not text:
        return None
    if all(char in DIGITS for char in text):
        return Decimal("".join(str(DIGITS[char]) for char in text))
    total, section, digit = Decimal(0), Decimal(0), None
    for char in text:
        if char in DIGITS:
            digit = DIGITS[char]
        elif char in SMALL_UNITS:
            section += (digit if digit is not None else 1) * SMALL_UNITS[char]
            digit = None
        elif char in BIG_UNITS:
            section += digit if digit is not None else (0 if section or total else 1)  # 亿 alone is one 亿
            total = (total + section) * BIG_UNITS[char] if BIG_UNITS[char] > 10**4 else total + section * 10**4
            section, digit = Decimal(0), None
    return total + section + (digit or 0)


def _multiplier(units: str) -> Decimal:
    value = Decimal(1)
    for char in units:
        value *= SMALL_UNITS.get(char) or BIG_UNITS.get(char) or 1
    return value


def _number(text: str) -> tuple[Decimal | None, bool]:
    """The value of one number with its units (3000万, 1.2亿, 三千万), ignoring 余/多 within; and whether
    it ended on a unit (a bare 2 in 2至3亿 takes the other end's units)."""
    cleaned = text
    for marker in APPROX:
        cleaned = cleaned.replace(marker, "")
    match = NUMBER.search(cleaned)
    if not match or not (match.group(1) or match.group(2)):
        return None, False
    digits, chinese = match.group(1), match.group(2)
    if digits:
        return Decimal(digits) * _multiplier(chinese), bool(chinese)
    return chinese_number(chinese), chinese[-1] in SMALL_UNITS or chinese[-1] in BIG_UNITS


def parse_amount(text: str) -> Amount:
    """`1033.98万元` → 10339800; `3000余万元` → 30000000, approx; `2至3亿元` → low 2e8, high 3e8."""
    written = plain(text)
    approx = any(marker in written for marker in APPROX)
    if any(currency in written for currency in OTHER_CURRENCY):
        return Amount(None, None, None, approx)
    body = written.replace("人民币", "").removesuffix("元")
    parts = RANGE.split(body, maxsplit=1)
    if len(parts) == 2:
        (low, low_units), (high, _) = _number(parts[0]), _number(parts[1])
        if low is not None and high is not None:
            if not low_units:
                tail = re.search(rf"[{''.join(SMALL_UNITS) + ''.join(BIG_UNITS)}]+$", parts[1].rstrip("余多"))
                low *= _multiplier(tail.group()) if tail else 1
            return Amount(None, float(low), float(high), approx)
    value, _ = _number(body)
    return Amount(float(value) if value is not None else None, None, None, approx)


# ---- dates ---------------------------------------------------------------------------------------

YEAR = r"(\d{4}|[〇○零一二三四五六七八九]{4})"
FULL = re.compile(YEAR + r"(?:年(\d{1,2})月(\d{1,2})[日号]?|[-./](\d{1,2})[-./](\d{1,2}))")
MONTHS = re.compile(YEAR + r"年(\d{1,2})月?(?:至|到|-|~|—|–|－|～)(\d{1,2})月")
YEAR_MONTH = re.compile(YEAR + r"年(\d{1,2})月")
YEAR_ONLY = re.compile(YEAR + r"年?")
MONTH_DAY = re.compile(r"(\d{1,2})月(?:(\d{1,2})[日号])?")
RELATIVE_YEARS = {"今年": 0, "本年": 0, "当年": 0, "去年": -1, "上年": -1, "前年": -2, "明年": 1}
PLANS = {"十二五": (2011, 2015), "十三五": (2016, 2020), "十四五": (2021, 2025), "十五五": (2026, 2030)}
HALVES = {"上半年": ("01", "06"), "下半年": ("07", "12")}
DATE_RANGE = re.compile(r"(?:至|到|-|~|—|–|－|～)")


def _year(text: str) -> int:
    return int(chinese_number(text) if not text.isdigit() else text)


def _point(text: str, published: date | None) -> str | None:
    """One date at its written precision; relative years against `published`."""
    if match := FULL.search(text):
        month, day = (group for group in match.groups()[1:] if group)
        return f"{_year(match.group(1)):04d}-{int(month):02d}-{int(day):02d}"
    if match := YEAR_MONTH.search(text):
        return f"{_year(match.group(1)):04d}-{int(match.group(2)):02d}"
    relative = next((offset for word, offset in RELATIVE_YEARS.items() if word in text), None)
    year: int | None = None
    if match := re.search(YEAR + "年", text):
        year = _year(match.group(1))
    elif relative is not None and published is not None:
        year = published.year + relative
    elif re.fullmatch(r"\d{4}", text):
        year = int(text)
    month = MONTH_DAY.search(text)
    if month and (year is not None or published is not None):
        year = year if year is not None else published.year
        day = f"-{int(month.group(2)):02d}" if month.group(2) else ""
        return f"{year:04d}-{int(month.group(1)):02d}{day}"
    return f"{year:04d}" if year is not None else None


def parse_date(text: str, published: date | None = None) -> DateValue:
    """`2020年7月` → 2020-07; `去年7月` (published 2021) → 2020-07; `2016—2020年` → 2016 to 2020."""
    written = plain(text)
    for plan, (low, high) in PLANS.items():
        if plan in written:
            return DateValue(None, str(low), str(high))
    if match := MONTHS.search(written):
        year = _year(match.group(1))
        return DateValue(None, f"{year:04d}-{int(match.group(2)):02d}", f"{year:04d}-{int(match.group(3)):02d}")
    if any(half in written for half in HALVES):
        year = _point(written, published) or (str(published.year) if published else None)
        first, last = next(months for half, months in HALVES.items() if half in written)
        return DateValue(None, f"{year[:4]}-{first}", f"{year[:4]}-{last}") if year else DateValue(None, None, None)
    parts = DATE_RANGE.split(written, maxsplit=1) if not FULL.search(written) else [written]
    if len(parts) == 2 and parts[0] and parts[1]:
        high = _point(parts[1], published)
        low = _point(parts[0] + ("年" if re.fullmatch(r"\d{4}", parts[0]) else ""), published)
        if low and high and len(low) < len(high) and re.fullmatch(r"\d{1,2}月.*", parts[0]):
            low = f"{high[:4]}-{low}"
        if low and high:
            return DateValue(None, low, high)
    return DateValue(_point(written, published), None, None)


PUBLISHED = re.compile(
    r"(?:发布|发表|时间|日期|来源)[^\n\d]{0,12}?(\d{4})[-年/.](\d{1,2})[-月/.](\d{1,2})|"
    r"(\d{4})[-年/.](\d{1,2})[-月/.](\d{1,2})日?\s*\d{1,2}[:：]\d{2}"
)


def published_date(text: str, fields: dict) -> date | None:
    """The page's publish date: a `date`/`published` field of the record, or a dated line on the page
    (发布时间：2020-07-15, or a date with a clock time); None when it has neither."""
    for key in ("published", "publish_date", "date"):
        value = fields.get(key)
        if value:
            try:
                return date.fromisoformat(str(value)[:10])
            except ValueError:
                pass
    match = PUBLISHED.search(plain(text[:5000])) if text else None
    if not match:
        return None
    year, month, day = (int(group) for group in match.groups() if group)
    try:
        return date(year, month, day)
    except ValueError:
        return None
