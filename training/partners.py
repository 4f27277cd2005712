"""Partnerships an article states, and the pair and year each amount belongs to.

A pair is read from one sentence that speaks of assistance (协作, 帮扶, 对口支援, 援…): each helper-side
place in it with each helped-side place, the sides told by the well-known relations
(`training.knowledge`) or, failing those, by the east (only ever helping) and the west (only ever
helped). Co-occurring places in a sentence about something else make no pair. An amount takes the
pair of its own sentence (the one whose places lie nearest it) and the year of the date nearest it there.
Two partners of the national pairing named as such (宁波 and 黔西南州) state their pair in any sentence;
an article also states a national pairing across sentences when each end is named in a sentence about
assistance (`across_sentences`).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from training.knowledge import helped_provinces, helper_provinces, known_relation, partners_as_named, stated_relation
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
ADDRESS_GAP = 1  # mentions this close form one address (广东省广州市, 广东省 广州市): only the last counts
LINEAGE = "level"  # "level": drop an address's enclosing names, pair province with province and city with city; "all": keep only the innermost
KNOWN_WITHOUT_WORD = True  # a sentence naming two partners of the national pairing states their pair
ACROSS = True  # read pairs the article states across sentences (see `across_sentences`)


@dataclass(frozen=True)
class Pair:
    helper: tuple[str, ...]
    helped: tuple[str, ...]
    kind: str
    start: int  # the sentence that states it
    end: int
    where: int  # the mentions' position, to tell the nearest pair to an amount
    across: bool = False  # read across sentences: no one sentence names both ends


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
        if kind is None and not KNOWN_WITHOUT_WORD:
            continue
        inside_all = resolved[bisect_left(starts, start) : bisect_left(starts, end)]
        inside = _most_specific(inside_all)
        stated: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
        for index, a in enumerate(inside):
            for b in inside[index + 1 :]:
                if a.division.province == b.division.province:
                    continue
                if LINEAGE == "level" and _has_inner(a, inside_all) != _has_inner(b, inside_all):
                    continue  # 广东 with 毕节 where 广州 is named too: pair province with province, city with city
                direction = _direction(a, b)
                if direction is None:
                    continue
                helper, helped, known_kind = direction
                if kind is None:  # no assistance word: only two partners the national pairing names as such
                    known_kind = stated_relation(_rolled(helper.path), _rolled(helped.path))
                    if known_kind is None:
                        continue
                if (helper.path, helped.path) not in stated:
                    stated.add((helper.path, helped.path))
                    where = (helper.start + helped.start) // 2
                    found.append(Pair(helper.path, helped.path, known_kind or kind, start, end, where))
    if ACROSS:
        found += across_sentences(text, resolved, found)
    return found


def _most_specific(places: list[Place]) -> list[Place]:
    """A sentence's places less those another of its places lies in: written as one address with it
    (广东省广州市 adds no 广东省 pair), or anywhere in the sentence where `LINEAGE` is "all"."""
    kept = []
    for index, p in enumerate(places):
        inner = [q for q in places if q.path != p.path and q.path[: len(p.path)] == p.path]
        if LINEAGE == "all":  # else an address's enclosing names only
            dropped = bool(inner)
        else:
            following = places[index + 1] if index + 1 < len(places) else None
            dropped = following is not None and following in inner and following.start - p.end <= ADDRESS_GAP
        if not dropped:
            kept.append(p)
    return kept


def _has_inner(place: Place, places: list[Place]) -> bool:
    return any(q.path != place.path and q.path[: len(place.path)] == place.path for q in places)


def _rolled(path: tuple[str, ...]) -> tuple[str, ...]:
    return path[:2]


def across_sentences(text: str, places: list[Place], found: list[Pair]) -> list[Pair]:
    """Pairs an article states across its sentences: a helper named in one sentence about assistance
    and its well-known partner in another (the title's 穗毕协作, then a body that names only 毕节).
    Both ends must be named in sentences with an assistance word, the table must pair them as named
    (`stated_relation`: 广州 with 毕节, never 广东 with 毕节 by way of 广州), and no pair the sentences
    already state may link the same two lineages. Read at province/prefecture, once per article."""
    named: dict[tuple[str, ...], Place] = {}
    spans = {}
    starts = [place.start for place in places]
    for start, end in sentences(text):
        if sentence_kind(text[start:end]) is None:
            continue
        for place in places[bisect_left(starts, start) : bisect_left(starts, end)]:
            key = _rolled(place.path)
            if key not in named:
                named[key] = place
                spans[key] = (start, end)
    stated = [(p.helper, p.helped) for p in found]

    def linked(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
        return any((h[: len(a)] == a or a[: len(h)] == h) and (d[: len(b)] == b or b[: len(d)] == d) for h, d in stated)

    pairs = []
    for helper_key, helper in named.items():
        for helped_key, kind in partners_as_named(helper_key):
            helped = named.get(helped_key)
            if helped is None or linked(helper_key, helped_key):
                continue
            later = max(helper, helped, key=lambda p: p.start)
            start, end = spans[_rolled(later.path)]
            pairs.append(Pair(helper_key, helped_key, kind, start, end, later.start, across=True))
    return pairs


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
