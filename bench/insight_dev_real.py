"""Issue 23's figures on the real pages of ../shared/dev-real (read at run time, never copied):

    python bench/insight_dev_real.py [--data ../shared/dev-real] [--model models/xiezuo-small]

- place resolution: share of gold REGION mentions whose division path is one the gold accepts, on the
  gold spans and end to end (the model's spans; a gold span it missed counts as wrong);
- pairs: F1 with both ends rolled up to province/prefecture, recall on `pairs_core`, precision on
  `pairs_ok` (on gold spans and end to end);
- amounts: value exact on gold amounts; pair and year right where the gold gives them.
Only counts are printed, by level, so the figures choose between approaches and nothing else.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from training.infer import Entity, Tagger  # noqa: E402
from training.insight import analyse  # noqa: E402
from training.values import parse_amount  # noqa: E402


def rolled(path: str) -> str:
    return "/".join(path.split("/")[:2])


def place_scores(gold_places: list[dict], predicted: dict[tuple[int, int], str | None]) -> Counter:
    counts = Counter()
    for place in gold_places:
        key = (place["start"], place["end"])
        accepted = place["canonical"]
        got = predicted.get(key, "<missed>")
        right = got is None if accepted is None else got in accepted
        counts[("all", right)] += 1
        counts[(place.get("level") or "none", right)] += 1
        if not right:
            kind = "missed" if got == "<missed>" else "null" if got is None else "path"
            counts[(f"wrong:{kind}:{place.get('level')}", True)] += 1
            if kind == "null":  # the shape of what the table missed: length and last character
                counts[(f"shape:{len(place['text'])}{place['text'][-1]}", True)] += 1
    return counts


def pair_scores(gold: dict, pairs: set[tuple[str, str]]) -> tuple[int, int, int, int]:
    core = {tuple(pair) for pair in gold["pairs_core"]}
    ok = {tuple(pair) for pair in gold["pairs_ok"]}
    return len(core & pairs), len(core), len(pairs & ok), len(pairs)


def amount_value_right(gold: dict, text: str) -> bool:
    value = parse_amount(text)
    for accepted in gold["yuan"]:
        if isinstance(accepted, dict):
            if value.low == accepted.get("low") and value.high == accepted.get("high"):
                return True
        elif value.yuan is not None and abs(value.yuan - accepted) < 0.5:
            return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=PROJECT.parent / "shared" / "dev-real")
    parser.add_argument("--model", type=Path, default=PROJECT / "models" / "xiezuo-small")
    args = parser.parse_args()
    reference = {row["doc"]: row for row in map(json.loads, (args.data / "reference.jsonl").open(encoding="utf-8"))}
    gold = [json.loads(line) for line in (args.data / "insight.jsonl").open(encoding="utf-8")]
    tagger = Tagger.from_pretrained(args.model)
    amount_keys = Counter(key for doc in gold for amount in doc["amounts"] for key in amount)
    print("gold amount fields:", dict(amount_keys))
    for mode in ("gold spans", "end to end"):
        places, pairs, values, owners, diagnosis = Counter(), [0, 0, 0, 0], Counter(), Counter(), Counter()
        for doc in gold:
            text = reference[doc["doc"]]["text"]
            if mode == "gold spans":
                entities = [
                    Entity(e["start"], e["end"], e["label"], e["text"], 1.0) for e in reference[doc["doc"]]["entities"]
                ]
            else:
                entities = tagger(text).entities
            article = analyse(doc["doc"], text, entities)
            places += place_scores(doc["places"], {(p.start, p.end): p.division_text for p in article.places})
            found = {(rolled("/".join(p.helper)), rolled("/".join(p.helped))) for p in article.pairs}
            ok = {tuple(pair) for pair in doc["pairs_ok"]}
            named = {rolled(p.division_text) for p in article.places if p.path}
            for pair in found - ok:
                diagnosis[("false pair", "reversed" if pair[::-1] in ok else "ends")] += 1
            for pair in {tuple(pair) for pair in doc["pairs_core"]} - found:
                diagnosis[("missed pair", f"helper named {pair[0] in named}, helped named {pair[1] in named}")] += 1
            pairs = [a + b for a, b in zip(pairs, pair_scores(doc, found))]
            predicted = {(a.start, a.end): a for a in article.amounts}
            for amount in doc["amounts"]:
                values[amount_value_right(amount, amount["text"])] += 1
                if amount.get("helper") or amount.get("year"):
                    got = predicted.get((amount["start"], amount["end"]))
                    pair_right = got is not None and (
                        not amount.get("helper")
                        or (
                            got.helper
                            and rolled("/".join(got.helper)) == rolled(amount["helper"])
                            and rolled("/".join(got.helped)) == rolled(amount["helped"])
                        )
                    )
                    year_right = got is not None and (not amount.get("year") or got.year == amount["year"])
                    owners[pair_right and year_right] += 1
        recall = pairs[0] / pairs[1] if pairs[1] else 0.0
        precision = pairs[2] / pairs[3] if pairs[3] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        print(f"\n== {mode} ==")
        total = places[("all", True)] + places[("all", False)]
        print(f"place resolution: {places[('all', True)] / total:.3f} ({places[('all', True)]}/{total})")
        levels = sorted({level for level, _ in places if level != "all" and not level.startswith(("wrong:", "shape:"))})
        for level in levels:
            right, wrong = places[(level, True)], places[(level, False)]
            print(f"  {level:<11} {right}/{right + wrong}")
        print("  wrong by kind:", {k[0]: v for k, v in places.items() if k[0].startswith(("wrong:", "shape:"))})
        print(
            f"pairs (province/prefecture): P {precision:.3f} ({pairs[2]}/{pairs[3]})  R {recall:.3f} ({pairs[0]}/{pairs[1]})  F1 {f1:.3f}"
        )
        print("  ", dict(diagnosis))
        print(
            f"amount value exact: {values[True] / max(1, sum(values.values())):.3f} ({values[True]}/{sum(values.values())})"
        )
        if owners:
            print(
                f"amount pair and year right: {owners[True] / sum(owners.values()):.3f} ({owners[True]}/{sum(owners.values())})"
            )


if __name__ == "__main__":
    main()
