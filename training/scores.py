"""Entity-level scores: seqeval's precision, recall and F1 in strict IOB2 mode, per label, micro and macro."""

from __future__ import annotations

from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

from training.annotations import Span
from training.tags import char_tags


def entity_scores(gold_tags: list[list[str]], predicted_tags: list[list[str]], labels: tuple[str, ...]) -> dict:
    """seqeval strict IOB2 scores: per label, micro and macro, with support."""
    report = classification_report(
        gold_tags, predicted_tags, mode="strict", scheme=IOB2, output_dict=True, zero_division=0
    )

    def row(values: dict | None) -> dict:
        values = values or {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0}
        return {
            "precision": round(float(values["precision"]), 4),
            "recall": round(float(values["recall"]), 4),
            "f1": round(float(values["f1-score"]), 4),
            "support": int(values["support"]),
        }

    return {
        "per_label": {label: row(report.get(label)) for label in labels},
        "micro": row(report.get("micro avg")),
        "macro": row(report.get("macro avg")),
    }


def span_scores(
    gold: list[list[Span]], predicted: list[list[Span]], lengths: list[int], labels: tuple[str, ...]
) -> dict:
    """`entity_scores` for span lists (per document), through BIO character tags."""
    return entity_scores(
        [char_tags(length, spans, "BIO") for length, spans in zip(lengths, gold)],
        [char_tags(length, spans, "BIO") for length, spans in zip(lengths, predicted)],
        labels,
    )
