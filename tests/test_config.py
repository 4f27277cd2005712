from pathlib import Path

import pytest
import yaml

from training.config import load_config
from training.errors import XiezuoError

PROJECT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, edit) -> Path:
    tree = yaml.safe_load((PROJECT / "configs" / "offline-small.yaml").read_text(encoding="utf-8"))
    edit(tree)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(tree, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "name",
    ["offline-small.yaml", "bert-base-chinese.yaml", "public-ner5.yaml", "public-base.yaml", "offline-transfer.yaml"],
)
def test_shipped_configs_are_valid(name):
    config = load_config(PROJECT / "configs" / name)
    assert config.data.split.train


@pytest.mark.parametrize("name", ["pretrain-small.yaml", "pretrain-public.yaml"])
def test_shipped_pretraining_configs_are_valid_and_match_the_offline_shape(name):
    from training.pretrain import load_pretrain_config

    config = load_pretrain_config(PROJECT / "configs" / name)
    assert config.encoder == load_config(PROJECT / "configs" / "public-ner5.yaml").model.from_scratch


def test_the_default_starts_from_the_shipped_base_whose_encoder_has_the_pretrained_shape():
    """configs/offline-small.yaml fine-tunes models/public-base (committed), so `make model` needs no ../shared."""
    import json

    default = load_config(PROJECT / "configs" / "offline-small.yaml")
    base = PROJECT / default.model.name_or_path
    shape = json.loads((base / "config.json").read_text(encoding="utf-8"))
    encoder = load_config(PROJECT / "configs" / "public-ner5.yaml").model.from_scratch
    assert default.model.name_or_path == "models/public-base" and default.model.from_scratch is None
    assert [shape[key] for key in ("num_hidden_layers", "hidden_size", "num_attention_heads", "intermediate_size")] == [
        encoder.num_hidden_layers,
        encoder.hidden_size,
        encoder.num_attention_heads,
        encoder.intermediate_size,
    ]
    assert load_config(base / "training_config.yaml") == load_config(PROJECT / "configs" / "public-base.yaml")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t["training"].update(epoch=3), r"training\.epoch: Extra inputs are not permitted"),
        (lambda t: t["training"].update(batch_size="big"), r"training\.batch_size: Input should be a valid integer"),
        (lambda t: t["data"].update(max_length=8), r"data\.max_length: Input should be greater than or equal to 16"),
        (
            lambda t: t["data"].update(window_overlap=100),
            r"data: Value error, window_overlap \(100\) must be under half",
        ),
        (lambda t: t["data"].update(tagging_scheme="BILOU"), r"data\.tagging_scheme: Input should be 'BIO' or 'BIOES'"),
        (lambda t: t["model"].update(name_or_path=None), r"model: Value error, set exactly one of"),
        (
            lambda t: t["model"].update(
                name_or_path=None,
                from_scratch={
                    "num_hidden_layers": 2,
                    "hidden_size": 250,
                    "num_attention_heads": 4,
                    "intermediate_size": 512,
                },
            ),
            r"must be divisible by num_attention_heads",
        ),
        (lambda t: t["data"]["split"].update(test=t["data"]["split"]["dev"]), r"is in both dev and test"),
        (lambda t: t.pop("seed"), r"seed: Field required"),
    ],
)
def test_config_errors_name_the_key(tmp_path, edit, message):
    with pytest.raises(XiezuoError, match=message):
        load_config(write(tmp_path, edit))


def test_dotted_overrides_are_parsed_as_yaml_and_validated(tmp_path):
    path = write(tmp_path, lambda tree: None)
    config = load_config(path, ["training.epochs=3", "model.crf=true", "data.split.test=[]"])
    assert (config.training.epochs, config.model.crf, config.data.split.test) == (3, True, [])
    with pytest.raises(XiezuoError, match=r"training\.epochz: Extra inputs"):
        load_config(path, ["training.epochz=3"])
    with pytest.raises(XiezuoError, match="is not of the form section.key=value"):
        load_config(path, ["training.epochs"])


def test_invalid_yaml_is_one_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("run_name: [unclosed\n", encoding="utf-8")
    with pytest.raises(XiezuoError, match="broken.yaml: invalid YAML") as raised:
        load_config(path)
    assert "\n" not in str(raised.value)
