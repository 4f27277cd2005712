"""Where the shipped model lives, and the one gate every model load passes.

In a source checkout it is `models/xiezuo-small` (`make model` rebuilds it from
configs/offline-small.yaml); a wheel carries that folder as the package data `training/shipped_model`
(pyproject.toml), so `pip install` tags out of the box.

`check_model_folder` is the one gate of a model folder (torch and ONNX loads alike): its
config.json is read and checked here, without loading torch or transformers.
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

from training.errors import XiezuoError

TAG_PREFIXES = ("B", "I", "E", "S")  # with O, every tag scheme the project writes (BIO, BIOES)
WEIGHTS = "model.safetensors"
PACKAGE = Path(__file__).resolve().parent


def default_model_path() -> Path:
    checkout = PACKAGE.parent / "models" / "xiezuo-small"
    return checkout if (checkout / "config.json").is_file() else PACKAGE / "shipped_model"


def check_model_folder(path: Path) -> dict:
    """The folder's config.json, checked: the one gate every load of a trained model passes (torch or ONNX).

    Refuses in one line naming the file and key: no config.json (for the default model: not installed,
    rather than "not a model folder" about a path the user never gave), a tag that is not O or B-/I-/E-/S-
    and a label, window sizes that cannot cut a text, `use_crf` that contradicts the weights.
    """
    if not (path / "config.json").is_file():
        if path == default_model_path():
            raise XiezuoError(
                f"no --model given and the shipped model is not installed ({path} is missing: reinstall the package, "
                "or pass --model FOLDER, a model folder written by `xiezuo-ner train`)"
            )
        raise XiezuoError(f"{path}: not a model folder (no config.json); train one with `xiezuo-ner train`")
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise XiezuoError(f"{path}: cannot load the model (config.json is not JSON: {error})") from None
    if not isinstance(config, dict):
        raise XiezuoError(f"{path}: cannot load the model (config.json is not a JSON object)")
    problem = _config_problem(config) or _crf_problem(config, path / WEIGHTS)
    if problem:
        raise XiezuoError(f"{path / 'config.json'}: {problem}")
    return config


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _config_problem(config: dict) -> str | None:
    id2label = config.get("id2label", {})
    if not isinstance(id2label, dict):
        return "id2label is not an object of tag names"
    for key, tag in id2label.items():
        prefix, dash, label = str(tag).partition("-")
        if tag != "O" and not (prefix in TAG_PREFIXES and dash and label):
            return f"id2label[{key!r}] is {tag!r}: a tag is O or one of B-, I-, E-, S- followed by a label"
    positions = config.get("max_position_embeddings", 512)
    if not _is_int(positions) or positions < 3:
        return f"max_position_embeddings is {positions!r}: a window needs [CLS], [SEP] and a character (at least 3)"
    length = config.get("window_max_length", 512)
    if not _is_int(length) or length < 3:
        return f"window_max_length is {length!r}: a window needs [CLS], [SEP] and a character (at least 3)"
    characters = min(length, positions) - 2
    overlap = config.get("window_overlap", 0)
    if not _is_int(overlap) or not 0 <= overlap < characters:
        return f"window_overlap is {overlap!r}: it must be at least 0 and below the {characters} characters of a window"
    return None


def _crf_problem(config: dict, weights: Path) -> str | None:
    """`use_crf` against the weights: a CRF trained but not used (or used untrained) tags wrongly, silently."""
    names = safetensors_names(weights)
    if names is None:  # no safetensors file, or not one: the weight loader says so
        return None
    has_crf = any(name.endswith("crf.transitions") for name in names)
    use_crf = config.get("use_crf", False)
    if bool(use_crf) != has_crf:
        found = "has CRF weights (crf.transitions)" if has_crf else "has no CRF weights"
        return f"use_crf is {json.dumps(use_crf)} but {weights.name} {found}"
    return None


def safetensors_names(path: Path) -> list[str] | None:
    """The tensor names in a safetensors file's header (read without loading any tensor), or None."""
    try:
        with path.open("rb") as stream:
            (size,) = struct.unpack("<Q", stream.read(8))
            if size > 100_000_000:
                return None
            header = json.loads(stream.read(size))
    except (OSError, struct.error, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return [name for name in header if name != "__metadata__"] if isinstance(header, dict) else None


def weights_digest(folder: Path) -> str:
    """sha256 of the folder's weights: what an ONNX export records and its runtime checks."""
    digest = hashlib.sha256()
    try:
        with (folder / WEIGHTS).open("rb") as stream:
            while block := stream.read(1 << 20):
                digest.update(block)
    except OSError as error:
        raise XiezuoError(f"{folder / WEIGHTS}: cannot read the weights ({error.strerror})") from None
    return digest.hexdigest()


MODEL_FILES = ("config.json", "model.safetensors")  # what decides a model's entities, besides the tokenizer


def model_digest(path: Path) -> str:
    """A digest of a model folder's config and weights: which model an output was written with."""
    digest = hashlib.sha256()
    for name in (*MODEL_FILES, "tokenizer.json", "vocab.txt"):
        file = path / name
        if file.is_file():
            digest.update(name.encode())
            with file.open("rb") as data:
                for block in iter(lambda: data.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:16]
