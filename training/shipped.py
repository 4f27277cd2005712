"""Where the shipped model lives, and the one gate every model load passes.

In a source checkout it is `models/xiezuo-small` (`make model` rebuilds it from
configs/offline-small.yaml); a wheel carries that folder as the package data `training/shipped_model`
(pyproject.toml), so `pip install` tags out of the box.
"""

from __future__ import annotations

from pathlib import Path

from training.errors import XiezuoError

PACKAGE = Path(__file__).resolve().parent


def default_model_path() -> Path:
    checkout = PACKAGE.parent / "models" / "xiezuo-small"
    return checkout if (checkout / "config.json").is_file() else PACKAGE / "shipped_model"


def check_model_folder(path: Path) -> None:
    """Refuse a folder without config.json in one line; for the default model, say that it is not installed
    rather than "not a model folder" about a path the user never gave."""
    if (path / "config.json").is_file():
        return
    if path == default_model_path():
        raise XiezuoError(
            f"no --model given and the shipped model is not installed ({path} is missing: reinstall the package, "
            "or pass --model FOLDER, a model folder written by `xiezuo-ner train`)"
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
