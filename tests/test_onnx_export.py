"""ONNX export of the shipped model: fp32 finds what torch finds on the seeds; int8 scores within 0.005 micro F1."""

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.articles import seed_texts
from training.annotations import Span, load_tasks
from training.cli import app
from training.errors import XiezuoError
from training.evaluate import span_scores
from training.infer import Tagger

pytest.importorskip("onnxruntime", reason="ONNX is an optional extra: pip install 'xiezuo-ner[onnx]'")
pytest.importorskip("onnxscript", reason="ONNX is an optional extra: pip install 'xiezuo-ner[onnx]'")
PROJECT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """A copy of the shipped model with model.onnx and model.int8.onnx, written by the CLI."""
    model = tmp_path_factory.mktemp("onnx") / "xiezuo-small"
    shutil.copytree(PROJECT / "models" / "xiezuo-small", model)
    result = runner.invoke(app, ["export", "--model", str(model), "--onnx", "--int8"])
    assert result.exit_code == 0, result.output
    assert (model / "model.onnx").is_file() and (model / "model.int8.onnx").is_file()
    return model


def spans(article) -> list[tuple]:
    return [(entity.start, entity.end, entity.label, entity.text) for entity in article.entities]


def test_onnx_fp32_finds_the_entities_torch_finds_on_the_seeds(exported):
    torch_tagger, onnx_tagger = Tagger.from_pretrained(exported), Tagger.from_pretrained(exported, runtime="onnx")
    texts = seed_texts()
    expected = torch_tagger.tag_batch(texts)
    found = onnx_tagger.tag_batch(texts)
    assert sum(len(article.entities) for article in expected) > 100
    assert [spans(article) for article in found] == [spans(article) for article in expected]


def test_int8_micro_f1_on_the_seeds_gold_is_within_0_005_of_torch(exported):
    documents = [document for path in sorted((PROJECT / "annotations").glob("*.json")) for document in load_tasks(path)]
    texts = [document.text for document in documents]

    def micro_f1(tagger: Tagger) -> float:
        predicted = [
            [Span(e.start, e.end, e.label, e.text) for e in entities] for entities in tagger.predict_normalised(texts)
        ]
        scores = span_scores(
            [document.spans for document in documents], predicted, [len(text) for text in texts], tagger.labels
        )
        return scores["micro"]["f1"]

    torch_f1 = micro_f1(Tagger.from_pretrained(exported))
    int8_f1 = micro_f1(Tagger.from_pretrained(exported, runtime="onnx-int8"))
    assert torch_f1 > 0.5 and abs(int8_f1 - torch_f1) <= 0.005


def test_cli_tags_with_the_onnx_runtime(exported, tmp_path):
    (tmp_path / "a.txt").write_text("2021年7月,廣州市天河區向平塘縣投入幫扶資金27萬余元。", encoding="utf-8")
    result = runner.invoke(
        app, ["tag", str(tmp_path / "a.txt"), "--model", str(exported), "--runtime", "onnx", "--format", "jsonl"]
    )
    assert result.exit_code == 0, result.output
    assert '"text": "平塘縣"' in result.stdout


def test_onnx_runtime_without_an_export_says_how_to_make_one(tmp_path):
    shutil.copytree(PROJECT / "models" / "xiezuo-small", tmp_path / "model")
    with pytest.raises(XiezuoError, match="no ONNX model; write it with `xiezuo-ner export --model .* --onnx --int8`"):
        Tagger.from_pretrained(tmp_path / "model", runtime="onnx-int8")


def test_export_without_a_format_is_one_line():
    result = runner.invoke(app, ["export"])
    assert result.exit_code == 1 and "nothing to export: pass --onnx" in result.output
