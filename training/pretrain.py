"""Masked-language-model pre-training of the small encoder on unlabelled articles.

`xiezuo-ner pretrain --config configs/pretrain-small.yaml` builds the character
vocabulary and a BERT from scratch, trains it to fill in masked characters of
the articles it is given (normalised, simplified view, windows of max_length),
and writes an encoder folder that a training config names in
`model.name_or_path`. Like `train`, it works in a hidden `.partial` folder and
renames it into place only when done.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import datasets
from pydantic import Field
from transformers import BertForMaskedLM, DataCollatorForLanguageModeling, Trainer, TrainingArguments, set_seed

from training.annotations import load_tasks
from training.config import ScratchEncoder, Strict, config_to_yaml, load_yaml, validated
from training.errors import XiezuoError
from training.files import replace_folder
from training.modeling import char_tokenizer, scratch_bert_config
from training.text import normalise, read_article, simplified_view
from training.vocab import CharVocab
from training.windows import SPECIAL_TOKENS, windows


class PretrainData(Strict):
    texts: list[Path] = Field(min_length=1)  # files or folders (recursive): raw articles (*.txt), task files (*.json)
    max_length: int = Field(ge=16, le=512)


class PretrainTraining(Strict):
    epochs: float = Field(gt=0)
    batch_size: int = Field(ge=1)
    learning_rate: float = Field(gt=0)
    weight_decay: float = Field(ge=0)
    warmup_ratio: float = Field(ge=0, lt=1)
    mlm_probability: float = Field(gt=0, lt=1)  # share of characters masked


class PretrainConfig(Strict):
    run_name: str = Field(pattern=r"^[A-Za-z0-9._-]+$")
    seed: int
    output_dir: Path
    data: PretrainData
    encoder: ScratchEncoder
    dropout: float = Field(ge=0.0, lt=1.0)
    training: PretrainTraining


def load_pretrain_config(path: Path, overrides: list[str] | None = None) -> PretrainConfig:
    return validated(PretrainConfig, load_yaml(path, overrides), str(path))


def article_texts(paths: list[Path]) -> list[str]:
    """Simplified views of raw articles (*.txt) and of the texts in Label Studio task files (*.json)."""
    files = [
        file
        for path in paths
        for file in (sorted([*path.rglob("*.txt"), *path.rglob("*.json")]) if path.is_dir() else [path])
    ]
    if not files:
        raise XiezuoError(f"no articles in {', '.join(map(str, paths))}")
    texts = []
    for file in files:
        if file.suffix == ".json":  # already normalised when it was annotated or imported
            texts.extend(simplified_view(document.text) for document in load_tasks(file))
        else:
            texts.append(simplified_view(normalise(read_article(file)).text))
    return texts


def pretrain(config: PretrainConfig, progress: bool = True) -> Path:
    set_seed(config.seed)
    final = config.output_dir / config.run_name
    work = config.output_dir / f".{config.run_name}.partial"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    texts = article_texts(config.data.texts)
    tokenizer = char_tokenizer(texts, work / "vocab.txt")
    vocab = CharVocab(tokenizer)
    rows = []
    for text in texts:
        char_ids = vocab.encode(text)
        for start, end in windows(len(text), config.data.max_length - SPECIAL_TOKENS, 0, text):
            rows.append({"input_ids": [vocab.cls_id, *char_ids[start:end], vocab.sep_id]})
    model = BertForMaskedLM(scratch_bert_config(config.encoder, tokenizer.vocab_size, config.dropout))
    training = config.training
    args = TrainingArguments(
        output_dir=str(work / "checkpoints"),
        num_train_epochs=training.epochs,
        per_device_train_batch_size=training.batch_size,
        learning_rate=training.learning_rate,
        weight_decay=training.weight_decay,
        warmup_steps=training.warmup_ratio,
        save_strategy="no",
        logging_steps=50,
        seed=config.seed,
        report_to=[],
        disable_tqdm=not progress,
    )
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=training.mlm_probability)
    trainer = Trainer(model=model, args=args, train_dataset=datasets.Dataset.from_list(rows), data_collator=collator)
    trainer.train()
    trainer.save_model(str(work / "encoder"))
    tokenizer.save_pretrained(str(work / "encoder"))
    shutil.copy(work / "vocab.txt", work / "encoder" / "vocab.txt")
    (work / "encoder" / "pretrain_config.yaml").write_text(config_to_yaml(config), encoding="utf-8")
    replace_folder(work / "encoder", final)  # the old encoder stays whole until the new one is in place
    shutil.rmtree(work)
    return final
