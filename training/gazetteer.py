"""The gazetteer: China's administrative divisions (cpca's table) by full and short name, and the official
one-character province abbreviations. Read by the rules baseline, the lexicon features and augmentation."""

from __future__ import annotations

import csv
import importlib.util
import re
from functools import lru_cache
from pathlib import Path

from training.errors import XiezuoError

REGION_SUFFIXES = ("特别行政区", "自治州", "自治县", "自治区", "地区", "新区", "省", "市", "县", "区", "州", "盟", "旗")
LOCAL_SUFFIXES = ("街道", "社区", "镇", "乡", "村")  # below the counties cpca lists
# The official one-character forms of the provincial-level divisions (粤 for 广东, 黔 for 贵州).
PROVINCE_ABBREVIATIONS = "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川蜀黔贵滇云藏陕秦甘陇青宁新港澳台"


def cpca_resource(name: str) -> Path:
    """A data file of cpca, read without importing cpca (its import needs pkg_resources and loads pandas)."""
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise XiezuoError("the division table comes from the package cpca: pip install cpca==0.5.5")
    return Path(spec.submodule_search_locations[0]) / "resources" / name


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
