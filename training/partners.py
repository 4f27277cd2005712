"""Partnerships an article states, and the pair and year each amount belongs to.

A pair is read from one sentence that speaks of assistance (协作, 帮扶, 对口支援, 援…): each helper-side
place in it with each helped-side place, the sides told by the well-known relations
(`training.knowledge`) or, failing those, by the east (only ever helping) and the west (only ever
helped). Co-occurring places in a sentence about something else make no pair. An amount takes the
pair of its own sentence (the one whose places lie nearest it) and the year of the date nearest it there.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from training.knowledge import helped_provinces, helper_provinces, known_relation
from training.places import Place
from training.text import simplified_view

SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
KINDS = (  # the first keyword a sentence holds names its kind
    ("对口合作", "对口合作"),
    ("定点帮扶", "定点帮扶"),
    ("东西部", "东西部协作"),
    ("扶贫协作", "东西部协作"),
    ("协作", "东西部协作"),
    ("对口支援", "对口支援"),
    ("援疆", "对口支援"),
    ("援藏", "对口支援"),
    ("援青", "对口支援"),
    ("对口帮扶", "东西部协作"),
    ("结对", "other"),
    ("帮扶", "other"),
    ("援建", "other"),
    ("援助", "other"),
    ("支援", "other"),
    ("携手", "other"),
)
UNPAIRED_LEVELS = ("country", "other")


@dataclass(frozen=True)
class Pair:
    helper: tuple[str, ...]
    helped: tuple[str, ...]
    kind: str
    start: int  # the sentence that states it
    end: int
    where: int  # the mentions' position, to tell the nearest pair to an amount


def sentences(text: str) -> list[tuple[int, int]]:
    return [(match.start(), match.end()) for match in SENTENCE.finditer(text)]


def sentence_kind(sentence: str) -> str | None:
    simplified = simplified_view(sentence)
    return next((kind for word, kind in KINDS if word in simplified), None)


def _side(place: Place) -> str | None:
    if place.division.province in helper_provinces():
        return "helper"
    if place.division.province in helped_provinces():
        return "helped"
    return None


def _direction(a: Place, b: Place) -> tuple[Place, Place, str | None] | None:
    """(helper, helped, known kind) for two places of one assistance sentence, or None."""
    known = known_relation(a.division, b.division)
    if known is not None:
        a_helps, kind = known
        return (a, b, kind) if a_helps else (b, a, kind)
    sides = (_side(a), _side(b))
    if sides == ("helper", "helped"):
        return a, b, None
    if sides == ("helped", "helper"):
        return b, a, None
    return None


def find_pairs(text: str, places: list[Place]) -> list[Pair]:
    """Every statement of a pair in the article, sentence by sentence (a pair stated twice comes twice)."""
    found: list[Pair] = []
    resolved = [place for place in places if place.path and place.division and place.level not in UNPAIRED_LEVELS]
    starts = [place.start for place in resolved]
    for start, end in sentences(text):
        kind = sentence_kind(text[start:end])
        if kind is None:
            continue
        inside = _most_specific(resolved[bisect_left(starts, start) : bisect_left(starts, end)])
        stated: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
        for index, a in enumerate(inside):
            for b in inside[index + 1 :]:
                if a.division.province == b.division.province:
                    continue
                direction = _direction(a, b)
                if direction is None:
                    continue
                helper, helped, known_kind = direction
                if (helper.path, helped.path) not in stated:
                    stated.add((helper.path, helped.path))
                    where = (helper.start + helped.start) // 2
                    found.append(Pair(helper.path, helped.path, known_kind or kind, start, end, where))
    return found


def _most_specific(places: list[Place]) -> list[Place]:
    """A sentence's places less those another of its places lies in (贵州 beside 铜仁 adds no pair)."""
    return [p for p in places if not any(q.path != p.path and q.path[: len(p.path)] == p.path for q in places)]


def distinct(pairs: list[Pair]) -> list[Pair]:
    """Each pair once, with the first sentence that states it."""
    first: dict[tuple[tuple[str, ...], tuple[str, ...]], Pair] = {}
    for pair in pairs:
        first.setdefault((pair.helper, pair.helped), pair)
    return list(first.values())


@dataclass(frozen=True)
class Attribution:
    helper: tuple[str, ...] | None
    helped: tuple[str, ...] | None
    year: int | None


def attribute(position: int, own: list[Pair], dated: list[tuple[int, int]]) -> Attribution:
    """The pair and year the amount at `position` belongs to: `own` are its sentence's pairs, `dated`
    the (position, year) of its sentence's dates."""
    pair = min(own, key=lambda p: abs(p.where - position)) if own else None
    nearest = [(abs(where - position) + (0 if where < position else 0.5), year) for where, year in dated]
    return Attribution(
        pair.helper if pair else None, pair.helped if pair else None, min(nearest)[1] if nearest else None
    )
