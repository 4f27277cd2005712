"""Commands that make and score models: train, pretrain, evaluate, cv, compare, export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from typer import Argument, Option

from training.choices import Runtime, Split
from training.cli.common import Model, RuntimeOption, Settings, command
from training.display import plain
from training.errors import XiezuoError
from training.shipped import default_model_path
from training.terminal import console, print_ok, rows_table, scores_table


@command()
def train(
    config: Annotated[Path, Option(help="YAML config (see configs/).")],
    set_: Settings = [],
    resume: Annotated[bool, Option(help="Continue an interrupted run from its last checkpoint.")] = False,
) -> None:
    """Fine-tune a token classifier; writes models/<run_name>/ when, and only when, it finishes.

    Example: `xiezuo-ner train --config configs/offline-small.yaml --set training.epochs=5`
    """
    import json

    from training.config import load_config
    from training.train import train as train_model

    model_dir = train_model(load_config(config, set_), resume=resume)
    metrics = json.loads((model_dir / "metrics.json").read_text(encoding="utf-8"))["dev"]
    print_ok(f"{model_dir}  dev micro F1 {metrics['micro']['f1']:.3f}", "saved")


@command()
def pretrain(
    config: Annotated[Path, Option(help="YAML pre-training config (see configs/pretrain-small.yaml).")],
    set_: Settings = [],
) -> None:
    """Masked-language-model pre-training of a small encoder on unlabelled articles.

    Writes an encoder folder; name it in a training config's `model.name_or_path`.

    Example: `xiezuo-ner pretrain --config configs/pretrain-small.yaml --set data.texts=[seeds,/data/articles]`
    """
    from training.pretrain import load_pretrain_config
    from training.pretrain import pretrain as pretrain_encoder

    encoder = pretrain_encoder(load_pretrain_config(config, set_))
    print_ok(f"{encoder}; use it with --set model.name_or_path={encoder} --set model.from_scratch=null", "saved")


@command()
def evaluate(
    model: Model = default_model_path(),
    split: Annotated[Split, Option(help="The split of the model's training config to score on.")] = Split.test,
    data: Annotated[list[Path], Option(help="Annotation files to evaluate on instead of a split.")] = [],
    out: Annotated[Path | None, Option(help="Report folder (default: MODEL/SPLIT-report).")] = None,
    runtime: RuntimeOption = Runtime.torch,
) -> None:
    """Score a model against gold annotations: report.json, report.md and report.html.

    Example: `xiezuo-ner evaluate --model models/xiezuo-small --split dev --runtime onnx-int8`
    """
    from training.evaluate import evaluate_model

    report, paths = evaluate_model(model, split.value, data, runtime.value, out)
    console.print(scores_table(report))
    console.print(plain("wrote " + ", ".join(map(str, paths))), soft_wrap=True)


@command()
def cv(
    config: Annotated[Path, Option(help="YAML config; its split is replaced by the folds.")],
    folds: Annotated[int, Option(min=2, help="Number of folds (documents are never split).")] = 5,
    out: Annotated[Path | None, Option(help="Report folder (default: OUTPUT_DIR/RUN_NAME-cv).")] = None,
    dev_fold: Annotated[bool, Option(help="Hold the next fold out of training for early stopping, instead of training on all other folds.")] = False,
    set_: Settings = [],
) -> None:  # fmt: skip
    """k-fold cross-validation by document: one model per fold, per-fold and pooled figures.

    Each fold trains on all other documents for the config's whole schedule (no early stopping), as the usual
    k-fold protocol does; `--dev-fold` holds one fold out for early stopping.

    Example: `xiezuo-ner cv --config configs/offline-small.yaml --folds 5`
    """
    from training.config import load_config
    from training.crossval import cross_validate

    resolved = load_config(config, set_)
    folder = out or resolved.output_dir / f"{resolved.run_name}-cv"
    report = cross_validate(resolved, folds, folder, dev_fold)
    console.print(scores_table(report))
    micro = report["systems"]["model"]["micro"]["f1"]
    console.print(plain(f"pooled micro F1 {micro:.3f}; reports in {folder}"), soft_wrap=True)


@command()
def compare(runs: Annotated[list[Path], Argument(help="report.json files, report folders or model folders.")]) -> None:
    """One table of per-label F1 across runs.

    Example: `xiezuo-ner compare models/xiezuo-small-cv models/xiezuo-small/dev-report`
    """
    from training.report import compare_table, read_reports

    console.print(rows_table(compare_table(read_reports(runs)), title="F1 per label"))


@command()
def export(
    model: Model = default_model_path(),
    onnx: Annotated[bool, Option("--onnx", help="Write MODEL/model.onnx (the emissions; the CRF decodes outside).")] = False,
    int8: Annotated[bool, Option("--int8", help="Also write MODEL/model.int8.onnx, dynamically quantised to int8.")] = False,
) -> None:  # fmt: skip
    """Export a model for serving; `xiezuo-ner tag --runtime onnx` (or onnx-int8) then uses it.

    Example: `xiezuo-ner export --model models/xiezuo-small --onnx --int8`
    """
    from training.onnx_export import export_onnx

    if not onnx:
        raise XiezuoError("nothing to export: pass --onnx (and --int8 for the quantised copy)")
    for path in export_onnx(model, int8=int8):
        print_ok(f"{path} ({path.stat().st_size / 1e6:.1f} MB)", "wrote")
