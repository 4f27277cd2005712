"""The choices `tag` offers (output formats, engines, runtimes) and the default batch size: named once, at the
bottom of the package, so the CLI, the Tagger and the writers share them without importing each other."""

from __future__ import annotations

from enum import Enum

DEFAULT_BATCH_SIZE = 128  # windows per forward pass: fills two cores without holding much memory


class OutputFormat(str, Enum):
    pretty = "pretty"
    json = "json"
    jsonl = "jsonl"
    conll = "conll"
    label_studio = "label-studio"
    html = "html"
    parquet = "parquet"  # --out names a folder of part files


# Formats written record by record that a killed run can continue (`--resume`).
RESUMABLE = (OutputFormat.jsonl, OutputFormat.parquet)


class Engine(str, Enum):
    local = "local"  # this machine: one process, or --workers processes
    ray = "ray"  # Ray Data over a pool of Tagger actors (training/ray_engine.py)


class Runtime(str, Enum):
    torch = "torch"
    onnx = "onnx"  # <model>/model.onnx, written by `xiezuo-ner export --onnx`
    onnx_int8 = "onnx-int8"  # <model>/model.int8.onnx, written with --int8


RUNTIMES = tuple(runtime.value for runtime in Runtime)


class DatasetFormat(str, Enum):  # `xiezuo-ner import` (training/importer.py)
    cluener = "cluener"  # CLUENER2020 JSON lines
    bio = "bio"  # one character and its tag per line, blank line between sentences
    bmes = "bmes"
    weibo = "weibo"  # BIO with a segment digit after each character


class Split(str, Enum):
    train = "train"
    dev = "dev"
    test = "test"
