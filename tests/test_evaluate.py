import json
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from training.annotations import LABELS, Span, load_documents
from training.baseline import rule_spans
from training.categories import breakdown, categorise, confusion
from training.cli import app
from training.scores import entity_scores

runner = CliRunner()


def scores(gold, predicted):
    return entity_scores([gold], [predicted], LABELS)


def test_scores_with_no_predictions_are_zero_against_the_gold_support():
    result = scores(["B-REGION", "I-REGION", "O"], ["O", "O", "O"])
    assert result["per_label"]["REGION"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert result["micro"]["f1"] == 0.0


def test_scores_with_no_gold_are_zero_with_no_support():
    result = scores(["O", "O"], ["B-DATE", "I-DATE"])
    assert result["per_label"]["DATE"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert result["micro"]["support"] == 0


def test_i_tag_without_b_is_no_entity_in_strict_mode():
    result = scores(["B-ORG", "I-ORG", "O"], ["I-ORG", "I-ORG", "O"])
    assert result["per_label"]["ORG"]["recall"] == 0.0 and result["per_label"]["ORG"]["precision"] == 0.0


def test_two_adjacent_entities_of_one_type_are_two():
    gold = ["B-REGION", "B-REGION", "O"]
    assert scores(gold, gold)["per_label"]["REGION"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2}
    merged = scores(gold, ["B-REGION", "I-REGION", "O"])["per_label"]["REGION"]
    assert (merged["precision"], merged["recall"]) == (0.0, 0.0)


def test_scores_give_partial_credit_as_computed_by_hand():
    # gold: two REGIONs; predicted: one of them exactly → P = 1/1, R = 1/2, F1 = 2/3
    result = scores(["B-REGION", "I-REGION", "O", "B-REGION"], ["B-REGION", "I-REGION", "O", "O"])
    assert result["per_label"]["REGION"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}


def test_span_overlapping_two_gold_spans_is_one_wrong_span_and_misses_none():
    gold = [Span(0, 2, "REGION", "粤黔"), Span(2, 4, "REGION", "两省")]
    predicted = [Span(1, 3, "REGION", "黔两")]
    categorised = categorise(gold, predicted)
    assert [category for category, _, _ in categorised] == ["wrong_span"]  # both gold spans are touched, none missed
    assert breakdown(categorised, LABELS)["all"]["missed"] == 0
    result = scores(["B-REGION", "I-REGION", "B-REGION", "I-REGION"], ["O", "B-REGION", "I-REGION", "O"])
    assert result["micro"]["precision"] == 0.0 and result["micro"]["recall"] == 0.0


def test_same_span_with_another_type_is_a_wrong_type_error():
    gold = [Span(0, 3, "REGION", "平塘县")]
    predicted = [Span(0, 3, "ORG", "平塘县")]
    categorised = categorise(gold, predicted)
    assert [c for c, _, _ in categorised] == ["wrong_type"]
    assert confusion(categorised) == {"REGION": {"ORG": 1}}
    result = scores(["B-REGION", "I-REGION", "I-REGION"], ["B-ORG", "I-ORG", "I-ORG"])
    assert result["per_label"]["REGION"]["recall"] == 0.0 and result["per_label"]["ORG"]["precision"] == 0.0


def test_missed_spurious_and_wrong_span_and_type_are_counted_once_each():
    gold = [Span(0, 3, "REGION", "平塘县"), Span(10, 12, "PERSON", "卢健")]
    predicted = [Span(1, 3, "ORG", "塘县"), Span(5, 7, "DATE", "7月")]
    counts = breakdown(categorise(gold, predicted), LABELS)["all"]
    assert (counts["wrong_span_and_type"], counts["spurious"], counts["missed"], counts["correct"]) == (1, 1, 1, 0)


def test_rules_baseline_finds_amounts_dates_and_regions():
    found = {(s.label, s.text) for s in rule_spans("2021年7月,广州市天河区向平塘縣投入27万余元。")}
    assert {("DATE", "2021年7月"), ("REGION", "广州市天河区"), ("REGION", "平塘縣"), ("AMOUNT", "27万余元")} <= found


def test_evaluate_writes_json_markdown_and_self_contained_html(tiny_model, tmp_path):
    out = tmp_path / "report"
    result = runner.invoke(app, ["evaluate", "--model", str(tiny_model), "--split", "test", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["documents"] == ["doc5"]
    assert set(report["systems"]) == {"model", "rules"}
    assert report["systems"]["model"]["micro"]["support"] == len(report["predictions"]["doc5"]["gold"])
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "| REGION |" in markdown and "rules F1" in markdown
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and "http" not in html  # self-contained: nothing to fetch


def test_cv_tests_every_document_once_and_pools_the_folds(synthetic_annotations, tmp_path):
    import yaml

    from tests.conftest import tiny_config_dict

    config = tmp_path / "tiny.yaml"
    config.write_text(
        yaml.safe_dump(tiny_config_dict(synthetic_annotations, tmp_path / "models", epochs=20)), encoding="utf-8"
    )
    out = tmp_path / "cv"
    result = runner.invoke(app, ["cv", "--config", str(config), "--folds", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    tested = [doc for fold in report["folds"] for doc in fold["test"]]
    assert sorted(tested) == [f"doc{i}" for i in range(6)]
    for index, fold in enumerate(report["folds"]):
        trained_on = yaml.safe_load((out / "folds" / f"tiny-fold{index}" / "training_config.yaml").read_text())["data"][
            "split"
        ]
        assert not set(fold["test"]) & (set(trained_on["train"]) | set(trained_on["dev"]))
    assert set(report["fold_summary"]["micro"]) == {"model_mean", "model_std", "rules_mean", "rules_std"}
    assert report["systems"]["model"]["micro"]["support"] == sum(
        len(d.spans) for d in load_documents(synthetic_annotations)
    )
    compared = runner.invoke(app, ["compare", str(out), str(out / "folds" / "tiny-fold0" / "test-report")])
    assert compared.exit_code == 0 and "micro" in compared.output


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian package `chromium`; `make test` installs it as root)"
)
def test_html_report_renders_with_entity_marks(tiny_model, tmp_path):
    out = tmp_path / "report"
    assert (
        runner.invoke(app, ["evaluate", "--model", str(tiny_model), "--split", "dev", "--out", str(out)]).exit_code == 0
    )
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    page = f"file://{out / 'report.html'}"
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", page], capture_output=True, text=True, timeout=120).stdout
    assert dom.count('class="ent ok"') + dom.count('class="ent error"') >= 2
    assert 'id="f1-chart"' in dom and 'id="confusion"' in dom
    screenshot = tmp_path / "report.png"
    subprocess.run(
        [CHROMIUM, *flags, f"--screenshot={screenshot}", "--window-size=1280,1600", page],
        capture_output=True,
        timeout=120,
    )
    assert screenshot.stat().st_size > 10_000  # a real rendered page, not a blank one


def test_a_predicted_label_outside_the_scored_labels_still_renders(tmp_path):
    """A model can predict a label the scored set (and the gold) lacks: the page marks it, scores stay on the set."""
    from training.annotations import Document
    from training.evaluate import build_report
    from training.report import write_report

    text = "记者罗建国从平塘县人民医院获悉。"
    gold = Document("d1", text, [Span(2, 5, "PERSON", "罗建国")])
    predicted = [Span(2, 5, "PERSON", "罗建国"), Span(6, 13, "HOSPITAL", "平塘县人民医院")]
    report = build_report([gold], [predicted], "model", ("PERSON",))
    write_report(report, tmp_path)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'data-label="HOSPITAL"' in page and 'data-label="PERSON"' in page
    assert report["systems"]["model"]["per_label"]["PERSON"]["f1"] == 1.0
