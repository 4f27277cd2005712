"""The project's labels, their order and their colours: one Label Studio labelling config, shipped as package data.

`training/data/label_config.xml` is what `ls push` creates a project with and what the
HTML outputs take their colours from; `annotations/label_config.xml` is the gold folder's copy.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from functools import lru_cache
from itertools import cycle
from pathlib import Path

from training.errors import XiezuoError

LABEL_CONFIG = "label_config.xml"  # every annotation folder names its labels in one
PROJECT_LABEL_CONFIG = Path(__file__).resolve().parent / "data" / LABEL_CONFIG
# Colours for labels the project config does not name (public datasets' labels), in order.
PALETTE = ("#00838f", "#ad1457", "#4e342e", "#558b2f", "#283593", "#ff8f00", "#37474f", "#6d4c41", "#0277bd", "#9e9d24")


def labels_from_xml(label_config: str, where: str) -> tuple[str, ...]:
    """The `<Label value=...>` names of a Label Studio labelling config, in order."""
    try:
        root = ElementTree.fromstring(label_config)
    except ElementTree.ParseError as error:
        raise XiezuoError(f"{where}: invalid XML at line {error.position[0]} column {error.position[1]}") from None
    labels = tuple(label.get("value", "") for label in root.iter("Label"))
    if not labels or "" in labels or len(set(labels)) < len(labels):
        raise XiezuoError(f"{where}: needs <Label value=...> elements with distinct, non-empty values")
    return labels


@lru_cache(maxsize=1)
def _project_colours() -> dict[str, str]:
    root = ElementTree.fromstring(PROJECT_LABEL_CONFIG.read_text(encoding="utf-8"))
    return {label.get("value", ""): label.get("background", "") for label in root.iter("Label")}


LABELS: tuple[str, ...] = labels_from_xml(PROJECT_LABEL_CONFIG.read_text(encoding="utf-8"), str(PROJECT_LABEL_CONFIG))


def label_colours(labels: list[str]) -> dict[str, str]:
    """The project config's colours for its labels; other labels take colours from a palette in order."""
    others = cycle(PALETTE)
    return {label: _project_colours().get(label) or next(others) for label in labels}
