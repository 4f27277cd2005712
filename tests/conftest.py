"""Shared fixtures: a small synthetic annotated corpus and a tiny model trained on it once per session.

The corpus repeats a few entity strings in fixed sentence patterns, so a
one-layer BERT learns it in seconds on CPU; tests about training, inference
and reports then have a model that really predicts entities.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from training.annotations import Document, Span, save_document
from training.config import Config, config_from_dict

PROJECT = Path(__file__).resolve().parent.parent
# What a finished run writes into its model folder (the shipped model and every test model alike); a model built
# from scratch also writes its generated vocab.txt, one fine-tuned from a folder (the shipped one) has tokenizer.json.
MODEL_FOLDER_FILES = {
    "model.safetensors",
    "config.json",
    "tokenizer.json",
    "training_config.yaml",
    "run.json",
    "metrics.json",
    "README.md",
}
GOLD = PROJECT / "annotations"

ENTITIES = {
    "REGION": ["平塘县", "白云区", "紫云自治县", "广州市天河区", "毕节市"],
    "ORG": ["平塘县人民医院", "天河区教育局", "粤黔协作工作队"],
    "PERSON": ["卢健", "罗建国", "马韧凯"],
    "AMOUNT": ["1033.98万元", "27万余元", "50余万元"],
    "DATE": ["2016年", "2021年7月", "4月10日"],
}
PATTERNS = [
    "{DATE},{REGION}向{REGION}投入帮扶资金{AMOUNT}。",
    "{ORG}负责人{PERSON}说,今年的工作很扎实。",
    "记者{PERSON}从{ORG}获悉,{REGION}开展了培训。",
    "在{REGION}的帮助下,{ORG}成立了中心。",
    "两地干部交流互访,共同推进乡村振兴。",
]


def synthetic_document(doc_id: str, rng: random.Random, sentences: int = 9) -> Document:
    text, spans = "", []
    for _ in range(sentences):
        pattern = rng.choice(PATTERNS)
        position = 0
        while position < len(pattern):
            if pattern[position] == "{":
                close = pattern.index("}", position)
                label = pattern[position + 1 : close]
                mention = rng.choice(ENTITIES[label])
                spans.append(Span(len(text), len(text) + len(mention), label, mention))
                text += mention
                position = close + 1
            else:
                text += pattern[position]
                position += 1
        text += "\n" if rng.random() < 0.3 else ""
    return Document(doc_id=doc_id, text=text, spans=spans)


@pytest.fixture(scope="session")
def synthetic_annotations(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus") / "annotations"
    folder.mkdir()
    rng = random.Random(7)
    for index in range(6):
        save_document(synthetic_document(f"doc{index}", rng), folder / f"doc{index}.json")
    shutil.copy(GOLD / "label_config.xml", folder)
    return folder


def tiny_config_dict(annotations: Path, output_dir: Path, **training) -> dict:
    return {
        "run_name": "tiny",
        "seed": 13,
        "output_dir": str(output_dir),
        "data": {
            "annotations": str(annotations),
            "split": {"train": ["doc0", "doc1", "doc2", "doc3"], "dev": ["doc4"], "test": ["doc5"]},
            "tagging_scheme": "BIO",
            "max_length": 48,
            "window_overlap": 8,
            "augmentation_copies": 0,
            "word_swap_rate": 0.0,
        },
        "model": {
            "name_or_path": None,
            "from_scratch": {
                "num_hidden_layers": 1,
                "hidden_size": 64,
                "num_attention_heads": 2,
                "intermediate_size": 128,
            },
            "crf": False,
            "lexicon": False,
            "dropout": 0.1,
        },
        "training": {
            "epochs": 60,
            "batch_size": 8,
            "learning_rate": 3e-3,
            "weight_decay": 0.0,
            "warmup_ratio": 0.1,
            "eval_steps": 25,
            "early_stopping_patience": 100,
            "average_last": 0,
            "bf16": False,
        }
        | training,
    }


@pytest.fixture
def tiny_config(synthetic_annotations, tmp_path) -> Config:
    return config_from_dict(tiny_config_dict(synthetic_annotations, tmp_path / "models"), "tiny")


@pytest.fixture(scope="session")
def tiny_model(synthetic_annotations, tmp_path_factory) -> Path:
    """A tiny model trained once on the synthetic corpus (about ten seconds on two cores)."""
    from training.train import train

    output = tmp_path_factory.mktemp("models")
    config = config_from_dict(tiny_config_dict(synthetic_annotations, output), "tiny")
    return train(config, progress=False)


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """annotations/ and seeds/ of the project in a scratch folder, for tests that break files."""
    for folder in ("annotations", "seeds"):
        shutil.copytree(PROJECT / folder, tmp_path / folder)
    return tmp_path
