"""Where the shipped model lives: `models/xiezuo-small` of the source checkout the package runs from.

`make model` rebuilds it from configs/offline-small.yaml. A `pip install` of the package
carries no model (the weights are not package data), so there the folder is absent and
commands that default to it ask for `--model`.
"""

from __future__ import annotations

from pathlib import Path

from training.errors import XiezuoError


def default_model_path() -> Path:
    return Path(__file__).resolve().parent.parent / "models" / "xiezuo-small"


def check_model_folder(path: Path) -> None:
    """Refuse a folder without config.json in one line; for the default model, say that it is not installed
    rather than "not a model folder" about a path the user never gave."""
    if (path / "config.json").is_file():
        return
    if path == default_model_path():
        raise XiezuoError(
            f"no --model given and the shipped model is not installed ({path} comes with a source checkout, "
            "not with `pip install`); pass --model FOLDER, a model folder written by `xiezuo-ner train`"
        )
    raise XiezuoError(f"{path}: not a model folder (no config.json); train one with `xiezuo-ner train`")


MODEL_FILES = ("config.json", "model.safetensors")  # what decides a model's entities, besides the tokenizer


def model_digest(path: Path) -> str:
    """A digest of a model folder's config and weights: which model an output was written with."""
    import hashlib

    digest = hashlib.sha256()
    for name in (*MODEL_FILES, "tokenizer.json", "vocab.txt"):
        file = path / name
        if file.is_file():
            digest.update(name.encode())
            with file.open("rb") as data:
                for block in iter(lambda: data.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:16]
