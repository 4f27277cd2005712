"""Every command through typer's CliRunner, on a small scratch project: what each writes, its exit code, its key output."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from safetensors.torch import load_file
from typer.testing import CliRunner

from tests.conftest import tiny_config_dict
from training.annotations import load_task_file, save_document
from training.cli import app

runner = CliRunner()
PROJECT = Path(__file__).resolve().parent.parent
RARE = "龘"  # outside GB 2312: in the vocabulary only if a document brings it


@pytest.fixture(scope="module")
def project(synthetic_annotations, tmp_path_factory) -> Path:
    """annotations/ (the synthetic corpus, its test document holding a rare character) and a tiny config."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(synthetic_annotations, root / "annotations")
    test_document = load_task_file(root / "annotations" / "doc5.json")
    test_document.text += RARE
    save_document(test_document, root / "annotations" / "doc5.json")
    tree = tiny_config_dict(root / "annotations", root / "models", epochs=6, eval_steps=10)
    (root / "tiny.yaml").write_text(yaml.safe_dump(tree), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def trained(project) -> Path:
    result = runner.invoke(app, ["train", "--config", str(project / "tiny.yaml")])
    assert result.exit_code == 0, result.output
    return project / "models" / "tiny"


def test_train_writes_a_model_folder_and_prints_its_dev_figure(trained):
    assert {
        "model.safetensors",
        "config.json",
        "vocab.txt",
        "metrics.json",
        "run.json",
        "training_config.yaml",
        "README.md",
    } <= {path.name for path in trained.iterdir()}
    assert not (trained.parent / ".tiny.partial").exists()


def test_train_builds_the_vocabulary_from_training_documents_only(trained):
    assert RARE not in (trained / "vocab.txt").read_text(encoding="utf-8").split()


def test_train_resume_continues_an_interrupted_run_to_the_same_weights(project, trained):
    from training.config import load_config
    from training.train import StopAfterStep, partial_dir, train

    config = load_config(project / "tiny.yaml", ["run_name=resumed"])
    with pytest.raises(KeyboardInterrupt):
        train(config, callbacks=[StopAfterStep(10)], progress=False)
    result = runner.invoke(
        app, ["train", "--config", str(project / "tiny.yaml"), "--set", "run_name=resumed", "--resume"]
    )
    assert result.exit_code == 0, result.output
    assert "saved" in result.output and not partial_dir(config).exists()
    first, second = (
        load_file(trained / "model.safetensors"),
        load_file(project / "models" / "resumed" / "model.safetensors"),
    )
    assert all((first[name] == second[name]).all() for name in first)


def test_train_resume_without_a_checkpoint_is_one_line(project):
    result = runner.invoke(
        app, ["train", "--config", str(project / "tiny.yaml"), "--set", "run_name=never", "--resume"]
    )
    assert (
        result.exit_code == 1 and "--resume: no checkpoint under" in result.output and "Traceback" not in result.output
    )


def test_evaluate_on_data_files_writes_the_three_reports(project, trained, tmp_path):
    out = tmp_path / "report"
    result = runner.invoke(
        app,
        ["evaluate", "--model", str(trained), "--data", str(project / "annotations" / "doc4.json"), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["documents"] == ["doc4"] and "micro" in result.output
    assert (out / "report.md").is_file() and (out / "report.html").read_text(encoding="utf-8").startswith(
        "<!doctype html>"
    )


def test_cv_and_compare_write_pooled_reports_and_one_table(project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # short report paths: they name the rows of the comparison
    out = Path("cv")
    result = runner.invoke(
        app,
        ["cv", "--config", str(project / "tiny.yaml"), "--folds", "2", "--out", str(out), "--set", "training.epochs=2"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert len(report["folds"]) == 2 and sorted(doc for fold in report["folds"] for doc in fold["test"]) == [
        f"doc{i}" for i in range(6)
    ]
    assert (out / "cv_config.json").is_file() and "pooled micro F1" in result.output
    compared = runner.invoke(app, ["compare", str(out), str(out / "folds" / "tiny-fold0")])
    assert compared.exit_code == 0, compared.output
    assert (
        "F1 per label" in compared.output and "│ cv " in compared.output and "│ cv/folds/tiny-fold0 " in compared.output
    )


def test_pretrain_writes_an_encoder_folder(project, tmp_path):
    config = {
        "run_name": "mlm",
        "seed": 1,
        "output_dir": str(tmp_path / "models"),
        "dropout": 0.1,
        "data": {"texts": [str(project / "annotations")], "max_length": 48},
        "encoder": {"num_hidden_layers": 1, "hidden_size": 32, "num_attention_heads": 2, "intermediate_size": 64},
        "training": {
            "epochs": 1,
            "batch_size": 8,
            "learning_rate": 1e-3,
            "weight_decay": 0.0,
            "warmup_ratio": 0.0,
            "mlm_probability": 0.15,
        },
    }
    (tmp_path / "mlm.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    result = runner.invoke(app, ["pretrain", "--config", str(tmp_path / "mlm.yaml")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "models" / "mlm" / "model.safetensors").is_file() and "model.name_or_path=" in result.output


def test_import_writes_tasks_and_a_label_config(tmp_path):
    source = tmp_path / "people.bio"
    source.write_text("卢 B-PER\n健 I-PER\n到 O\n平 B-LOC\n塘 I-LOC\n\n好 O\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "bio", str(source), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    tasks = json.loads((tmp_path / "out" / "people.bio.json").read_text(encoding="utf-8"))
    assert [task["data"]["text"] for task in tasks] == ["卢健到平塘", "好"]
    assert 'value="LOC"' in (tmp_path / "out" / "label_config.xml").read_text(encoding="utf-8")
    again = runner.invoke(app, ["import", "bio", str(source), "--out", str(tmp_path / "out")])
    assert again.exit_code == 1 and "--force" in again.output


def test_normalise_writes_cleaned_copies_and_counts_what_it_removed(tmp_path):
    (tmp_path / "a.txt").write_text("廣 州市以來(lái),,對口幫扶", encoding="utf-8")
    result = runner.invoke(app, ["normalise", str(tmp_path / "a.txt"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "a.txt").read_text(encoding="utf-8") == "廣州市以來,對口幫扶"
    assert "│ 17        │ 10               │ 7       │" in result.output  # raw, normalised and removed characters


def test_corpus_check_reports_problems_and_writes_nothing(tmp_path):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "part.txt").write_text(
        "### a1\n[[平塘县|REGION]]的[[卢健|PERSON]]\n\n### a2\n[[广州|PLACE]]\n", encoding="utf-8"
    )
    shutil.copy(PROJECT / "annotations" / "label_config.xml", tmp_path)
    result = runner.invoke(app, ["corpus", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 1 and "unknown label 'PLACE'" in result.output
    assert not (tmp_path / "part.json").exists()
    (tmp_path / "source" / "part.txt").write_text("### a1\n[[平塘县|REGION]]的[[卢健|PERSON]]\n", encoding="utf-8")
    result = runner.invoke(app, ["corpus", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 0 and "checked part (1)" in result.output and not (tmp_path / "part.json").exists()


def test_annotations_check_counts_entities_and_fails_on_a_bad_span(project, tmp_path):
    folder = tmp_path / "annotations"
    shutil.copytree(project / "annotations", folder)
    result = runner.invoke(app, ["annotations", "check", "--dir", str(folder)])
    assert result.exit_code == 0 and "6 task(s)" in result.output
    document = load_task_file(folder / "doc0.json")
    document.spans[0] = type(document.spans[0])(0, 1, "REGION", "别")
    save_document(document, folder / "doc0.json")
    before = (folder / "doc0.json").read_bytes()
    result = runner.invoke(app, ["annotations", "check", "--dir", str(folder)])
    assert result.exit_code == 1 and "text differs from the slice" in result.output
    assert (folder / "doc0.json").read_bytes() == before


HELP_IMPORTS = """
import sys
from training.cli import app
try:
    app(sys.argv[1:])
except SystemExit:
    pass
heavy = ("torch", "transformers", "pyarrow", "datasets", "pydantic", "click")
print(sorted(name for name in heavy if name in sys.modules))
"""


@pytest.mark.parametrize("args", [["--help"], ["tag", "--help"], ["annotations", "check", "--help"]])
def test_help_imports_no_heavy_library(args):
    """`--help` answers at once: no model or data library, nor pydantic (which typer would import for the absent
    `--help` and completion flags) or click (typer carries its own)."""
    environment = {**os.environ, "PYTHONPATH": str(PROJECT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", HELP_IMPORTS, *args], capture_output=True, text=True, env=environment)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Usage" in done.stdout and done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    ("args", "shown"),
    [(["evaluate", "--help"], "MODEL/SPLIT-report"), (["export", "--help"], "MODEL/model.int8.onnx")],
)
def test_option_help_keeps_its_placeholders(args, shown):
    """Rich's markup swallows `<model>`-style words in option help (it printed "default: /-report")."""
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert shown in result.output
