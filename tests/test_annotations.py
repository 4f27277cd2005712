import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from training.annotations import (
    LABELS,
    Document,
    Span,
    check_document,
    is_edge_char,
    load_task_file,
    task_files,
    trim_edges,
)
from training.cli import app
from training.text import normalise, read_article

runner = CliRunner()
PROJECT = Path(__file__).resolve().parent.parent


def test_gold_annotations_pass_every_check():
    files = task_files(PROJECT / "annotations")
    assert len(files) == 5
    for path in files:
        document = load_task_file(path)
        assert check_document(document, project_root=PROJECT) == []
        assert document.text == normalise(read_article(PROJECT / document.source)).text
        assert {span.label for span in document.spans} <= set(LABELS)


def test_cli_check_passes_on_gold_and_prints_counts():
    result = runner.invoke(app, ["annotations", "check", "--dir", str(PROJECT / "annotations")])
    assert result.exit_code == 0, result.output
    assert "000_7a95b9ea3265a927" in result.output and "REGION" in result.output
    assert "no problems" in result.output


def _break(project: Path, edit) -> tuple[Path, bytes]:
    """Apply `edit` to the first result item of task 002 and return the file and its bytes."""
    path = project / "annotations" / "002_1775c1fd85892c10.json"
    task = json.loads(path.read_text(encoding="utf-8"))
    edit(task, task["annotations"][0]["result"])
    path.write_text(json.dumps(task, ensure_ascii=False, indent=2), encoding="utf-8")
    return path, path.read_bytes()


def _value(result, index=0):
    return result[index]["value"]


def _widen_over_punctuation(text: str, result: list[dict]) -> None:
    """Widen the first span that follows a punctuation mark or space so that it starts with it."""
    value = next(
        item["value"]
        for item in result
        if item["value"]["start"] > 0 and is_edge_char(text[item["value"]["start"] - 1])
    )
    value.update(start=value["start"] - 1, text=text[value["start"] - 1 : value["end"]])


BREAKAGES = {
    "offsets outside the text": lambda task, result: _value(result).update(end=10**6),
    "text differs from the slice": lambda task, result: _value(result).update(text="别的"),
    "overlaps": lambda task, result: result.append({**result[0], "value": {**_value(result), "labels": ["ORG"]}}),
    "unknown label 'LOC'": lambda task, result: _value(result).update(labels=["LOC"]),
    "starts or ends with whitespace or punctuation": lambda task, result: _widen_over_punctuation(
        task["data"]["text"], result
    ),
    "no longer matches the normalised seeds/002_1775c1fd85892c10.txt": lambda task, result: task["data"].update(
        text=task["data"]["text"] + "多余"
    ),
}


@pytest.mark.parametrize("message", list(BREAKAGES))
def test_cli_check_reports_each_error_kind_with_file_task_and_offsets(project_copy, message):
    path, before = _break(project_copy, BREAKAGES[message])
    result = runner.invoke(app, ["annotations", "check", "--dir", str(project_copy / "annotations")])
    assert result.exit_code == 1
    error_lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert any(
        message in line and "002_1775c1fd85892c10.json: task 002_1775c1fd85892c10" in line for line in error_lines
    ), result.output
    assert path.read_bytes() == before  # nothing modified


def test_check_reports_invalid_json_with_line_and_column(project_copy):
    path = project_copy / "annotations" / "000_7a95b9ea3265a927.json"
    path.write_text('{"data": {"text": "x"},\n  oops}', encoding="utf-8")
    result = runner.invoke(app, ["annotations", "check", "--dir", str(project_copy / "annotations")])
    assert result.exit_code == 1
    assert "000_7a95b9ea3265a927.json: invalid JSON at line 2 column 3" in result.output
    assert "004_01d9f73e4239357a" in result.output  # the other files are still counted


def test_span_ending_in_the_numeral_ling_passes_the_edge_check():
    """〇 (U+3007) is a numeral: the DATE 二〇二〇 in a heading is a valid span."""
    text = "二〇二〇年度报告"
    document = Document("heading", text, [Span(0, 4, "DATE", "二〇二〇")])
    assert check_document(document) == []


@pytest.mark.parametrize("mark", list("，。、；：？！“”‘’《》（）【】「」…—·,.;:!?\"'()[] \u3000"))
def test_span_with_punctuation_at_either_edge_fails_the_check_and_is_trimmed_alike(mark):
    text = f"{mark}平塘县{mark}"
    for start, end in ((0, 4), (1, 5)):
        document = Document("d", text, [Span(start, end, "REGION", text[start:end])])
        assert any("starts or ends with whitespace or punctuation" in problem for problem in check_document(document))
    assert trim_edges(text, 0, len(text)) == (1, 4)


def test_trimming_keeps_the_numeral_ling_inside():
    assert trim_edges("（二〇二〇）", 0, 6) == (1, 5)


def test_gold_folder_label_config_is_the_packaged_project_config():
    from training.labels import PROJECT_LABEL_CONFIG

    assert (PROJECT / "annotations" / "label_config.xml").read_bytes() == PROJECT_LABEL_CONFIG.read_bytes()
