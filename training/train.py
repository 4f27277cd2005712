"""Fine-tune a token classifier from one config: the plain, linear script of the project.

Steps, in order: load and check annotations → tokenizer and model → windows
per split → `transformers.Trainer` with early stopping on dev entity F1 →
document-level dev metrics → a complete model folder, renamed into place last.

The run works in `<output_dir>/.<run_name>.partial/` (checkpoints live there,
so `--resume` continues from the last one); only a finished run is renamed to
`<output_dir>/<run_name>/`, so an interrupted run never looks complete.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tempfile
from collections import deque
from datetime import datetime, timezone
from pathlib import Path

import torch
from seqeval.metrics import f1_score
from seqeval.scheme import IOB2, IOBES
from transformers import (
    DataCollatorForTokenClassification,
    EarlyStoppingCallback,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    set_seed,
)
from transformers.trainer_utils import get_last_checkpoint

from training.annotations import Document, load_folders
from training.augment import augment
from training.config import Config, config_to_yaml
from training.dataset import build_dataset, data_hash, documents_digest, select
from training.errors import XiezuoError
from training.files import replace_folder
from training.lexicon import default_lexicon
from training.modeling import build_model, crf_view
from training.tags import tag_names
from training.text import simplified_view
from training.vocab import CharVocab
from training.windows import IGNORE_INDEX


def partial_dir(config: Config) -> Path:
    return config.output_dir / f".{config.run_name}.partial"


RUN_INPUTS = "run_inputs.json"  # in the .partial folder: what the run started from, for --resume to compare


def run_inputs(config: Config, documents: list[Document]) -> dict:
    """The resolved config and a digest of the training and dev annotations a run starts from."""
    return {"config": config.model_dump(mode="json"), "annotations": documents_digest(documents).hexdigest()}


def check_resumable(path: Path, inputs: dict) -> None:
    """Refuse `--resume` when the config or the annotations changed since the run started:
    the checkpoint's vocabulary, labels and schedule belong to the old ones."""
    if not path.is_file():
        raise XiezuoError(
            f"--resume: {path} is missing, so the run's starting config is unknown; start afresh without --resume"
        )
    started = json.loads(path.read_text(encoding="utf-8"))
    changed = [f"{key} ({old!r} → {new!r})" for key, old, new in _differences(started["config"], inputs["config"])]
    if changed:
        raise XiezuoError(
            f"--resume: the config changed since the run started: {', '.join(changed)}; undo that or start afresh without --resume"
        )
    if started["annotations"] != inputs["annotations"]:
        raise XiezuoError(
            "--resume: the training or dev annotations changed since the run started; start afresh without --resume"
        )


def _differences(old: object, new: object, prefix: str = "") -> list[tuple[str, object, object]]:
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            item
            for key in dict.fromkeys([*old, *new])
            for item in _differences(old.get(key), new.get(key), f"{prefix}{key}.")
        ]
    return [] if old == new else [(prefix.rstrip("."), old, new)]


def window_f1(scheme: str, id2label: dict[int, str]):
    """Trainer metric: strict entity F1 over dev windows (the early-stopping signal)."""

    def compute(prediction) -> dict[str, float]:
        logits, labels = prediction.predictions, prediction.label_ids
        predicted = logits.argmax(-1) if logits.ndim == 3 else logits
        gold_rows, predicted_rows = [], []
        for gold_row, predicted_row in zip(labels, predicted):
            keep = gold_row != IGNORE_INDEX
            gold_rows.append([id2label[int(tag)] for tag in gold_row[keep]])
            predicted_rows.append([id2label[int(tag)] for tag in predicted_row[keep]])
        mode = IOB2 if scheme == "BIO" else IOBES
        return {"f1": f1_score(gold_rows, predicted_rows, mode="strict", scheme=mode, zero_division=0)}

    return compute


def crf_logits_to_tags(model):
    """For CRF models, evaluate on Viterbi paths rather than per-token argmax."""

    def preprocess(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        tags = model.crf.decode(*crf_view(logits, labels != IGNORE_INDEX))
        return torch.cat([torch.zeros_like(tags[:, :1]), tags], dim=1)

    return preprocess


def git_commit() -> str | None:
    """The checked-out commit, read when training starts: a commit made during a long run is not the code that ran."""
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def run_metadata(config: Config, documents: list[Document], vocab: CharVocab, commit: str | None) -> dict:
    import datasets
    import transformers

    return {
        "run_name": config.run_name,
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "training_data_hash": data_hash(documents, vocab, config.data.model_dump(mode="json")),
        "git_commit": commit,
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "datasets": datasets.__version__,
        },
    }


def model_card(config: Config, metrics: dict, metadata: dict) -> str:
    rows = "\n".join(
        f"| {label} | {values['precision']:.3f} | {values['recall']:.3f} | {values['f1']:.3f} | {values['support']} |"
        for label, values in metrics["per_label"].items()
    )
    source = config.model.name_or_path or "a BERT built from scratch with a character vocabulary (offline)"
    return f"""---
library_name: transformers
pipeline_tag: token-classification
language: zh
tags: [ner, xiezuo-ner]
---
# {config.run_name}

Chinese named-entity tagger for East–West cooperation news (REGION, ORG, PERSON,
AMOUNT, DATE), fine-tuned by xiezuo-ner from {source}.
One token per character; tags {config.data.tagging_scheme}; CRF: {config.model.crf}; lexicon features: {config.model.lexicon}.

Trained on {", ".join(config.data.split.train)} of {", ".join(map(str, config.data.annotations))};
dev {", ".join(config.data.split.dev) or "(none)"}; {metadata.get("train_runtime_s", "?")} s of training.
Training data hash `{metadata["training_data_hash"]}`, commit `{metadata["git_commit"]}`.
Rebuild it from the project root with `xiezuo-ner train --config {config.output_dir / config.run_name / "training_config.yaml"}`
(the resolved config of this run).

## Dev metrics (entity level, seqeval strict IOB2)

| label | precision | recall | F1 | support |
|---|---|---|---|---|
{rows}

Micro F1: {metrics["micro"]["f1"]:.3f}.

## Use

```python
from training.infer import Tagger
tagger = Tagger.from_pretrained("{config.output_dir / config.run_name}")
print(tagger("廣州市白云區對口幫扶平塘縣").entities)
```

{_pipeline_note(config)}
See `training_config.yaml` for every setting of the run.
"""


def _pipeline_note(config: Config) -> str:
    """Why `transformers.pipeline` is not the way to run this model: it loads the folder, but its answers are not the model's."""
    reasons = [
        "it skips the project's normalisation (scraper noise, Traditional characters read through a Simplified view)"
    ]
    if config.data.tagging_scheme == "BIOES":
        reasons.append("it groups tags as BIO while this model speaks BIOES")
    if config.model.crf:
        reasons.append("it drops the CRF layer")
    if config.model.lexicon:
        reasons.append(
            "it cannot give the dictionary-word flags the model reads beside each character (training/lexicon.py)"
        )
    return (
        'Use the `Tagger`, not `transformers.pipeline("token-classification")`: the pipeline loads this folder,\n'
        f"but its entities are not this model's: {'; '.join(reasons)}."
    )


class CharCollator(DataCollatorForTokenClassification):
    """Pads windows as usual; lexicon flags, which the tokenizer does not know, are padded with 0 (no word)."""

    def torch_call(self, features: list[dict]) -> dict:
        flags = [feature.pop("lexicon_flags") for feature in features] if "lexicon_flags" in features[0] else None
        batch = super().torch_call(features)
        if flags is not None:
            padded = torch.zeros_like(batch["input_ids"])
            for row, row_flags in enumerate(flags):
                padded[row, : len(row_flags)] = torch.tensor(row_flags)
            batch["lexicon_flags"] = padded
        return batch


class StopAfterStep(TrainerCallback):
    """Simulates an interruption (tests): raises after `step` once its checkpoint is saved."""

    def __init__(self, step: int):
        self.step = step

    def on_save(self, args, state, control, **kwargs):
        if state.global_step >= self.step:
            raise KeyboardInterrupt(f"stopped after step {state.global_step}")


class WeightAverage(TrainerCallback):
    """Keeps the weights of the last `count` evaluations, so the saved model can be their mean.

    The best checkpoint by dev F1 is one draw among many near-equal ones, and which one wins
    changes with the seed; the mean of the last few is a flatter, steadier point. Kept in memory
    (a few MB each for the offline model), so a resumed run averages what it saw after resuming.
    """

    def __init__(self, count: int):
        self.kept: deque[dict[str, torch.Tensor]] = deque(maxlen=count)

    def on_evaluate(self, args, state, control, model=None, **kwargs):
        self.kept.append({name: value.detach().to("cpu", copy=True) for name, value in model.state_dict().items()})

    def mean(self) -> dict[str, torch.Tensor]:
        """The mean of the kept weights (integer buffers, equal in every copy, are taken as they are)."""
        last = self.kept[-1]
        return {
            name: torch.stack([kept[name] for kept in self.kept]).mean(0) if value.is_floating_point() else value
            for name, value in last.items()
        }


def training_arguments(config: Config, checkpoints: Path, has_dev: bool) -> TrainingArguments:
    training = config.training
    on_gpu = torch.cuda.is_available()
    bf16 = (on_gpu and torch.cuda.is_bf16_supported()) if training.bf16 == "auto" else bool(training.bf16)
    return TrainingArguments(
        output_dir=str(checkpoints),
        num_train_epochs=training.epochs,
        per_device_train_batch_size=training.batch_size,
        per_device_eval_batch_size=training.batch_size,
        learning_rate=training.learning_rate,
        weight_decay=training.weight_decay,
        warmup_steps=training.warmup_ratio,  # a float below 1 is a fraction of all steps
        lr_scheduler_type="linear",
        eval_strategy="steps" if has_dev else "no",
        save_strategy="steps",
        eval_steps=training.eval_steps,
        save_steps=training.eval_steps,
        save_total_limit=2,  # the best and the last
        load_best_model_at_end=has_dev,
        metric_for_best_model="f1" if has_dev else None,
        greater_is_better=True,
        logging_steps=training.eval_steps,
        seed=config.seed,
        data_seed=config.seed,
        full_determinism=not on_gpu,  # deterministic kernels on CPU; GPUs keep their fast paths
        bf16=bf16,
        report_to=[],
        dataloader_num_workers=0,
        save_only_model=False,  # optimizer and RNG states are what --resume needs
    )


def train(
    config: Config, resume: bool = False, callbacks: list[TrainerCallback] | None = None, progress: bool = True
) -> Path:
    """Train `config` and return the finished model folder.

    A run that fails before its first checkpoint leaves nothing behind; one that fails later
    keeps its `.partial` folder for `--resume`.
    """
    work = partial_dir(config)
    try:
        return _train(config, resume, callbacks, progress)
    except BaseException:
        if int(os.environ.get("RANK", "0")) == 0 and work.is_dir() and not get_last_checkpoint_in(work / "checkpoints"):
            shutil.rmtree(work, ignore_errors=True)
        raise


def get_last_checkpoint_in(folder: Path) -> str | None:
    return get_last_checkpoint(str(folder)) if folder.is_dir() else None


def _train(config: Config, resume: bool, callbacks: list[TrainerCallback] | None, progress: bool) -> Path:
    set_seed(config.seed)
    commit = git_commit()
    work = partial_dir(config)
    final = config.output_dir / config.run_name
    checkpoints = work / "checkpoints"
    last_checkpoint = get_last_checkpoint_in(checkpoints) if resume else None
    if resume and last_checkpoint is None:
        raise XiezuoError(f"--resume: no checkpoint under {checkpoints}; start the run without --resume")
    documents, folder_label_names = load_folders(config.data.annotations)
    split = config.data.split
    train_docs, dev_docs = select(documents, split.train), select(documents, split.dev)
    inputs = run_inputs(config, train_docs + dev_docs)
    if resume:
        check_resumable(work / RUN_INPUTS, inputs)
    main_process = int(os.environ.get("RANK", "0")) == 0  # under torchrun, one process owns the folders
    if not resume and work.exists() and main_process:
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    if main_process and not resume:
        (work / RUN_INPUTS).write_text(json.dumps(inputs, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    scheme = config.data.tagging_scheme
    labels = tag_names(scheme, folder_label_names)
    model_train_docs = train_docs + augment(
        train_docs, config.data.augmentation_copies, config.seed, config.data.word_swap_rate
    )
    corpus = [simplified_view(document.text) for document in model_train_docs]  # never dev or test characters
    # Other torchrun processes build their identical vocabulary aside, away from the main one's folder.
    tokenizer, model = build_model(config.model, labels, corpus, work if main_process else Path(tempfile.mkdtemp()))
    model.config.window_max_length = config.data.max_length
    model.config.window_overlap = config.data.window_overlap
    lexicon = default_lexicon() if config.model.lexicon else None
    model.config.lexicon_fingerprint = lexicon.fingerprint if lexicon else None
    vocab = CharVocab(tokenizer)
    window_settings = (labels, scheme, config.data.max_length, config.data.window_overlap, lexicon)
    train_set = build_dataset(model_train_docs, vocab, *window_settings).remove_columns(["doc_id", "char_start"])
    dev_set = (
        build_dataset(dev_docs, vocab, *window_settings).remove_columns(["doc_id", "char_start"]) if dev_docs else None
    )

    args = training_arguments(config, checkpoints, has_dev=dev_set is not None)
    args.disable_tqdm = not progress
    average = WeightAverage(config.training.average_last) if config.training.average_last and dev_set else None
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train_set,
        eval_dataset=dev_set,
        data_collator=CharCollator(tokenizer, label_pad_token_id=IGNORE_INDEX),
        compute_metrics=window_f1(scheme, model.config.id2label) if dev_set is not None else None,
        preprocess_logits_for_metrics=crf_logits_to_tags(model) if config.model.crf else None,
        callbacks=([EarlyStoppingCallback(config.training.early_stopping_patience)] if dev_set is not None else [])
        + ([average] if average else [])
        + (callbacks or []),
    )
    trainer.train(resume_from_checkpoint=last_checkpoint)
    if not trainer.is_world_process_zero():
        return final

    model_dir = work / "model"
    if average and average.kept:
        trainer.model.load_state_dict(average.mean())
    trainer.save_model(str(model_dir))  # the averaged weights, or the best checkpoint's (load_best_model_at_end)
    (model_dir / "training_args.bin").unlink(missing_ok=True)  # a pickle; training_config.yaml says the same, safely
    tokenizer.save_pretrained(str(model_dir))
    if (work / "vocab.txt").is_file():  # the generated character vocabulary, in BERT's format
        shutil.copy(work / "vocab.txt", model_dir / "vocab.txt")

    from training.evaluate import evaluate_documents  # evaluation builds on a saved model

    metrics = (
        evaluate_documents(model_dir, dev_docs)["systems"]["model"]
        if dev_docs
        else {"per_label": {}, "micro": {"f1": float("nan")}}
    )
    metadata = run_metadata(config, train_docs + dev_docs, vocab, commit)
    metadata["train_runtime_s"] = round(trainer.state.log_history[-1].get("train_runtime", float("nan")), 1)
    metadata["global_step"] = trainer.state.global_step
    metadata["epochs_run"] = round(trainer.state.epoch or 0.0, 3)
    metadata["train_chars"] = sum(len(document.text) for document in model_train_docs)
    metadata["loss_curve"] = [[entry["step"], entry["loss"]] for entry in trainer.state.log_history if "loss" in entry]
    (model_dir / "metrics.json").write_text(json.dumps({"dev": metrics}, indent=2, ensure_ascii=False) + "\n")
    (model_dir / "training_config.yaml").write_text(config_to_yaml(config), encoding="utf-8")
    (model_dir / "run.json").write_text(json.dumps(metadata, indent=2) + "\n")
    (model_dir / "README.md").write_text(model_card(config, metrics, metadata), encoding="utf-8")

    replace_folder(model_dir, final)  # a finished earlier run of the same name is replaced only now
    shutil.rmtree(work)
    return final
