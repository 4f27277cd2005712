"""Where a model goes wrong: every predicted and gold span sorted into an error category.

- correct: same span, same type;
- wrong_type: same span, another type;
- wrong_span: overlaps a gold span of the same type, boundaries differ;
- wrong_span_and_type: overlaps gold spans of other types only;
- spurious: overlaps no gold span;
- missed: a gold span no prediction touches.

(The categories of nervaluate, computed here per span because the report lists
each error with its context, which nervaluate's aggregate counts do not give.)
"""

from __future__ import annotations

from collections import Counter, defaultdict

from training.annotations import Span

CATEGORIES = ("correct", "wrong_type", "wrong_span", "wrong_span_and_type", "spurious", "missed")


def categorise(gold: list[Span], predicted: list[Span]) -> list[tuple[str, Span | None, Span | None]]:
    """(category, gold span, predicted span) for every prediction and every untouched gold span."""
    exact = {(span.start, span.end): span for span in gold}
    touched: set[Span] = set()
    result: list[tuple[str, Span | None, Span | None]] = []
    for prediction in predicted:
        same_place = exact.get((prediction.start, prediction.end))
        overlapping = [span for span in gold if span.start < prediction.end and prediction.start < span.end]
        touched.update(overlapping)
        if same_place is not None:
            result.append(("correct" if same_place.label == prediction.label else "wrong_type", same_place, prediction))
        elif overlapping:
            same_type = [span for span in overlapping if span.label == prediction.label]
            category = "wrong_span" if same_type else "wrong_span_and_type"
            result.append((category, (same_type or overlapping)[0], prediction))
        else:
            result.append(("spurious", None, prediction))
    result.extend(("missed", span, None) for span in gold if span not in touched)
    return result


def breakdown(
    categorised: list[tuple[str, Span | None, Span | None]], labels: tuple[str, ...]
) -> dict[str, dict[str, int]]:
    """Counts per category, per label (the gold label, or the predicted one for spurious) and overall."""
    counts: dict[str, Counter] = {label: Counter() for label in (*labels, "all")}
    for category, gold, predicted in categorised:
        label = (gold or predicted).label
        counts.setdefault(label, Counter())[category] += 1
        counts["all"][category] += 1
    return {label: {category: counts[label][category] for category in CATEGORIES} for label in counts}


def confusion(categorised: list[tuple[str, Span | None, Span | None]]) -> dict[str, dict[str, int]]:
    """Gold label (or "O") → predicted label (or "O") over overlapping pairs, misses and spurious spans."""
    table: dict[str, Counter] = defaultdict(Counter)
    for _, gold, predicted in categorised:
        table[gold.label if gold else "O"][predicted.label if predicted else "O"] += 1
    return {gold: dict(row) for gold, row in sorted(table.items())}
