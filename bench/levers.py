"""The lever table of issue 22: each model scored on the written corpus's `dev-1` and on the real pages of
`../shared/dev-real`, per label, with `evaluate`'s own scores, plus its training time.

    python bench/levers.py models/xiezuo-small models/exp/C-s42
    python bench/levers.py --group default=models/exp/C-s42,models/exp/C-s7,models/exp/C-s13

A `--group` row gives the mean of its models and, under it, each label's lowest and highest F1, so a
lever is judged on the spread of its seeds and not on one draw. dev-real only chooses between
levers: nothing here trains on it, and nothing of it is written into the project.
"""

from __future__ import annotations

import json
from pathlib import Path
from statistics import mean

import typer

from training.annotations import LABELS, load_tasks
from training.evaluate import evaluate_documents

DEV_1 = Path("annotations/corpus/dev-1.json")
DEV_REAL = Path("../shared/dev-real/tasks.json")
COLUMNS = [*LABELS, "micro"]
REAL_PAGES_HEADING = "## Real pages"


def scores(model: Path, data: Path) -> dict[str, float]:
    """Per-label and micro F1 of `model` on the tasks in `data`, as `xiezuo-ner evaluate --data` scores them."""
    report = evaluate_documents(model, load_tasks(data))
    system = report["systems"]["model"]
    return {**{label: system["per_label"][label]["f1"] for label in LABELS}, "micro": system["micro"]["f1"]}


def figures(model: Path, dev_real: Path) -> dict:
    run = json.loads((model / "run.json").read_text(encoding="utf-8"))
    return {
        "dev-1": scores(model, DEV_1),
        "dev-real": scores(model, dev_real),
        "train_s": run.get("train_runtime_s"),
    }


def record_dev_real(model: Path, dev_real: Path) -> None:
    """The model card's dev-real figure, which the regression test holds the model to (minus 0.01)."""
    system = evaluate_documents(model, load_tasks(dev_real))["systems"]["model"]
    metrics_path = model / "metrics.json"
    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    metrics["dev_real"] = {"per_label": system["per_label"], "micro": system["micro"]}
    metrics_path.write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    scores = ", ".join(f"{label} {system['per_label'][label]['f1']:.3f}" for label in LABELS)
    card = model / "README.md"
    kept = card.read_text(encoding="utf-8").split(REAL_PAGES_HEADING)[0].rstrip("\n") + "\n"  # recorded once
    card.write_text(
        kept
        + f"\n{REAL_PAGES_HEADING}\n\nOn `../shared/dev-real` (25 real pages, 946 spans; never trained on, not even for early"
        f" stopping): micro F1 **{system['micro']['f1']:.3f}** ({scores}); `python bench/levers.py {model}`.\n",
        encoding="utf-8",
    )


def row(name: str, found: list[dict]) -> str:
    """One Markdown row: dev-1 micro, dev-real per label and micro (mean, with min–max for several runs)."""

    def cell(values: list[float]) -> str:
        return f"{mean(values):.3f}" + (f" ({min(values):.3f}–{max(values):.3f})" if len(values) > 1 else "")

    dev_1 = cell([f["dev-1"]["micro"] for f in found])
    real = [cell([f["dev-real"][column] for f in found]) for column in COLUMNS]
    seconds = [f["train_s"] for f in found if f["train_s"]]
    train_s = f"{mean(seconds):.0f}" if seconds else ""
    return f"| {name} | {len(found)} | {dev_1} | " + " | ".join(real) + f" | {train_s} |"


def main(
    models: list[Path] = typer.Argument(None, help="model folders, one row each"),
    group: list[str] = typer.Option([], help="NAME=FOLDER,FOLDER,…: one row over several runs (seeds)"),
    dev_real: Path = typer.Option(DEV_REAL, help="the real pages' tasks.json"),
    json_path: Path = typer.Option(None, "--json", help="also write every figure here"),
    record: bool = typer.Option(False, help="write each model's dev-real scores into its metrics.json and card"),
) -> None:
    rows = {str(model): [model] for model in models or []}
    for item in group:
        name, _, folders = item.partition("=")
        rows[name] = [Path(folder) for folder in folders.split(",")]
    print(f"| lever | runs | dev-1 micro | dev-real {' | '.join(COLUMNS)} | train s |")
    print("|---|---|---|" + "---|" * len(COLUMNS) + "---|")
    every = {}
    for name, folders in rows.items():
        found = [figures(folder, dev_real) for folder in folders]
        every[name] = dict(zip(map(str, folders), found))
        print(row(name, found), flush=True)
    if record:
        for folder in {folder for folders in rows.values() for folder in folders}:
            record_dev_real(folder, dev_real)
    if json_path:
        json_path.write_text(json.dumps(every, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    typer.run(main)
