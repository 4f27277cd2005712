"""Ways to write tagged articles: readable terminal view, JSON, JSON lines, CoNLL, Label Studio, HTML."""

from __future__ import annotations

import html
import json

from rich.console import Console
from rich.table import Table
from rich.text import Text

from training.annotations import Span
from training.tags import char_tags
from training.evaluate import label_colours
from training.infer import TaggedArticle
from training.labelstudio import prediction_json

FORMATS = ("pretty", "json", "jsonl", "conll", "label-studio", "html")


def article_json(name: str, article: TaggedArticle) -> dict:
    return {"source": name, "length": len(article.text), "entities": [entity.to_dict() for entity in article.entities]}


def as_jsonl(name: str, article: TaggedArticle) -> str:
    return json.dumps(article_json(name, article), ensure_ascii=False) + "\n"


def as_conll(name: str, article: TaggedArticle) -> str:
    """One character and its BIO tag per line; a blank line after each article.

    Whitespace characters are written as their code point (U+0020) so each line has two columns.
    """
    spans = [Span(entity.start, entity.end, entity.label, entity.text) for entity in article.entities]
    tags = char_tags(len(article.text), spans, "BIO")
    lines = [f"# source = {name}"]
    lines += [f"{char if not char.isspace() else f'U+{ord(char):04X}'} {tag}" for char, tag in zip(article.text, tags)]
    return "\n".join(lines) + "\n\n"


def as_label_studio(name: str, article: TaggedArticle, model_version: str) -> dict:
    """A task with the model's spans as a prediction (score, model_version), ready to import."""
    return {"data": {"text": article.text, "source": name}, "predictions": [prediction_json(article.entities, model_version)]}


def as_html(items: list[tuple[str, TaggedArticle]]) -> str:
    colours = label_colours(sorted({entity.label for _, article in items for entity in article.entities}))
    sections = []
    for name, article in items:
        parts, position = [], 0
        for entity in article.entities:
            parts.append(html.escape(article.text[position : entity.start]))
            parts.append(
                f'<mark data-label="{entity.label}" style="--c:{colours[entity.label]}" title="{entity.label} {entity.score:.2f}">'
                f"{html.escape(entity.text)}<sub>{entity.label}</sub></mark>"
            )
            position = entity.end
        parts.append(html.escape(article.text[position:]))
        sections.append(f"<section><h2>{html.escape(name)}</h2><p>{''.join(parts)}</p></section>")
    return f"""<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>xiezuo-ner</title>
<style>body {{ font-family: sans-serif; margin: 1.5em; }} p {{ white-space: pre-wrap; line-height: 1.9; }}
mark {{ background: color-mix(in srgb, var(--c) 18%, white); border-bottom: 2px solid var(--c); }}
mark sub {{ font-size: 8px; color: var(--c); }}</style></head><body>{''.join(sections)}</body></html>
"""


RICH_STYLES = {"REGION": "bold green", "ORG": "bold blue", "PERSON": "bold red", "AMOUNT": "bold dark_orange", "DATE": "bold magenta"}


def print_pretty(console: Console, name: str, article: TaggedArticle) -> None:
    """The article with entities coloured by type, then a table of the entities."""
    console.rule(name)
    text = Text(article.text)
    for entity in article.entities:
        text.stylize(RICH_STYLES.get(entity.label, "bold"), entity.start, entity.end)
    console.print(text)
    table = Table("label", "text", "start", "end", "score", title=f"{len(article.entities)} entities")
    for entity in article.entities:
        table.add_row(Text(entity.label, style=RICH_STYLES.get(entity.label, "bold")), entity.text, str(entity.start), str(entity.end), f"{entity.score:.2f}")
    console.print(table)
