"""The well-known assistance relations between regions (`training/data/partners.tsv`, general
knowledge of the national arrangements): which side of a pair helps, and what a short form may
denote. They settle direction and ambiguity; a pair is only ever reported where an article states it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from training.divisions import DATA, Division, divisions, tsv


@dataclass(frozen=True)
class Relation:
    helper: Division
    helped: Division
    kind: str


def _related(a: Division, b: Division) -> bool:
    return a.is_within(b) or b.is_within(a)


@cache
def relations() -> tuple[Relation, ...]:
    table = divisions()
    return tuple(Relation(table.get(h), table.get(d), kind) for h, d, kind in tsv(DATA / "partners.tsv"))


@cache
def helper_provinces() -> frozenset[str]:
    """Provinces that only ever help (the east): their places are the helper side of a stated pair."""
    helpers = {relation.helper.province for relation in relations()}
    return frozenset(helpers - {relation.helped.province for relation in relations()})


@cache
def helped_provinces() -> frozenset[str]:
    helped = {relation.helped.province for relation in relations()}
    return frozenset(helped - {relation.helper.province for relation in relations()})


@cache
def partners_of(division: Division) -> frozenset[Division]:
    """The divisions a division (or one it lies in or holds) is paired with, either way."""
    found = set()
    for relation in relations():
        if _related(division, relation.helper):
            found.add(relation.helped)
        if _related(division, relation.helped):
            found.add(relation.helper)
    return frozenset(found)


@cache
def known_relation(a: Division, b: Division) -> tuple[bool, str] | None:
    """(a helps b, kind) when a known relation links the two (at any level), else None."""
    for relation in relations():
        if _related(a, relation.helper) and _related(b, relation.helped):
            return True, relation.kind
        if _related(b, relation.helper) and _related(a, relation.helped):
            return False, relation.kind
    return None


@cache
def _as_named() -> dict[tuple[str, ...], tuple[tuple[tuple[str, ...], str], ...]]:
    table: dict[tuple[str, ...], list[tuple[tuple[str, ...], str]]] = {}
    for relation in relations():
        table.setdefault(relation.helper.names, []).append((relation.helped.names, relation.kind))
    return {helper: tuple(helped) for helper, helped in table.items()}


def partners_as_named(helper: tuple[str, ...]) -> tuple[tuple[tuple[str, ...], str], ...]:
    """(helped path, kind) of each known pairing whose helper is `helper` exactly (a province/prefecture path)."""
    return _as_named().get(helper, ())


def stated_relation(helper: tuple[str, ...], helped: tuple[str, ...]) -> str | None:
    """The kind of the known pairing of `helper` with `helped` as named (paths read at province or
    prefecture): 广州 with 毕节, 广东 with 贵州, but not 广东 with 毕节 through 广州's pairing."""
    return next((kind for names, kind in partners_as_named(helper) if names == helped), None)
