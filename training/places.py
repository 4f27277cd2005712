"""REGION mentions → the administrative divisions they denote, read in the article's context.

A mention is cut into known names, longest first (广州市白云区 → 广州市 + 白云区), each name constrained to
lie within the one before it; towns and villages below the table's counties (…镇, …村) hang under the
division before them. A name that several divisions share (白云区, 海南, 吉林), a one-character short
form (穗, 毕, 黔) or a bare name is chosen by the article: the divisions its unambiguous mentions name
(nearer ones, and earlier ones, count more) and the well-known partners of those (so 毕 beside 穗 is
毕节市). A span that is no single division (大湾区) gets no path and a reason.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from training.divisions import Division, Divisions, divisions
from training.knowledge import partners_of
from training.text import simplified_view

LOCAL_LEVELS = (("街道", "township"), ("苏木", "township"), ("镇", "township"), ("乡", "township"), ("社区", "village"))
LOCAL_LEVELS += (("嘎查", "village"), ("村", "village"), ("寨", "village"))
VARIANTS = str.maketrans({"陜": "陕"})  # a variant Traditional texts often write for 陝, which OpenCC leaves
BEFORE, AFTER = 1.0, 0.6  # weight of a context mention before the one being read, and after it
NEAR = 400  # characters within which a context mention counts fully; farther ones count less
WINDOW = 20 * NEAR  # context mentions farther than this do not count (a long article stays linear)


@dataclass(frozen=True)
class Place:
    """One REGION mention and its division: `path` from the province down, as named at the article's date."""

    start: int
    end: int
    text: str
    path: tuple[str, ...] | None
    level: str | None
    code: str | None
    reason: str | None  # why `path` is None
    division: Division | None = None  # the table's division the path ends in or hangs under

    @property
    def division_text(self) -> str | None:
        return "/".join(self.path) if self.path else None


@dataclass(frozen=True)
class _Parse:
    chain: list[list[Division]]  # candidates of each name, in order
    local: list[tuple[str, str]]  # (name, level) of towns and villages after them


def _local_level(piece: str) -> str | None:
    return next((level for suffix, level in LOCAL_LEVELS if piece.endswith(suffix)), None)


def _split_local(rest: str) -> list[tuple[str, str]] | None:
    """白云镇王坪村 → [(白云镇, town), (王坪村, village)]; None when the rest is not such a chain."""
    if rest[:1] in "镇乡村街社":  # a name never starts with a level word (白云 + 镇… is a misreading)
        return None
    pieces: list[tuple[str, str]] = []
    start = 0
    for end in range(1, len(rest) + 1):
        level = _local_level(rest[start:end])
        if level and end - start >= 2 and (end == len(rest) or not _local_level(rest[start : end + 1])):
            pieces.append((rest[start:end], level))
            start = end
    return pieces if pieces and start == len(rest) else None


def parse(name: str, table: Divisions) -> _Parse | None:
    """A mention's names, longest first, backing off where the rest does not parse (白云镇 is a town,
    not 白云 + 镇); one-character forms only as a whole mention."""
    if len(name) == 1:
        found = table.lookup(name)
        return _Parse([found], []) if found else None
    return _parse_from(name, 0, table)


def _parse_from(name: str, position: int, table: Divisions) -> _Parse | None:
    if position == len(name):
        return _Parse([], [])
    for length in range(min(table.max_alias, len(name) - position), 1, -1):
        found = table.lookup(name[position : position + length])
        rest = _parse_from(name, position + length, table) if found else None
        if rest is not None:
            return _Parse([found, *rest.chain], rest.local)
    local = _split_local(name[position:])
    return _Parse([], local) if local is not None else None


class ArticlePlaces:
    """Resolves every REGION mention of one article (two passes: the unambiguous first, as context)."""

    def __init__(self, mentions: Sequence[tuple[int, int, str]], year: int | None, table: Divisions | None = None):
        self.table = table or divisions()
        self.mentions = list(mentions)
        self.year = year
        self.names = [simplified_view("".join(text.split())).translate(VARIANTS) for _, _, text in self.mentions]
        self.parses = [parse(name, self.table) for name in self.names]
        self.anchors: list[tuple[int, Division]] = []  # (position, division) of the unambiguous mentions
        for (start, _, _), parsed in zip(self.mentions, self.parses):
            if parsed and parsed.chain:
                chosen = self._chain(parsed.chain, start, context=False)
                if chosen:
                    self.anchors.append((start, chosen))
        self.anchor_starts = [where for where, _ in self.anchors]
        self.counties = [(where, anchor) for where, anchor in self.anchors if anchor.level == "county"]
        self.county_starts = [where for where, _ in self.counties]
        self.partners = {partner for _, anchor in self.anchors for partner in partners_of(anchor)}

    def resolve(self) -> list[Place]:
        places: list[Place] = []
        for (start, end, text), name, parsed in zip(self.mentions, self.names, self.parses):
            places.append(self._place(start, end, text, name, parsed, places))
        return places

    def _place(self, start: int, end: int, text: str, name: str, parsed: _Parse | None, before: list[Place]) -> Place:
        if name in self.table.economic_regions:
            return Place(start, end, text, None, None, None, "an economic region, not one division")
        if parsed is None and len(name) == 1:
            parsed = self._initial(name, start)
        if parsed is None:
            return Place(start, end, text, None, None, None, "no division of this name in the table")
        division = self._chain(parsed.chain, start, context=True) if parsed.chain else None
        if parsed.chain and division is None:
            return Place(start, end, text, None, None, None, "its names do not nest")
        if not parsed.local:
            names = tuple(self.table.named_at(division, self.year, name))
            return Place(start, end, text, names, division.level, division.code or None, None, division)
        parent = division or self._parent_before(before, parsed.local[0][1]) or self._nearest_county(start)
        if parent is None:
            return Place(start, end, text, None, None, None, "a town or village with no division named before it")
        path = tuple(parent.path) if isinstance(parent, Place) else tuple(self.table.named_at(parent, self.year))
        base = parent.division if isinstance(parent, Place) else parent
        return Place(start, end, text, path + tuple(n for n, _ in parsed.local), parsed.local[-1][1], None, None, base)

    def _parent_before(self, before: list[Place], level: str) -> Place | None:
        """The nearest earlier county (or, for a village, town) the article named: where a bare town hangs."""
        wanted = ("county", "township") if level == "village" else ("county",)
        return next((place for place in reversed(before) if place.path and place.level in wanted), None)

    def _nearest_county(self, position: int) -> Division | None:
        """Failing one before it, the county the article names nearest a bare town or village."""
        index = bisect_left(self.county_starts, position)
        near = [self.counties[i] for i in (index - 1, index) if 0 <= i < len(self.counties)]
        return min(near, key=lambda county: abs(county[0] - position))[1] if near else None

    def _initial(self, char: str, start: int) -> _Parse | None:
        """A one-character form the table lacks (毕 for 毕节): a prefecture or county with that initial that
        the article names or that partners a division it names."""
        related = [
            division
            for division in self._named_or_partnered
            if division.level in ("prefecture", "county") and division.name.startswith(char)
        ]
        return _Parse([related], []) if related else None

    @cached_property
    def _named_or_partnered(self) -> list[Division]:
        seen: dict[tuple[str, ...], Division] = {}
        for division in [anchor for _, anchor in self.anchors] + sorted(self.partners, key=lambda d: d.names):
            seen.setdefault(division.names, division)
        return list(seen.values())

    def _chain(self, chain: list[list[Division]], position: int, context: bool) -> Division | None:
        """The last name's division, each name within the previous; ambiguity settled by context (or,
        without context, left unsettled: None)."""
        chosen: Division | None = None
        for candidates in chain:
            if chosen is not None:
                inside = [c for c in candidates if c.is_within(chosen) and c != chosen]
                candidates = inside or ([chosen] if chosen in candidates else [])
                if not candidates:
                    return None
            if len(candidates) > 1:
                if not context:
                    return None
                candidates = [max(candidates, key=lambda c: self._score(c, position))]
            chosen = candidates[0]
        return chosen

    def _score(self, candidate: Division, position: int) -> float:
        score = 0.0
        low, high = (
            bisect_left(self.anchor_starts, position - WINDOW),
            bisect_left(self.anchor_starts, position + WINDOW),
        )
        for where, anchor in self.anchors[low:high]:
            if where == position:
                continue
            if anchor.is_within(candidate) or candidate.is_within(anchor) or _same_prefecture(anchor, candidate):
                distance = abs(where - position)
                score += (BEFORE if where < position else AFTER) * (1.0 if distance <= NEAR else NEAR / distance)
        if any(candidate.is_within(partner) or partner.is_within(candidate) for partner in self.partners):
            score += 0.5
        return score + 0.01 * (3 - len(candidate.names))  # a tie goes to the larger division


def _same_prefecture(a: Division, b: Division) -> bool:
    return len(a.names) >= 2 and len(b.names) >= 2 and a.names[:2] == b.names[:2]


def resolve_places(mentions: Sequence[tuple[int, int, str]], year: int | None) -> list[Place]:
    """Each (start, end, text) REGION mention of one article, in order, with its division."""
    return ArticlePlaces(mentions, year).resolve()
