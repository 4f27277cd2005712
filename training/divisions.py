"""China's administrative divisions as a lookup table: names and short names → divisions with their
paths, levels, codes and coordinates.

The table is cpca's `adcodes.csv` (province, prefecture and county levels, with 12-digit codes and
coordinates; it reflects the divisions of about mid-2016). What it lacks comes from the project's own
general-knowledge files in `training/data/`: one-character abbreviations and city nicknames
(`place_names.tsv`), divisions renamed since (`renames.tsv`, so 兴仁县 and 兴仁市 both resolve and a
path carries the name in force at the article's date), and names of economic regions that are no
single division (`economic_regions.txt`).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from training.gazetteer import cpca_resource

DATA = Path(__file__).parent / "data"
LEVELS = ("country", "province", "prefecture", "county", "township", "village", "other")
PSEUDO = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")  # code-table groupings, no division
PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")
AUTONOMOUS = ("自治州", "自治县", "自治旗")
GENERIC_SUFFIXES = ("地区", "盟", "市", "县", "区", "旗", "林区", "特区")
COUNTRY = "中国"


@dataclass(frozen=True)
class Division:
    code: str  # 12 digits, as in the table; "" for a name the table lacks
    names: tuple[str, ...]  # the path of official full names, province first (as in the table)
    level: str
    lon: float | None = None
    lat: float | None = None

    @property
    def name(self) -> str:
        return self.names[-1]

    @property
    def province(self) -> str:
        return self.names[0]

    def is_within(self, other: Division) -> bool:
        """True when `other` is this division or one of its ancestors."""
        return self.names[: len(other.names)] == other.names


@dataclass(frozen=True)
class Rename:
    new_name: str
    year: int


class Divisions:
    """Every division with the names it answers to. Names map to several divisions where the country
    has several (白云区 in 广州 and in 贵阳): the article's context chooses (`training.places`)."""

    def __init__(self, divisions: list[Division], renames: dict[tuple[str, ...], Rename]):
        self.by_path = {division.names: division for division in divisions}
        self.renames = renames
        self.aliases: dict[str, list[Division]] = {}
        for division in divisions:
            for alias in short_names(division):
                self._add(alias, division)
        for names, rename in renames.items():
            if names in self.by_path:
                self._add(rename.new_name, self.by_path[names])
                for alias in short_names(Division("", (*names[:-1], rename.new_name), self.by_path[names].level)):
                    self._add(alias, self.by_path[names])
        self.by_path[(COUNTRY,)] = Division("", (COUNTRY,), "country")
        for alias, path in tsv(DATA / "place_names.tsv"):
            self._add(alias, self.by_path[tuple(path.split("/"))])
        self.max_alias = max(map(len, self.aliases))
        self.economic_regions = frozenset(_lines(DATA / "economic_regions.txt"))

    def _add(self, alias: str, division: Division) -> None:
        found = self.aliases.setdefault(alias, [])
        if division not in found:
            found.append(division)

    def lookup(self, name: str) -> list[Division]:
        return self.aliases.get(name, [])

    def get(self, path: str) -> Division | None:
        return self.by_path.get(tuple(path.split("/")))

    def named_at(self, division: Division, year: int | None, written: str = "") -> list[str]:
        """The path's names as in force in `year`: a division renamed by then carries its new name. With no
        year, the name the article wrote decides."""
        names = list(division.names)
        for depth in range(1, len(names) + 1):
            rename = self.renames.get(division.names[:depth])
            if rename is None:
                continue
            if (year is not None and year >= rename.year) or (
                year is None and written in (rename.new_name, rename.new_name[:-1])
            ):
                names[depth - 1] = rename.new_name
        return names

    def children_named(self, parent: Division, name: str) -> list[Division]:
        return [division for division in self.lookup(name) if division.is_within(parent) and division != parent]


def short_names(division: Division) -> set[str]:
    """The full name and the short forms people write: 广东, 黔南, 黔南州, 平塘 (never one character)."""
    name = division.name
    forms = {name}
    if division.level == "province":
        for suffix in PROVINCE_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix) + 1:
                forms.add(name.removesuffix(suffix))
                break
        return forms
    core = name
    for suffix in AUTONOMOUS:
        if name.endswith(suffix):
            core = _strip_nations(name.removesuffix(suffix))
            forms.update((core + suffix[-1], core + suffix))  # 黔南州, 三都县, 关岭自治县
            break
    else:
        for suffix in GENERIC_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix) + 1:
                core = name.removesuffix(suffix)
                break
    if len(core) >= 2:
        forms.add(core)
    return forms


def _strip_nations(name: str) -> str:
    """黔南布依族苗族 → 黔南: the nationalities in an autonomous division's name, taken off its end."""
    pattern = _nations_pattern()
    while True:
        shorter = pattern.sub("", name)
        if shorter == name or len(shorter) < 2:
            return name
        name = shorter


@cache
def _nations_pattern() -> re.Pattern[str]:
    nations = cpca_resource("56_nations.csv").read_text(encoding="utf-8").split()
    forms = set(nations) | {nation.removesuffix("族") for nation in nations if len(nation) > 2}
    return re.compile("(" + "|".join(sorted(forms, key=len, reverse=True)) + ")$")


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and line[0] != "#"]


def tsv(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in _lines(path)]


def _read_table() -> list[Division]:
    with cpca_resource("adcodes.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_code = {row["adcode"][:6]: row for row in rows if row["name"] not in PSEUDO}

    def names(code: str) -> tuple[str, ...]:
        province, prefecture = by_code[code[:2] + "0000"], by_code.get(code[:4] + "00")
        chain = [province["name"]]
        if prefecture is not None and code[:4] + "00" != code[:2] + "0000":
            chain.append(prefecture["name"])
        if code[4:] != "00":
            chain.append(by_code[code]["name"])
        return tuple(chain)

    def level(code: str) -> str:
        if code[2:] == "0000":
            return "province"
        return "prefecture" if code[4:] == "00" else "county"

    return [
        Division(
            code=row["adcode"],
            names=names(code),
            level=level(code),
            lon=float(row["longitude"]) if row["longitude"] else None,
            lat=float(row["latitude"]) if row["latitude"] else None,
        )
        for code, row in by_code.items()
    ]


@cache
def divisions() -> Divisions:
    """The table, built once per process (a few tens of milliseconds)."""
    table = _read_table()
    renames = {tuple(path.split("/")): Rename(new, int(year)) for path, new, year in tsv(DATA / "renames.tsv")}
    return Divisions(table, renames)
