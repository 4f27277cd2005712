"""k-fold cross-validation by document: one model per fold, one pooled report.

The folds are made of the documents of the config's first annotation folder (the
seeds); each fold tests on its own documents and trains on all the others for the
config's whole schedule, the usual k-fold protocol; with `dev`, the next fold's
documents are held out for early stopping instead. Documents of the other folders
(the written corpus) keep the split the config gives them in every fold, so its
development set can still stop training early. No document is ever in train and test.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from training.annotations import Document, Span, load_folders
from training.config import Config, SplitConfig
from training.dataset import folds, select
from training.evaluate import build_report, evaluate_documents
from training.files import atomic_write_text
from training.report import write_report
from training.train import train


def fold_configs(
    config: Config, documents: list[Document], doc_ids: list[str], k: int, folder: Path, dev: bool = False
) -> list[Config]:
    """One config per fold over `doc_ids`; train and dev entries naming none of them (corpus files) stay in every fold."""
    folded = set(doc_ids)

    def fixed(names: list[str]) -> list[str]:
        return [name for name in names if not folded & {document.doc_id for document in select(documents, [name])}]

    fixed_train, fixed_dev = fixed(config.data.split.train), fixed(config.data.split.dev)
    result = []
    for index, split in enumerate(folds(doc_ids, k, config.seed, dev)):
        split = {"train": split["train"] + fixed_train, "dev": split["dev"] + fixed_dev, "test": split["test"]}
        result.append(
            config.model_copy(
                update={
                    "run_name": f"{config.run_name}-fold{index}",
                    "output_dir": folder / "folds",
                    "data": config.data.model_copy(update={"split": SplitConfig(**split)}),
                }
            )
        )
    return result


def cross_validate(config: Config, k: int, folder: Path, dev: bool = False, progress: bool = True) -> dict:
    """Train and test k folds, write the pooled report.{json,md,html} to `folder`, return it."""
    documents, _ = load_folders(config.data.annotations)
    fold_ids = [document.doc_id for document in documents if document.path.parent == config.data.annotations[0]]
    fold_reports, fold_documents, timings = [], [], []
    for fold_config in fold_configs(config, documents, fold_ids, k, folder, dev):
        started = time.perf_counter()
        model_dir = train(fold_config, progress=progress)
        timings.append(round(time.perf_counter() - started, 1))
        test_documents = select(documents, fold_config.data.split.test)
        fold_report = evaluate_documents(model_dir, test_documents)
        write_report(fold_report, model_dir / "test-report")
        fold_reports.append(fold_report)
        fold_documents.append(test_documents)
    report = pooled_report(fold_reports, fold_documents, f"{config.run_name} ({k}-fold cross-validation)")
    report["train_seconds_per_fold"] = timings
    write_report(report, folder)
    atomic_write_text(
        folder / "cv_config.json",
        json.dumps({"folds": k, "dev_fold": dev, "config": config.model_dump(mode="json")}, indent=2) + "\n",
    )
    return report


def pooled_report(fold_reports: list[dict], documents_by_fold: list[list[Document]], model_name: str) -> dict:
    """Pool per-fold predictions into one report, and add per-fold figures with mean ± std."""
    documents = [document for fold in documents_by_fold for document in fold]
    predictions = [
        [
            Span(s["start"], s["end"], s["label"], s["text"])
            for s in fold_report["predictions"][document.doc_id]["model"]
        ]
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
                fold["systems"][system]["micro"]["f1"]
                if label == "micro"
                else fold["systems"][system]["per_label"][label]["f1"]
                for fold in fold_reports
            ]
            values[f"{system}_mean"] = round(statistics.fmean(figures), 4)
            values[f"{system}_std"] = round(statistics.pstdev(figures), 4)
        summary[label] = values
    report["fold_summary"] = summary
    return report
