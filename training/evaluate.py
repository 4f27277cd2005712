"""Run a model and the rules baseline on annotated documents and put scores and errors in one report.

Scores come from `training.scores`, error categories from `training.categories`;
`training.report` writes the report as JSON, Markdown and HTML.
"""

from __future__ import annotations

from pathlib import Path

from training.annotations import LABELS, Document, Span
from training.baseline import rule_spans
from training.categories import breakdown, categorise, confusion
from training.errors import XiezuoError
from training.scores import span_scores

CONTEXT_CHARS = 20


def _span_json(span: Span | None) -> dict | None:
    return None if span is None else {"start": span.start, "end": span.end, "label": span.label, "text": span.text}


def system_report(
    documents: list[Document], predictions: list[list[Span]], labels: tuple[str, ...]
) -> tuple[dict, list[dict]]:
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


def build_report(
    documents: list[Document], model_predictions: list[list[Span]], model_name: str, labels: tuple[str, ...]
) -> dict:
    """The whole report: model and rules scored on the same documents, errors, and the predictions.

    The rules know the project's five labels; on other label sets they score only the labels they share,
    and are not run at all when there are none (on CLUENER they would cost as much as the tagging).
    """
    shared = set(labels) & set(LABELS)
    rules_predictions = [
        [span for span in rule_spans(document.text) if span.label in shared] if shared else [] for document in documents
    ]
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


def documents_to_score(model_dir: Path, split: str, data: list[Path]) -> list[Document]:
    """The gold documents `evaluate` scores: the task files in `data`, checked against the model's labels,
    or else the `split` (train, dev or test) of the config the model was trained with."""
    from transformers import AutoConfig

    from training.annotations import check_document, load_folders, load_tasks
    from training.config import load_config
    from training.dataset import select
    from training.tags import tag_labels

    if data:
        labels = tag_labels(list(AutoConfig.from_pretrained(model_dir).id2label.values()))
        documents = [document for path in data for document in load_tasks(path)]
        problems = [problem for document in documents for problem in check_document(document, labels, edges=False)]
        if problems:
            raise XiezuoError(f"{len(problems)} annotation problem(s), first: {problems[0]}")
        return documents
    config_path = model_dir / "training_config.yaml"
    if not config_path.is_file():
        raise XiezuoError(f"{model_dir}: no training_config.yaml to find the {split} split; pass --data FILES")
    config = load_config(config_path)
    doc_ids = getattr(config.data.split, split)
    if not doc_ids:
        raise XiezuoError(f"{config_path}: the {split} split is empty; pass --data FILES or another --split")
    return select(load_folders(config.data.annotations)[0], doc_ids)


def evaluate_documents(model_dir: Path, documents: list[Document], runtime: str = "torch") -> dict:
    """Report for a saved model on annotated documents (scored on the model's labels), tagged on `runtime`."""
    from training.taggers import load_tagger

    tagger = load_tagger(model_dir, runtime)
    predictions = [
        [Span(entity.start, entity.end, entity.label, entity.text) for entity in entities]
        for entities in tagger.predict_normalised([document.text for document in documents])
    ]
    return build_report(documents, predictions, model_dir.name, tagger.labels)


def evaluate_model(
    model: Path, split: str, data: list[Path], runtime: str, out: Path | None
) -> tuple[dict, list[Path]]:
    """`xiezuo-ner evaluate`: score `model` on the task files `data` (or else its config's `split`) and write
    report.{json,md,html} to `out` (default <model>/<split or data>-report); returns the report and the files.
    The model folder and every --data file are checked first, so a typo fails in one line before any load."""
    from training.report import write_report
    from training.shipped import check_model_folder

    check_model_folder(model)
    for path in data:
        if not path.is_file():
            raise XiezuoError(f"--data {path}: {'is a folder, name task files' if path.is_dir() else 'no such file'}")
    report = evaluate_documents(model, documents_to_score(model, split, data), runtime)
    return report, write_report(report, out or model / f"{'data' if data else split}-report")
