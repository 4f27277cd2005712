"""HTML pages from the package's jinja2 templates (training/templates/), escaping on.

Every piece of text in a page (article text, document ids, labels, even colours)
reaches it through a template variable, so nothing from an article, an annotation
file or a model's config can become markup.
"""

from __future__ import annotations

from functools import lru_cache

import jinja2


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("training", "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )


def render(template: str, **context) -> str:
    return _environment().get_template(template).render(**context)


def marked_segments(text: str, spans: list[dict], status=None) -> list[dict]:
    """`text` cut into plain and marked pieces for the `marked` macro; spans are dicts with start, end, label
    (and score), sorted and non-overlapping. `status(span)` names a CSS class for each mark."""
    segments, position = [], 0
    for span in sorted(spans, key=lambda s: s["start"]):
        segments.append({"text": text[position : span["start"]], "span": None})
        segments.append(
            {"text": text[span["start"] : span["end"]], "span": span, "status": status(span) if status else None}
        )
        position = span["end"]
    segments.append({"text": text[position:], "span": None})
    return segments
