"""ONNX export of the shipped model: fp32 finds what torch finds on the seeds; int8 scores within 0.005 micro F1;
the ONNX runtime loads no torch; an export is tied to the weights it was made from and written aside."""

import json
import os
import shutil
import subprocess
import sys
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
    assert sorted(path.name for path in model.iterdir() if path.name.startswith(".")) == []  # nothing left aside
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


ARTICLE = "2021年7月,廣州市天河區向平塘縣投入幫扶資金27萬余元。記者卢健從天河區教育局獲悉。"
WITHOUT_TORCH = """
import json, sys
from pathlib import Path
from training.taggers import load_tagger
tagger = load_tagger(Path(sys.argv[1]), sys.argv[2])
[article] = tagger.tag_batch([sys.argv[3]])
heavy = sorted(name for name in ("torch", "transformers") if name in sys.modules)
print(json.dumps({"heavy": heavy, "entities": [entity.to_dict() for entity in article.entities]}))
"""


@pytest.mark.parametrize("runtime", ["onnx", "onnx-int8"])
def test_the_onnx_tagger_imports_neither_torch_nor_transformers(exported, runtime):
    environment = {**os.environ, "PYTHONPATH": str(PROJECT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_TORCH, str(exported), runtime, ARTICLE],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["heavy"] == []
    in_process = Tagger.from_pretrained(exported, runtime=runtime)(ARTICLE)
    assert found["entities"] == [entity.to_dict() for entity in in_process.entities]
    assert {entity["text"] for entity in found["entities"]} >= {"平塘縣", "卢健"}


def test_corpus_tagging_with_onnx_imports_no_torch(exported, tmp_path):
    """`tag` over JSON lines with --runtime onnx-int8, in its own process: no torch module is ever imported."""
    corpus = tmp_path / "in.jsonl"
    corpus.write_text(json.dumps({"id": "a", "text": ARTICLE}, ensure_ascii=False) + "\n", encoding="utf-8")
    command = [sys.executable, "-X", "importtime", "-m", "training", "tag", str(corpus), "--model", str(exported)]
    command += ["--runtime", "onnx-int8", "--format", "jsonl", "--out", str(tmp_path / "out.jsonl")]
    environment = {**os.environ, "PYTHONPATH": str(PROJECT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=environment)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]
    assert "json" in imported and not [name for name in imported if name.split(".")[0] == "torch"]
    [row] = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert "平塘縣" in [entity["text"] for entity in row["entities"]]


def test_an_export_of_other_weights_is_refused_in_one_line(exported, tmp_path):
    """Export, then replace model.safetensors (a retrained model): the old export is never used."""
    model = tmp_path / "model"
    shutil.copytree(exported, model)
    weights = bytearray((model / "model.safetensors").read_bytes())
    weights[-1] ^= 1  # one bit of the last tensor: the file still loads, the model is another
    (model / "model.safetensors").write_bytes(bytes(weights))
    for runtime in ("onnx", "onnx-int8"):
        with pytest.raises(XiezuoError, match="exported from other weights than .*; export again with `xiezuo-ner"):
            Tagger.from_pretrained(model, runtime=runtime)
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    result = runner.invoke(app, ["tag", str(tmp_path / "a.txt"), "--model", str(model), "--runtime", "onnx"])
    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert line.startswith(f"error: {model / 'model.onnx'}: exported from other weights")
    corpus = tmp_path / "in.jsonl"
    corpus.write_text(json.dumps({"id": "a", "text": ARTICLE}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(
        app,
        ["tag", str(corpus), "--model", str(model), "--runtime", "onnx-int8", "--format", "jsonl", "--out", str(out)],
    )
    assert result.exit_code == 1 and "exported from other weights" in result.output and not out.exists()


def test_an_export_without_a_weights_record_is_refused(exported, tmp_path):
    import onnx

    model = tmp_path / "model"
    shutil.copytree(exported, model)
    graph = onnx.load(str(model / "model.onnx"))
    del graph.metadata_props[:]
    onnx.save(graph, str(model / "model.onnx"))
    with pytest.raises(XiezuoError, match="no record of the weights it was exported from"):
        Tagger.from_pretrained(model, runtime="onnx")


def test_export_writes_aside_and_renames(exported, tmp_path):
    """A reader of the old model.onnx (here a hard link to it) keeps the old file whole: the export never
    writes into it; the new file replaces it by a rename."""
    model = tmp_path / "model"
    shutil.copytree(exported, model)
    os.link(model / "model.onnx", tmp_path / "reader.onnx")
    before = (tmp_path / "reader.onnx").read_bytes()
    result = runner.invoke(app, ["export", "--model", str(model), "--onnx"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "reader.onnx").read_bytes() == before
    assert os.stat(model / "model.onnx").st_ino != os.stat(tmp_path / "reader.onnx").st_ino
    assert sorted(path.name for path in model.iterdir() if path.name.startswith(".")) == []
