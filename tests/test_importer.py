"""`xiezuo-ner import`: public dataset formats → Label Studio task files, and training on them."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import tiny_config_dict
from training.annotations import check_document, folder_labels, load_documents
from training.cli import app
from training.config import config_from_dict
from training.importer import import_file, label_config, parse_mapping

runner = CliRunner()

CLUENER = [
    {
        "text": "浙江商人在上海新开了一家公司",
        "label": {"address": {"浙江": [[0, 1]], "上海": [[5, 6]]}, "position": {"商人": [[2, 3]]}},
    },
    {
        "text": "《招商银行年报》发布",
        "label": {"book": {"《招商银行年报》": [[0, 7]]}, "company": {"招商银行": [[1, 4]]}},
    },
]


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cluener_end_is_inclusive_and_unmapped_labels_are_counted(tmp_path):
    path = write_lines(tmp_path / "train.json", [json.dumps(item, ensure_ascii=False) for item in CLUENER])
    result = import_file("cluener", path, parse_mapping(["address=REGION", "company=ORG"]))
    first, second = result.documents
    assert [(s.start, s.end, s.label, s.text) for s in first.spans] == [
        (0, 2, "REGION", "浙江"),
        (5, 7, "REGION", "上海"),
    ]
    assert [(s.label, s.text) for s in second.spans] == [("ORG", "招商银行")]
    assert result.dropped == {"position": 1, "book": 1}
    assert result.kept == {"REGION": 2, "ORG": 1}
    assert result.problems == []


def test_cluener_nested_spans_keep_the_outer_one_and_say_so(tmp_path):
    path = write_lines(tmp_path / "train.json", [json.dumps(item, ensure_ascii=False) for item in CLUENER])
    result = import_file("cluener", path, None)
    assert [s.text for s in result.documents[1].spans] == ["《招商银行年报》"]
    assert result.problems == [f"{path}:2: company '招商银行' overlaps book '《招商银行年报》' (left out)"]


def test_cluener_malformed_lines_are_reported_and_the_rest_imported(tmp_path):
    lines = [
        json.dumps(CLUENER[0], ensure_ascii=False),
        '{"text": "半行',
        json.dumps(
            {"text": "北京欢迎你", "label": {"address": {"北京": [[0, 2]]}}}, ensure_ascii=False
        ),  # end not inclusive
        json.dumps({"label": {}}),
        json.dumps({"text": "北京欢迎你", "label": {"address": {"北京": [[0, 1]]}}}, ensure_ascii=False),
    ]
    path = write_lines(tmp_path / "dev.json", lines)
    result = import_file("cluener", path, None)
    assert [document.doc_id for document in result.documents] == ["dev-1", "dev-5"]
    assert [problem.split(": ")[0] for problem in result.problems] == [f"{path}:2", f"{path}:3", f"{path}:4"]
    assert "does not match the text" in result.problems[1]


def test_bio_sentences_become_documents_and_a_bad_line_skips_only_its_sentence(tmp_path):
    path = write_lines(
        tmp_path / "example.dev",
        [
            "中 B-LOC",
            "国 I-LOC",
            "的 O",
            "",
            "王\tB-PER",
            "小\tI-PER",
            "明 I-PER",
            "来 O",
            "",
            "坏",
            "了 O",
            "",
            "到 O",
            "北 B-LOC",
            "京 I-LOC",
        ],
    )
    result = import_file("bio", path, parse_mapping(["LOC=REGION", "PER=PERSON"]))
    assert [document.text for document in result.documents] == ["中国的", "王小明来", "到北京"]
    assert [[(s.text, s.label) for s in d.spans] for d in result.documents] == [
        [("中国", "REGION")],
        [("王小明", "PERSON")],
        [("北京", "REGION")],
    ]
    assert result.problems == [
        f"{path}:10: expected a character and a tag separated by a space or tab (sentence from line 10 skipped)"
    ]


def test_bio_reads_a_stray_inside_tag_as_an_entity_start_and_reports_it(tmp_path):
    path = write_lines(tmp_path / "x.bio", ["在 O", "上 I-LOC", "海 I-LOC", "玩 O"])
    result = import_file("bio", path, None)
    assert [s.text for s in result.documents[0].spans] == ["上海"]
    assert result.problems == [f"{path}:2: I-LOC does not continue an entity (read as its start)"]


def test_bmes_single_and_unclosed_entities_are_read_and_reported(tmp_path):
    path = write_lines(
        tmp_path / "train.char.bmes", ["张 S-NAME", "任 O", "北 B-ORG", "大 E-ORG", "", "清 B-ORG", "华 M-ORG"]
    )
    result = import_file("bmes", path, None)
    assert [[(s.text, s.label) for s in d.spans] for d in result.documents] == [
        [("张", "NAME"), ("北大", "ORG")],
        [("清华", "ORG")],
    ]
    assert result.problems == [f"{path}:7: ORG entity not closed by E- before the sentence end (read as ending there)"]


def test_bmes_rejects_bio_tags(tmp_path):
    path = write_lines(tmp_path / "x.bmes", ["北 B-ORG", "大 I-ORG"])
    result = import_file("bmes", path, None)
    assert result.documents == []
    assert result.problems == [f"{path}:2: tag 'I-ORG' is not O or one of B/M/E/S-TYPE (sentence from line 1 skipped)"]


def test_weibo_tokens_drop_their_segment_digits(tmp_path):
    path = write_lines(
        tmp_path / "weiboNER_2nd_conll.dev",
        [
            "她0\tO",
            "现0\tB-PER.NOM",
            "任1\tI-PER.NOM",
            "e12\tO",
            "\ufffd\ufffd0\tO",
            "李0\tB-PER.NAM",
            "雷1\tI-PER.NAM",
        ],
    )
    result = import_file("weibo", path, parse_mapping(["PER.NAM=PERSON"]))
    [document] = result.documents
    assert document.text == "她现任e\ufffd李雷"
    assert [(s.text, s.label) for s in document.spans] == [("李雷", "PERSON")]
    assert result.dropped == {"PER.NOM": 1}
    assert import_file("bio", path, None).problems[0].startswith(f"{path}:1: token '她0' is not one character")


def test_mapping_without_a_target_is_refused():
    with pytest.raises(Exception, match="SOURCE=TARGET"):
        parse_mapping(["address"])


def test_cli_import_writes_tasks_and_labels_and_never_overwrites(tmp_path):
    source = write_lines(tmp_path / "train.json", [json.dumps(item, ensure_ascii=False) for item in CLUENER])
    out = tmp_path / "imported"
    args = ["import", "cluener", str(source), "--out", str(out), "--map", "address=REGION", "--map", "company=ORG"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert folder_labels(out) == ("REGION", "ORG")
    documents = load_documents(out)
    assert [document.doc_id for document in documents] == ["train-1", "train-2"]
    assert all(check_document(document, ("REGION", "ORG"), edges=False) == [] for document in documents)
    before = (out / "train.json").read_text(encoding="utf-8")
    again = runner.invoke(app, [*args[:5], "--map", "address=REGION"])
    assert again.exit_code == 1 and "never overwritten" in again.output
    assert (out / "train.json").read_text(encoding="utf-8") == before
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0


def imported_people_and_places(tmp_path: Path) -> Path:
    """A small BIO corpus (PER, LOC) imported with the CLI: example.train and example.dev task files."""
    sentences = []
    for index in range(40):
        name, place = ["王小明", "李华", "张伟"][index % 3], ["北京", "上海", "广州"][index % 3]
        sentences.append(
            [
                f"{name[0]} B-PER",
                *(f"{c} I-PER" for c in name[1:]),
                "去 O",
                f"{place[0]} B-LOC",
                f"{place[1]} I-LOC",
                "。 O",
                "",
            ]
        )
    train_file = write_lines(tmp_path / "example.train", [line for s in sentences[:30] for line in s])
    dev_file = write_lines(tmp_path / "example.dev", [line for s in sentences[30:] for line in s])
    out = tmp_path / "pd"
    assert runner.invoke(app, ["import", "bio", str(train_file), str(dev_file), "--out", str(out)]).exit_code == 0
    return out


def imported_config(out: Path, tmp_path: Path, **model):
    tree = tiny_config_dict(out, tmp_path / "models", epochs=30)
    tree["data"]["split"] = {"train": ["example.train"], "dev": ["example.dev"], "test": []}
    tree["model"] |= model
    return config_from_dict(tree, "imported")


def test_a_model_trains_and_evaluates_on_an_imported_label_set(tmp_path):
    """Labels come from the imported label_config.xml; splits name whole task files."""
    from training.train import train

    model_dir = train(imported_config(imported_people_and_places(tmp_path), tmp_path), progress=False)
    metrics = json.loads((model_dir / "metrics.json").read_text())["dev"]
    assert list(metrics["per_label"]) == ["LOC", "PER"]
    assert metrics["micro"]["f1"] > 0.9
    result = runner.invoke(app, ["evaluate", "--model", str(model_dir), "--split", "dev"])
    assert result.exit_code == 0, result.output
    report = json.loads((model_dir / "dev-report" / "report.json").read_text())
    assert report["labels"] == ["LOC", "PER"] and report["systems"]["rules"]["micro"]["support"] == 20


def test_a_trained_model_with_other_labels_is_a_starting_point(tiny_model, tmp_path):
    """Fine-tuning from a local model folder whose head has the five project labels: the head starts afresh."""
    from safetensors.torch import load_file

    from training.train import train

    model_dir = train(
        imported_config(
            imported_people_and_places(tmp_path), tmp_path, name_or_path=str(tiny_model), from_scratch=None
        ),
        progress=False,
    )
    config = json.loads((model_dir / "config.json").read_text())
    assert sorted(config["id2label"].values()) == ["B-LOC", "B-PER", "I-LOC", "I-PER", "O"]
    assert json.loads((model_dir / "metrics.json").read_text())["dev"]["micro"]["f1"] > 0.9
    before, after = load_file(tiny_model / "model.safetensors"), load_file(model_dir / "model.safetensors")
    assert before["classifier.weight"].shape[0] == 11 and after["classifier.weight"].shape[0] == 5


def test_cli_import_into_a_folder_whose_labels_lack_the_mapped_ones_writes_nothing(tmp_path):
    source = write_lines(tmp_path / "train.json", [json.dumps(item, ensure_ascii=False) for item in CLUENER])
    out = tmp_path / "imported"
    out.mkdir()
    (out / "label_config.xml").write_text(label_config(["REGION"]), encoding="utf-8")
    result = runner.invoke(
        app, ["import", "cluener", str(source), "--out", str(out), "--map", "address=REGION", "--map", "company=ORG"]
    )
    assert result.exit_code == 1 and "does not name ['ORG']" in result.output
    assert sorted(path.name for path in out.iterdir()) == ["label_config.xml"]
