"""The insight report: a map of partner pairs, money by pair and year, the organisations and people
named with each pair, every figure linked to the sentences it came from. One HTML file, no scripts
from anywhere: the map is inline SVG, each place drawn at its division's coordinates.

Pairs are shown rolled up to province or prefecture (the first two parts of a path), as people
read them; the tables keep the full paths. Only aggregates and a few evidence sentences per figure
stay in memory, so a large corpus gives a report of bounded size.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from training.divisions import divisions
from training.render import render

EVIDENCE_PER_FIGURE = 5  # sentences kept for each pair and each money cell
SENTENCE_CHARS = 240
TOP_NAMES = 8
MAP_W, MAP_H = 760, 560
LON, LAT = (73.0, 135.5), (17.5, 54.0)  # China's extent
Key = tuple[str, str]


def rolled(path: tuple[str, ...]) -> str:
    return "/".join(path[:2])


@dataclass
class Evidence:
    id: str
    text: str  # the sentence, shortened
    mark: str = ""  # the amount it holds, if any


@dataclass
class PairData:
    articles: set[str] = field(default_factory=set)
    kinds: Counter = field(default_factory=Counter)
    orgs: Counter = field(default_factory=Counter)
    people: Counter = field(default_factory=Counter)
    evidence: list[Evidence] = field(default_factory=list)
    money: dict[int | None, float] = field(default_factory=lambda: defaultdict(float))
    money_evidence: dict[int | None, list[Evidence]] = field(default_factory=lambda: defaultdict(list))


@dataclass
class ReportData:
    articles: int = 0
    places: int = 0
    resolved: int = 0
    amounts: int = 0
    attributed: int = 0
    pairs: dict[Key, PairData] = field(default_factory=dict)

    def add(self, article) -> None:  # an insight.ArticleInsight (not imported: insight imports this module)
        self.articles += 1
        self.places += len(article.places)
        self.resolved += sum(1 for place in article.places if place.path)
        self.amounts += len(article.amounts)
        text = article.text
        stated: dict[Key, PairData] = {}
        for pair in article.statements:
            key = (rolled(pair.helper), rolled(pair.helped))
            data = self.pairs.setdefault(key, PairData())
            stated[key] = data
            data.kinds[pair.kind] += 1
            if article.id not in data.articles and len(data.evidence) < EVIDENCE_PER_FIGURE:
                data.evidence.append(Evidence(article.id, _short(text[pair.start : pair.end])))
            data.articles.add(article.id)
        for data in stated.values():  # the organisations and people of the articles that state the pair
            data.orgs.update(e.text for e in article.entities if e.label == "ORG")
            data.people.update(e.text for e in article.entities if e.label == "PERSON")
        for amount in article.amounts:
            if amount.helper is None or amount.yuan is None and amount.low is None:
                continue
            self.attributed += 1
            data = self.pairs.setdefault((rolled(amount.helper), rolled(amount.helped)), PairData())
            data.money[amount.year] += amount.yuan if amount.yuan is not None else amount.low
            cell = data.money_evidence[amount.year]
            if len(cell) < EVIDENCE_PER_FIGURE:
                cell.append(Evidence(article.id, _short(text[amount.sentence[0] : amount.sentence[1]]), amount.text))


def _short(sentence: str) -> str:
    sentence = " ".join(sentence.split())
    return sentence if len(sentence) <= SENTENCE_CHARS else sentence[: SENTENCE_CHARS - 1] + "…"


def _point(path: str) -> tuple[float, float] | None:
    division = divisions().get(path)
    if division is None or division.lon is None:
        return None
    x = (division.lon - LON[0]) / (LON[1] - LON[0]) * MAP_W
    y = (LAT[1] - division.lat) / (LAT[1] - LAT[0]) * MAP_H
    return round(x, 1), round(y, 1)


def _label(path: str) -> str:
    return path.split("/")[-1]


def _yuan(value: float) -> str:
    if value >= 1e8:
        return f"{value / 1e8:,.2f} 亿元"
    if value >= 1e4:
        return f"{value / 1e4:,.2f} 万元"
    return f"{value:,.0f} 元"


def view(data: ReportData, top: int = 40) -> dict:
    """What the template shows: the `top` pairs by articles, their map, money table and sections."""
    ranked = sorted(
        data.pairs.items(), key=lambda item: (-len(item[1].articles), -sum(item[1].money.values()), item[0])
    )
    ranked = ranked[:top]
    years = sorted({year for _, pair in ranked for year in pair.money if year is not None})
    most = max((len(pair.articles) for _, pair in ranked), default=1) or 1
    nodes: dict[str, dict] = {}
    edges = []
    for number, ((helper, helped), pair) in enumerate(ranked):
        ends = [_point(helper), _point(helped)]
        if None in ends:
            continue
        for path, point, side in ((helper, ends[0], "helper"), (helped, ends[1], "helped")):
            nodes.setdefault(path, {"x": point[0], "y": point[1], "label": _label(path), "side": side})
        (x1, y1), (x2, y2) = ends
        bend = ((x1 + x2) / 2 - (y2 - y1) * 0.15, (y1 + y2) / 2 + (x2 - x1) * 0.15)
        edges.append(
            {"pair": number, "d": f"M{x1},{y1} Q{bend[0]:.1f},{bend[1]:.1f} {x2},{y2}"}
            | {"width": 1 + 5 * len(pair.articles) / most, "title": f"{helper} → {helped}: {len(pair.articles)}"}
        )
    pairs = []
    for number, ((helper, helped), pair) in enumerate(ranked):
        money = [
            {"year": year, "value": _yuan(value), "raw": value, "evidence": pair.money_evidence[year]}
            for year, value in sorted(pair.money.items(), key=lambda item: (item[0] is None, item[0] or 0))
        ]
        pairs.append(
            {"number": number, "helper": helper, "helped": helped, "articles": len(pair.articles)}
            | {"kind": pair.kinds.most_common(1)[0][0] if pair.kinds else "—", "evidence": pair.evidence}
            | {"orgs": pair.orgs.most_common(TOP_NAMES), "people": pair.people.most_common(TOP_NAMES), "money": money}
            | {"by_year": {year: next((m for m in money if m["year"] == year), None) for year in [*years, None]}}
        )
    biggest = max((m["raw"] for p in pairs for m in p["money"]), default=1) or 1
    return {
        "data": data,
        "share": data.resolved / data.places if data.places else 0.0,
        "pairs": pairs,
        "years": years,
        "nodes": list(nodes.values()),
        "edges": edges,
        "width": MAP_W,
        "height": MAP_H,
        "biggest": biggest,
        "total": _yuan(sum(m["raw"] for p in pairs for m in p["money"])),
        "omitted": max(0, len(data.pairs) - top),
    }


def render_report(data: ReportData) -> str:
    return render("insight.html", **view(data))
