"""One validated YAML config per training run (spaCy-style: no hidden defaults).

Every key a run uses is in the YAML file; unknown keys, wrong types and
impossible values are rejected with their dotted path. `--set a.b=c` overrides
any key, the value parsed as YAML. The resolved config is saved next to the model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from training.errors import XiezuoError


class Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False
    )  # `epochs: .inf` is an error, not a run that never ends


class SplitConfig(Strict):
    """Which documents (by doc id) go where; a document is never in two splits."""

    train: list[str] = Field(min_length=1)
    dev: list[str]
    test: list[str]

    @model_validator(mode="after")
    def _disjoint(self) -> SplitConfig:
        seen: dict[str, str] = {}
        for split in ("train", "dev", "test"):
            for doc_id in getattr(self, split):
                if doc_id in seen:
                    raise ValueError(f"document {doc_id!r} is in both {seen[doc_id]} and {split}")
                seen[doc_id] = split
        return self


class DataConfig(Strict):
    annotations: list[Path] = Field(
        min_length=1
    )  # folders of Label Studio task files; a split names documents of any of them
    split: SplitConfig
    tagging_scheme: Literal["BIO", "BIOES"]
    max_length: int = Field(ge=16, le=512)  # tokens per window including [CLS] and [SEP]
    window_overlap: int = Field(ge=0)  # characters shared by neighbouring windows
    augmentation_copies: int = Field(ge=0)  # mention-replaced copies of each training document (0: off)
    word_swap_rate: float = Field(
        ge=0, le=1
    )  # share of content words and numbers outside entities redrawn in each copy

    @field_validator("annotations", mode="before")
    @classmethod
    def _one_folder_is_a_list(cls, value: object) -> object:
        return [value] if isinstance(value, (str, Path)) else value  # `--set data.annotations=models/data/cluener`

    @model_validator(mode="after")
    def _overlap_fits(self) -> DataConfig:
        if self.window_overlap >= (self.max_length - 2) // 2:
            raise ValueError(f"window_overlap ({self.window_overlap}) must be under half of max_length - 2")
        return self


class ScratchEncoder(Strict):
    """A BERT built from scratch with the project's character vocabulary (no network)."""

    num_hidden_layers: int = Field(ge=1, le=24)
    hidden_size: int = Field(ge=16)
    num_attention_heads: int = Field(ge=1)
    intermediate_size: int = Field(ge=16)

    @model_validator(mode="after")
    def _heads_divide(self) -> ScratchEncoder:
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) must be divisible by num_attention_heads ({self.num_attention_heads})"
            )
        return self


class ModelConfig(Strict):
    name_or_path: str | None  # a hub id or a local folder; null builds `from_scratch`
    from_scratch: ScratchEncoder | None
    crf: bool  # a CRF layer over the logits, decoded with Viterbi
    lexicon: bool  # dictionary-word flags per character beside its embedding (training/lexicon.py)
    dropout: float = Field(ge=0.0, lt=1.0)

    @model_validator(mode="after")
    def _one_source(self) -> ModelConfig:
        if (self.name_or_path is None) == (self.from_scratch is None):
            raise ValueError("set exactly one of name_or_path (pretrained) and from_scratch (offline)")
        if self.lexicon and not self.crf:
            raise ValueError("lexicon: true needs crf: true (the lexicon lives in the CRF model class)")
        return self


class TrainingConfig(Strict):
    epochs: float = Field(gt=0)
    batch_size: int = Field(ge=1)
    learning_rate: float = Field(gt=0)
    weight_decay: float = Field(ge=0)
    warmup_ratio: float = Field(ge=0, lt=1)  # fraction of all steps spent warming up
    eval_steps: int = Field(ge=1)  # evaluate on dev and save a checkpoint every this many steps
    early_stopping_patience: int = Field(ge=1)  # evaluations without a better dev F1 before stopping
    average_last: int = Field(ge=0)  # save the mean weights of the last N evaluations; 0: the best checkpoint
    bf16: Literal["auto", True, False]  # auto: on when a GPU supports it


class Config(Strict):
    run_name: str = Field(pattern=r"^[A-Za-z0-9._-]+$")
    seed: int
    output_dir: Path  # the model goes to output_dir/run_name
    data: DataConfig
    model: ModelConfig
    training: TrainingConfig


def _set_dotted(tree: dict, dotted_key: str, value: object) -> None:
    *parents, leaf = dotted_key.split(".")
    node = tree
    for key in parents:
        if not isinstance(node.get(key), dict):
            node[key] = {}  # validation reports it if the key is unknown
        node = node[key]
    node[leaf] = value


class UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, but a key given twice in one mapping is an error (plain YAML keeps the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} appears twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, where: str) -> object:
    """Safe YAML with unique keys; a syntax error is one line naming `where`, line and column."""
    try:
        return yaml.load(text, Loader=UniqueKeyLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise XiezuoError(f"{where}: invalid YAML{at}: {problem}") from None


def parse_overrides(overrides: list[str]) -> dict[str, object]:
    parsed = {}
    for override in overrides:
        key, sep, value = override.partition("=")
        if not sep or not key.strip():
            raise XiezuoError(f"override {override!r} is not of the form section.key=value")
        parsed[key.strip()] = parse_yaml(value, f"--set {override}")
    return parsed


def load_yaml(path: Path, overrides: list[str] | None = None) -> dict:
    """The YAML mapping in `path` with dotted overrides applied."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise XiezuoError(f"{path}: not UTF-8 (byte {error.start})") from None
    except OSError as error:
        raise XiezuoError(f"{path}: cannot read config ({error.strerror or type(error).__name__})") from None
    tree = parse_yaml(text, str(path))
    if not isinstance(tree, dict):
        raise XiezuoError(f"{path}: a config is a mapping of sections")
    for key, value in parse_overrides(overrides or []).items():
        _set_dotted(tree, key, value)
    return tree


def validated(schema: type[BaseModel], tree: dict, where: str):
    """`schema` built from `tree`; the first error becomes one line with its key path."""
    try:
        return schema.model_validate(tree)
    except ValidationError as error:
        first = error.errors()[0]
        key_path = ".".join(str(part) for part in first["loc"]) or "(top level)"
        more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
        raise XiezuoError(f"{where}: {key_path}: {first['msg']}{more}") from None


def load_config(path: Path, overrides: list[str] | None = None) -> Config:
    return validated(Config, load_yaml(path, overrides), str(path))


def config_from_dict(tree: dict, where: str) -> Config:
    return validated(Config, tree, where)


def config_to_yaml(config: BaseModel) -> str:
    return yaml.safe_dump(config.model_dump(mode="json"), allow_unicode=True, sort_keys=False)
