"""Public benchmarks: import a dataset, train and evaluate with the project's own commands, and print
one table of entity F1 (micro) beside the published reference figure, with training time and speed
(training: characters of training text × epochs / Trainer runtime; tagging: the scored texts through
`Tagger.predict_normalised`, model already loaded).

    python bench/public.py                                   # CLUENER and People's Daily, offline config
    python bench/public.py --dataset cluener --config configs/offline-small.yaml --config configs/bert-base-chinese.yaml
    python bench/public.py --dataset cluener --set training.epochs=20 --tag more-epochs

- CLUENER2020, all ten labels: train → dev (the test set has no public labels), against the
  published BiLSTM-CRF (70.00, no pretrained encoder) and BERT-base (78.82) dev F1.
- People's Daily (PER/LOC/ORG): trains on example.dev, scores example.test. Only dev and test are
  here; the published figures train on example.train (20,864 sentences), so there is no like-for-like reference.
The datasets are read from ../shared/benchmarks (--benchmarks) and never copied into the project;
the imported task files and models go under models/public/ (git-ignored).
A config whose model cannot be loaded (a hub id with no network) gets a row saying why.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

import torch

from training.infer import Tagger

PROJECT = Path(__file__).resolve().parent.parent
DATASETS = {
    "cluener": {
        "format": "cluener",
        "files": ["cluener2020/train.json", "cluener2020/dev.json"],
        "split": "{train: [train], dev: [dev], test: []}",
        "score_on": "dev",
        "references": {"offline-small": "BiLSTM-CRF 70.00", "bert-base-chinese": "BERT-base 78.82"},
    },
    "peoples_daily": {
        "format": "bio",
        "files": ["peoples_daily/example.dev", "peoples_daily/example.test"],
        "split": "{train: [example.dev], dev: [], test: [example.test]}",
        "score_on": "test",
        "references": {},
    },
}
NO_REFERENCE = "none like-for-like (published systems train on example.train, not here)"


def xiezuo(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "training", *args]
    print("$ xiezuo-ner " + shlex.join(args), flush=True)
    return subprocess.run(command, cwd=PROJECT, capture_output=True, text=True)


def last_error(process: subprocess.CompletedProcess) -> str:
    lines = [line for line in (process.stderr + process.stdout).splitlines() if line.strip()]
    return next((line for line in reversed(lines) if "error" in line.lower()), lines[-1] if lines else "failed")


def run_one(dataset: str, config: Path, benchmarks: Path, work: Path, overrides: list[str], tag: str) -> dict:
    spec = DATASETS[dataset]
    data = work / "data" / dataset
    if not (data / "label_config.xml").exists():
        imported = xiezuo(
            "import", spec["format"], *(str(benchmarks / file) for file in spec["files"]), "--out", str(data)
        )
        if imported.returncode:
            raise SystemExit(f"import of {dataset} failed: {last_error(imported)}")
    run_name = f"{dataset}-{config.stem}" + (f"-{tag}" if tag else "")
    row = {
        "dataset": dataset,
        "config": config.stem + (f" ({tag})" if tag else ""),
        "reference": spec["references"].get(config.stem, NO_REFERENCE),
    }
    trained = xiezuo(
        "train",
        "--config",
        str(config),
        "--set",
        f"run_name={run_name}",
        "--set",
        f"output_dir={work / 'models'}",
        "--set",
        f"data.annotations={data}",
        "--set",
        f"data.split={spec['split']}",
        "--set",
        "data.augmentation_copies=0",  # mention replacement is for the project's five labels
        *(item for override in overrides for item in ("--set", override)),
    )
    if trained.returncode:
        return row | {"f1": None, "note": last_error(trained)}
    model = work / "models" / run_name
    evaluated = xiezuo("evaluate", "--model", str(model), "--split", spec["score_on"])
    if evaluated.returncode:
        return row | {"f1": None, "note": last_error(evaluated)}
    report = json.loads((model / f"{spec['score_on']}-report" / "report.json").read_text(encoding="utf-8"))
    run = json.loads((model / "run.json").read_text())
    texts = [item["text"] for item in report["predictions"].values()]
    tagger = Tagger.from_pretrained(model)
    started = time.perf_counter()
    tagger.predict_normalised(texts)
    tag_s = time.perf_counter() - started
    return row | {
        "f1": 100 * report["systems"]["model"]["micro"]["f1"],
        "train_s": run["train_runtime_s"],
        "epochs": run["epochs_run"],
        "train_chars_per_s": run["train_chars"] * run["epochs_run"] / run["train_runtime_s"],
        "tag_chars_per_s": sum(map(len, texts)) / tag_s,
        "note": f"scored on {spec['score_on']}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", action="append", choices=sorted(DATASETS), help="default: all")
    parser.add_argument("--config", action="append", type=Path, help="default: configs/offline-small.yaml")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], help="extra config override for every run"
    )
    parser.add_argument(
        "--tag", default="", help="suffix for run names and the config column, to tell override runs apart"
    )
    parser.add_argument("--benchmarks", type=Path, default=PROJECT.parent / "shared" / "benchmarks")
    parser.add_argument("--work", type=Path, default=PROJECT / "models" / "public")
    args = parser.parse_args()
    if not args.benchmarks.is_dir():
        raise SystemExit(
            f"{args.benchmarks}: not found; pass --benchmarks with the folder holding cluener2020/ and peoples_daily/"
        )
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else f"CPU ({torch.get_num_threads()} threads)"
    rows = [
        run_one(dataset, config, args.benchmarks.resolve(), args.work.resolve(), args.overrides, args.tag)
        for dataset in args.dataset or list(DATASETS)
        for config in args.config or [Path("configs/offline-small.yaml")]
    ]
    print(f"\ndevice: {device}; overrides: {args.overrides or 'none'}\n")
    print(
        "| dataset | config | entity F1 (micro) | published reference | train s | epochs | train chars/s | tag chars/s | note |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        if row["f1"] is None:
            print(f"| {row['dataset']} | {row['config']} | not run | {row['reference']} | | | | | {row['note']} |")
            continue
        print(
            f"| {row['dataset']} | {row['config']} | {row['f1']:.2f} | {row['reference']} | {row['train_s']:.0f} | {row['epochs']:.1f} "
            f"| {row['train_chars_per_s']:,.0f} | {row['tag_chars_per_s']:,.0f} | {row['note']} |"
        )


if __name__ == "__main__":
    main()
