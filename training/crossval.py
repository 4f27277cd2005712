"""k-fold cross-validation by document: one model per fold, one pooled report.

Each fold tests on its own documents and trains on all the others for the
config's whole schedule, the usual k-fold protocol; with `dev`, the next fold's
documents are held out for early stopping instead. No document is ever in
train and test.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from training.annotations import load_documents
from training.config import Config, SplitConfig
from training.dataset import folds, select
from training.evaluate import evaluate_documents, pooled_report, write_report
from training.train import train


def fold_configs(config: Config, doc_ids: list[str], k: int, folder: Path, dev: bool = False) -> list[Config]:
    return [
        config.model_copy(
            update={
                "run_name": f"{config.run_name}-fold{index}",
                "output_dir": folder / "folds",
                "data": config.data.model_copy(update={"split": SplitConfig(**split)}),
            }
        )
        for index, split in enumerate(folds(doc_ids, k, config.seed, dev))
    ]


def cross_validate(config: Config, k: int, folder: Path, dev: bool = False, progress: bool = True) -> dict:
    """Train and test k folds, write the pooled report.{json,md,html} to `folder`, return it."""
    documents = load_documents(config.data.annotations)
    fold_reports, fold_documents, timings = [], [], []
    for fold_config in fold_configs(config, [document.doc_id for document in documents], k, folder, dev):
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
    (folder / "cv_config.json").write_text(json.dumps({"folds": k, "dev_fold": dev, "config": config.model_dump(mode="json")}, indent=2) + "\n")
    return report
