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
    """Say in one line that the default model is missing, instead of "not a model folder" about a path the user never gave."""
    if path == default_model_path() and not (path / "config.json").is_file():
        raise XiezuoError(
            f"no --model given and the shipped model is not installed ({path} comes with a source checkout, "
            "not with `pip install`); pass --model FOLDER, a model folder written by `xiezuo-ner train`"
        )
