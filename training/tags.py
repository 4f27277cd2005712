"""Character tags ↔ spans: the one encoder and the one decoder of BIO, BIOES and BMES tags."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from training.annotations import Span


def tag_names(scheme: str, labels: tuple[str, ...]) -> list[str]:
    """All tags of a scheme, "O" first: BIO → O, B-REGION, I-REGION, ...; BIOES adds E- and S-."""
    prefixes = "BI" if scheme == "BIO" else "BIES"
    return ["O"] + [f"{prefix}-{label}" for label in labels for prefix in prefixes]


def tag_labels(tags: list[str]) -> tuple[str, ...]:
    """The labels behind a tag list, in order: the inverse of `tag_names`."""
    return tuple(dict.fromkeys(tag.partition("-")[2] for tag in tags if tag != "O"))


def char_tags(length: int, spans: list[Span], scheme: str) -> list[str]:
    tags = ["O"] * length
    for span in spans:
        size = span.end - span.start
        if scheme == "BIOES" and size == 1:
            tags[span.start] = f"S-{span.label}"
            continue
        tags[span.start] = f"B-{span.label}"
        for position in range(span.start + 1, span.end):
            tags[position] = f"I-{span.label}"
        if scheme == "BIOES":
            tags[span.end - 1] = f"E-{span.label}"
    return tags


@dataclass(frozen=True)
class Irregularity:
    """A tag sequence read leniently: `stray` is an I-/M-/E- tag at `position` that continues no entity (read as
    a start); `unclosed` is an entity ending at `position` without an E- tag (only wrong in BIOES/BMES)."""

    kind: Literal["stray", "unclosed"]
    position: int
    tag: str  # the tag at `position`


def spans_from_tags(tags: list[str], text: str, irregularities: list[Irregularity] | None = None) -> list[Span]:
    """Decode BIO, BIOES or BMES tags (M- is I-) as conlleval does: an I-/M-/E- that continues no entity starts one.

    Irregular readings are appended to `irregularities` when it is given (the importer reports them).
    """
    spans: list[Span] = []
    start, label = None, None

    def close(end: int, by_end_tag: bool) -> None:
        spans.append(Span(start, end, label, text[start:end]))
        if not by_end_tag and irregularities is not None:
            irregularities.append(Irregularity("unclosed", end - 1, tags[end - 1]))

    for position, tag in enumerate(tags):
        prefix, _, tag_label = tag.partition("-")
        inside = prefix in ("I", "M", "E")
        continues = inside and start is not None and label == tag_label
        if start is not None and not continues:
            close(position, by_end_tag=False)
            start, label = None, None
        if prefix in ("B", "S") or (inside and not continues):
            if inside and irregularities is not None:
                irregularities.append(Irregularity("stray", position, tag))
            start, label = position, tag_label
        if prefix in ("E", "S"):
            close(position + 1, by_end_tag=True)
            start, label = None, None
    if start is not None:
        close(len(tags), by_end_tag=False)
    return spans
