"""The one model-folder gate (`shipped.check_model_folder`): a config.json that cannot describe the
weights beside it is refused in one line naming the file and the key, before any model is loaded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from training.cli import app
from training.errors import XiezuoError
from training.infer import Tagger

PROJECT = Path(__file__).resolve().parent.parent
SHIPPED = PROJECT / "models" / "xiezuo-small"
runner = CliRunner()


@pytest.fixture
def model(tmp_path) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(SHIPPED, copy)
    return copy


def edit_config(model: Path, **changes) -> None:
    config = json.loads((model / "config.json").read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    (model / "config.json").write_text(json.dumps(config), encoding="utf-8")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"id2label": {**{str(i): "O" for i in range(21)}, "3": "X-ORG"}}, "id2label['3'] is 'X-ORG': a tag is O or"),
        ({"id2label": {**{str(i): "O" for i in range(21)}, "5": "B-"}}, "id2label['5'] is 'B-'"),
        ({"use_crf": False}, "use_crf is false but model.safetensors has CRF weights"),
        ({"use_crf": None}, "use_crf is false but model.safetensors has CRF weights"),  # key removed
        ({"window_max_length": 2}, "window_max_length is 2: a window needs"),
        ({"window_max_length": "64"}, "window_max_length is '64'"),
        ({"window_overlap": 62}, "window_overlap is 62: it must be at least 0 and below the 62 characters"),
        ({"window_overlap": -1}, "window_overlap is -1"),
        ({"max_position_embeddings": 2}, "max_position_embeddings is 2"),
    ],
)
def test_a_config_that_contradicts_its_model_is_refused_naming_file_and_key(model, changes, message):
    edit_config(model, **changes)
    with pytest.raises(XiezuoError) as error:
        Tagger.from_pretrained(model)
    assert str(error.value).startswith(f"{model / 'config.json'}: ") and message in str(error.value)


def test_use_crf_without_crf_weights_is_refused(tiny_model, tmp_path):
    """The other way round: a config that asks for a CRF the weights lack (the tiny model has none)."""
    plain = tmp_path / "plain"
    shutil.copytree(tiny_model, plain)
    edit_config(plain, use_crf=True)
    with pytest.raises(XiezuoError, match="use_crf is true but model.safetensors has no CRF weights"):
        Tagger.from_pretrained(plain)


def test_the_cli_says_it_in_one_line(model, tmp_path):
    edit_config(model, window_overlap=100)
    (tmp_path / "a.txt").write_text("平塘县", encoding="utf-8")
    result = runner.invoke(app, ["tag", str(tmp_path / "a.txt"), "--model", str(model)])
    assert result.exit_code == 1
    assert [line for line in result.output.splitlines() if line.startswith("error: ")] == [
        f"error: {model / 'config.json'}: window_overlap is 100: it must be at least 0 and below the 62 characters "
        "of a window"
    ]


def test_the_shipped_model_passes():
    Tagger.from_pretrained(SHIPPED)
