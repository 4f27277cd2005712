"""How good is a model, per type, and where does it go wrong.

Scores are seqeval's entity-level precision/recall/F1 in strict IOB2 mode.
Beside them, every predicted and gold span is sorted into an error category:

- correct: same span, same type;
- wrong_type: same span, another type;
- wrong_span: overlaps a gold span of the same type, boundaries differ;
- wrong_span_and_type: overlaps gold spans of other types only;
- spurious: overlaps no gold span;
- missed: a gold span no prediction touches.

(The categories of nervaluate, computed here per span because the report lists
each error with its context, which nervaluate's aggregate counts do not give.)
The same report scores the rules baseline of `training.baseline`.
"""

from __future__ import annotations

import html
import json
import statistics
from collections import Counter, defaultdict
from itertools import cycle
from pathlib import Path

from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

from training.annotations import LABELS, Document, Span
from training.baseline import rule_spans
from training.tags import char_tags

CONTEXT_CHARS = 20
CATEGORIES = ("correct", "wrong_type", "wrong_span", "wrong_span_and_type", "spurious", "missed")


def entity_scores(gold_tags: list[list[str]], predicted_tags: list[list[str]], labels: tuple[str, ...]) -> dict:
    """seqeval strict IOB2 scores: per label, micro and macro, with support."""
    report = classification_report(gold_tags, predicted_tags, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)

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


def span_scores(gold: list[list[Span]], predicted: list[list[Span]], lengths: list[int], labels: tuple[str, ...]) -> dict:
    """`entity_scores` for span lists (per document), through BIO character tags."""
    return entity_scores(
        [char_tags(length, spans, "BIO") for length, spans in zip(lengths, gold)],
        [char_tags(length, spans, "BIO") for length, spans in zip(lengths, predicted)],
        labels,
    )


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


def breakdown(categorised: list[tuple[str, Span | None, Span | None]], labels: tuple[str, ...]) -> dict[str, dict[str, int]]:
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


def _span_json(span: Span | None) -> dict | None:
    return None if span is None else {"start": span.start, "end": span.end, "label": span.label, "text": span.text}


def system_report(documents: list[Document], predictions: list[list[Span]], labels: tuple[str, ...]) -> tuple[dict, list[dict]]:
    """Scores, breakdown and confusion of one system, plus its error list."""
    scores = span_scores([d.spans for d in documents], predictions, [len(d.text) for d in documents], labels)
    categorised_all, errors = [], []
    for document, predicted in zip(documents, predictions):
        categorised = categorise(document.spans, predicted)
        categorised_all.extend(categorised)
        for category, gold, prediction in categorised:
            if category == "correct":
                continue
            anchor = gold or prediction
            start, end = max(0, anchor.start - CONTEXT_CHARS), min(len(document.text), anchor.end + CONTEXT_CHARS)
            errors.append(
                {
                    "doc_id": document.doc_id,
                    "category": category,
                    "gold": _span_json(gold),
                    "predicted": _span_json(prediction),
                    "context": document.text[start:end],
                    "context_start": start,
                }
            )
    scores["breakdown"] = breakdown(categorised_all, labels)
    scores["confusion"] = confusion(categorised_all)
    return scores, errors


def build_report(documents: list[Document], model_predictions: list[list[Span]], model_name: str, labels: tuple[str, ...]) -> dict:
    """The whole report: model and rules scored on the same documents, errors, and the predictions.

    The rules know the project's five labels; on other label sets they score only the labels they share,
    and are not run at all when there are none (on CLUENER they would cost as much as the tagging).
    """
    shared = set(labels) & set(LABELS)
    rules_predictions = [[span for span in rule_spans(document.text) if span.label in shared] if shared else [] for document in documents]
    model_scores, model_errors = system_report(documents, model_predictions, labels)
    rules_scores, _ = system_report(documents, rules_predictions, labels)
    return {
        "model": model_name,
        "labels": list(labels),
        "documents": [document.doc_id for document in documents],
        "systems": {"model": model_scores, "rules": rules_scores},
        "errors": model_errors,
        "predictions": {
            document.doc_id: {
                "text": document.text,
                "gold": [_span_json(span) for span in document.spans],
                "model": [_span_json(span) for span in predicted],
            }
            for document, predicted in zip(documents, model_predictions)
        },
    }


def evaluate_documents(model_dir: Path, documents: list[Document]) -> dict:
    """Report for a saved model on annotated documents (scored on the model's labels)."""
    from training.infer import Tagger

    tagger = Tagger.from_pretrained(model_dir)
    predictions = [
        [Span(entity.start, entity.end, entity.label, entity.text) for entity in entities]
        for entities in tagger.predict_normalised([document.text for document in documents])
    ]
    return build_report(documents, predictions, model_dir.name, tagger.labels)


# ---- files ---------------------------------------------------------------------------------------


def write_report(report: dict, folder: Path) -> list[Path]:
    """report.json, report.md and a self-contained report.html in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "report.json", folder / "report.md", folder / "report.html"]
    paths[0].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths[1].write_text(report_markdown(report), encoding="utf-8")
    paths[2].write_text(report_html(report), encoding="utf-8")
    return paths


def score_rows(report: dict) -> list[tuple[str, dict, dict]]:
    """(label, model scores, rules scores) for each label, then micro and macro."""
    model, rules = report["systems"]["model"], report["systems"]["rules"]
    rows = [(label, model["per_label"][label], rules["per_label"][label]) for label in report["labels"]]
    return rows + [(average, model[average], rules[average]) for average in ("micro", "macro")]


def _score_table(report: dict) -> list[str]:
    lines = ["| label | support | model P | model R | model F1 | rules F1 |", "|---|---|---|---|---|---|"]
    for label, m, r in score_rows(report):
        lines.append(f"| {label} | {m['support']} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {r['f1']:.3f} |")
    return lines


def report_markdown(report: dict) -> str:
    lines = [f"# Evaluation of `{report['model']}`", "", f"Documents: {', '.join(report['documents'])}", ""]
    if "folds" in report:
        lines += ["## Cross-validation", "", "| fold | test documents | model micro F1 | rules micro F1 |", "|---|---|---|---|"]
        lines += [f"| {f['fold']} | {', '.join(f['test'])} | {f['model_micro_f1']:.3f} | {f['rules_micro_f1']:.3f} |" for f in report["folds"]]
        lines += ["", "Mean ± standard deviation of per-fold F1:", "", "| label | model | rules |", "|---|---|---|"]
        for label, values in report["fold_summary"].items():
            lines.append(f"| {label} | {values['model_mean']:.3f} ± {values['model_std']:.3f} | {values['rules_mean']:.3f} ± {values['rules_std']:.3f} |")
        lines += ["", "## Pooled over all folds", ""]
    lines += ["Entity level, seqeval strict IOB2.", "", *_score_table(report), "", "## Error breakdown (model)", ""]
    lines += ["| label | " + " | ".join(CATEGORIES) + " |", "|---" * (len(CATEGORIES) + 1) + "|"]
    for label, counts in report["systems"]["model"]["breakdown"].items():
        lines.append(f"| {label} | " + " | ".join(str(counts[c]) for c in CATEGORIES) + " |")
    lines += ["", "## Errors (model)", "", "| document | category | gold | predicted | context |", "|---|---|---|---|---|"]
    for error in report["errors"]:
        gold = f"{error['gold']['text']} ({error['gold']['label']})" if error["gold"] else ""
        predicted = f"{error['predicted']['text']} ({error['predicted']['label']})" if error["predicted"] else ""
        context = error["context"].replace("\n", " ").replace("|", "\\|")
        lines.append(f"| {error['doc_id']} | {error['category']} | {gold} | {predicted} | {context} |")
    return "\n".join(lines) + "\n"


COLOURS = {"REGION": "#2e7d32", "ORG": "#1565c0", "PERSON": "#c62828", "AMOUNT": "#ef6c00", "DATE": "#6a1b9a"}
PALETTE = ("#00838f", "#ad1457", "#4e342e", "#558b2f", "#283593", "#ff8f00", "#37474f", "#6d4c41", "#0277bd", "#9e9d24")


def label_colours(labels: list[str]) -> dict[str, str]:
    """The project's colours for its five labels; other label sets take colours from a palette in order."""
    others = cycle(PALETTE)
    return {label: COLOURS.get(label) or next(others) for label in labels}


def _marked_text(text: str, spans: list[dict], other: list[dict], colours: dict[str, str]) -> str:
    """HTML of `text` with `spans` wrapped in <mark>; a span not exactly in `other` is flagged as an error."""
    other_keys = {(s["start"], s["end"], s["label"]) for s in other}
    parts, position = [], 0
    for span in sorted(spans, key=lambda s: s["start"]):
        parts.append(html.escape(text[position : span["start"]]))
        status = "ok" if (span["start"], span["end"], span["label"]) in other_keys else "error"
        parts.append(
            f'<mark class="ent {status}" data-label="{span["label"]}" style="--c:{colours[span["label"]]}" '
            f'title="{span["label"]}">{html.escape(span["text"])}<sub>{span["label"]}</sub></mark>'
        )
        position = span["end"]
    parts.append(html.escape(text[position:]))
    return "".join(parts)


def report_html(report: dict) -> str:
    """One self-contained page: scores, an F1 bar chart, confusion table, and gold vs model per document."""
    model, rules = report["systems"]["model"], report["systems"]["rules"]
    labels, colours = report["labels"], label_colours(report["labels"])
    bars = []
    for index, label in enumerate((*labels, "micro")):
        for offset, (system, colour) in enumerate(((model, "#1565c0"), (rules, "#9e9e9e"))):
            f1 = system[label]["f1"] if label == "micro" else system["per_label"][label]["f1"]
            y = 10 + index * 34 + offset * 14
            bars.append(f'<rect x="90" y="{y}" width="{f1 * 400:.1f}" height="12" fill="{colour}"/><text x="{95 + f1 * 400:.1f}" y="{y + 10}" font-size="10">{f1:.2f}</text>')
        bars.append(f'<text x="0" y="{10 + index * 34 + 18}" font-size="12">{label}</text>')
    chart = f'<svg id="f1-chart" width="560" height="{20 + (len(labels) + 1) * 34}" role="img" aria-label="F1 per label">{"".join(bars)}</svg>'
    confusion_rows = model["confusion"]
    predicted_labels = sorted({p for row in confusion_rows.values() for p in row})
    confusion_html = "<table id='confusion'><tr><th>gold \\ predicted</th>" + "".join(f"<th>{p}</th>" for p in predicted_labels) + "</tr>"
    for gold, row in confusion_rows.items():
        confusion_html += f"<tr><th>{gold}</th>" + "".join(f"<td>{row.get(p, 0)}</td>" for p in predicted_labels) + "</tr>"
    confusion_html += "</table>"
    scores = "<table id='scores'><tr><th>label</th><th>support</th><th>model P</th><th>model R</th><th>model F1</th><th>rules F1</th></tr>"
    for label, m, r in score_rows(report):
        scores += f"<tr><th>{label}</th><td>{m['support']}</td><td>{m['precision']:.3f}</td><td>{m['recall']:.3f}</td><td>{m['f1']:.3f}</td><td>{r['f1']:.3f}</td></tr>"
    scores += "</table>"
    documents = []
    for doc_id, item in report["predictions"].items():
        documents.append(
            f'<section class="doc" id="doc-{html.escape(doc_id)}"><h3>{html.escape(doc_id)}</h3><div class="pair">'
            f'<div class="side gold"><h4>gold</h4><p>{_marked_text(item["text"], item["gold"], item["model"], colours)}</p></div>'
            f'<div class="side model"><h4>model</h4><p>{_marked_text(item["text"], item["model"], item["gold"], colours)}</p></div>'
            "</div></section>"
        )
    legend = " ".join(f'<mark class="ent ok" style="--c:{colour}">{label}</mark>' for label, colour in colours.items())
    return f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>Evaluation of {html.escape(report['model'])}</title>
<style>
body {{ font-family: sans-serif, "Noto Sans CJK SC", "WenQuanYi Micro Hei"; margin: 1.5em; color: #222; }}
table {{ border-collapse: collapse; margin: .5em 0 1.5em; }} td, th {{ border: 1px solid #ccc; padding: 2px 8px; text-align: right; }}
.pair {{ display: flex; gap: 1em; }} .side {{ flex: 1; white-space: pre-wrap; line-height: 1.9; border: 1px solid #ddd; padding: .5em; }}
mark.ent {{ background: color-mix(in srgb, var(--c) 18%, white); border-bottom: 2px solid var(--c); padding: 0 1px; }}
mark.ent sub {{ font-size: 8px; color: var(--c); }} mark.error {{ outline: 2px dashed #d50000; }}
</style></head><body>
<h1>Evaluation of <code>{html.escape(report['model'])}</code></h1>
<p>Entity-level scores (seqeval, strict IOB2) on {len(report['documents'])} document(s). Legend: {legend};
a dashed red outline marks a span the other side does not have exactly.</p>
<h2>Scores</h2>{scores}
<h2>F1 per label (blue: model, grey: rules)</h2>{chart}
<h2>Confusion (model)</h2>{confusion_html}
<h2>Documents: gold and model side by side</h2>{''.join(documents)}
</body></html>
"""


# ---- cross-validation summaries ------------------------------------------------------------------


def pooled_report(fold_reports: list[dict], documents_by_fold: list[list[Document]], model_name: str) -> dict:
    """Pool per-fold predictions into one report, and add per-fold figures with mean ± std."""
    documents = [document for fold in documents_by_fold for document in fold]
    predictions = [
        [Span(s["start"], s["end"], s["label"], s["text"]) for s in fold_report["predictions"][document.doc_id]["model"]]
        for fold_report, fold in zip(fold_reports, documents_by_fold)
        for document in fold
    ]
    labels = tuple(fold_reports[0]["labels"])
    report = build_report(documents, predictions, model_name, labels)
    report["folds"] = [
        {
            "fold": index,
            "test": fold_report["documents"],
            "model_micro_f1": fold_report["systems"]["model"]["micro"]["f1"],
            "rules_micro_f1": fold_report["systems"]["rules"]["micro"]["f1"],
            "per_label": {
                system: {label: fold_report["systems"][system]["per_label"][label]["f1"] for label in labels}
                for system in ("model", "rules")
            },
        }
        for index, fold_report in enumerate(fold_reports)
    ]
    summary = {}
    for label in (*labels, "micro"):
        values = {}
        for system in ("model", "rules"):
            figures = [
                fold["systems"][system]["micro"]["f1"] if label == "micro" else fold["systems"][system]["per_label"][label]["f1"]
                for fold in fold_reports
            ]
            values[f"{system}_mean"] = round(statistics.fmean(figures), 4)
            values[f"{system}_std"] = round(statistics.pstdev(figures), 4)
        summary[label] = values
    report["fold_summary"] = summary
    return report


def compare_table(reports: dict[str, dict]) -> list[list[str]]:
    """Rows of per-label F1 (and micro) across named reports, model figures."""
    labels = list(dict.fromkeys(label for report in reports.values() for label in report["labels"]))
    rows = [["run", *labels, "micro"]]
    for name, report in reports.items():
        model = report["systems"]["model"]
        cells = [f"{model['per_label'][label]['f1']:.3f}" if label in model["per_label"] else "-" for label in labels]
        rows.append([name, *cells, f"{model['micro']['f1']:.3f}"])
    return rows
