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
    is_natural_feature,
    load_task_file,
    load_tasks,
    span_rule_problem,
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


def _problems_of(label: str, text: str) -> list[str]:
    """The check's problems for one span covering the whole of `text`."""
    return check_document(Document("d", text, [Span(0, len(text), label, text)]))


@pytest.mark.parametrize(
    "label, bad, good",
    [
        ("DATE", "2016年以来", "2016年"),
        ("DATE", "2016年以來", "二〇一六年"),  # Traditional gold is held to the same rule
        ("DATE", "2024年起", "2024年度"),
        ("DATE", "2023年至今", "2023年6月30日至7月1日"),
        ("DATE", "2020年前后", "2020年底"),
        ("AMOUNT", "超1000万元", "1000万元"),
        ("AMOUNT", "约50万元", "50余万元"),
        ("AMOUNT", "近20亿元", "20多亿元"),
        ("AMOUNT", "达6411.38萬元", "6411.38萬元"),
        ("AMOUNT", "逾3亿元", "3亿元"),
        ("AMOUNT", "共960万元", "960万元"),
        ("AMOUNT", "累計1033.98萬元", "1033.98萬元"),
        ("AMOUNT", "5000元以上", "5000元"),
        ("AMOUNT", "3000元以下", "3000多元"),
        ("AMOUNT", "200万元左右", "200万元"),
        ("ORG", "市委", "林芝市委"),
        ("ORG", "縣委", "三都县县委"),
        ("ORG", "中央", "党中央"),
        ("ORG", "代表团", "无锡市党政代表团"),
        ("ORG", "考察团", "溧阳考察团"),
        ("ORG", "县政府", "紫云自治县人民政府"),
        ("ORG", "工作队", "粤黔协作工作队"),
        ("REGION", "乌蒙山区", "北京市石景山区"),
        ("REGION", "澜沧江", "澜沧县"),
        ("REGION", "雅鲁藏布江", "黑龙江"),
        ("REGION", "南迦巴瓦峰", "怒江"),
        ("REGION", "青藏高原", "怒江州"),
        ("REGION", "梵净山", "巫山"),
        ("REGION", "尼洋河", "镇江"),
        ("REGION", "长江", "浙江"),
        ("REGION", "金沙江", "雷山县西江"),
        ("REGION", "滇池", "深圳坪山"),
    ],
)
def test_each_spec_span_rule_flags_the_bad_span_and_passes_the_good_one(label, bad, good):
    assert span_rule_problem(label, bad) is not None
    assert len(_problems_of(label, bad)) == 1
    assert span_rule_problem(label, good) is None
    assert _problems_of(label, good) == []


@pytest.mark.parametrize("text", ["“黔货出山”", "《中国乡村振兴》", "(集团)", "「鵬城」"])
def test_quotes_and_brackets_at_the_edge_are_flagged(text):
    assert "quotes and brackets stay outside" in span_rule_problem("ORG", text)
    assert span_rule_problem("ORG", text[1:-1]) is None


def test_a_rule_belongs_to_its_label_only():
    """约 may start an ORG (约翰内斯堡大学), 共 a REGION (共和县); a feature word may sit in an ORG."""
    assert span_rule_problem("ORG", "约翰内斯堡大学") is None
    assert span_rule_problem("REGION", "共和县") is None
    assert span_rule_problem("ORG", "乌蒙山区") is None
    assert span_rule_problem("PERSON", "中央") is None


def test_natural_features_are_recognised_in_traditional_script_and_divisions_are_not():
    assert is_natural_feature("烏蒙山區") and is_natural_feature("瀾滄江")
    assert not is_natural_feature("黑龍江") and not is_natural_feature("青島市嶗山區")


def test_the_span_rules_are_off_for_public_datasets():
    """`edges=False` (public datasets, training loads) keeps their own conventions."""
    document = Document("d", "2016年以来", [Span(0, 7, "DATE", "2016年以来")])
    assert check_document(document, edges=False) == []
    assert check_document(document) != []


def test_every_gold_and_corpus_span_passes_the_spec_rules():
    paths = task_files(PROJECT / "annotations") + task_files(PROJECT / "annotations" / "corpus")
    problems = [problem for path in paths for document in load_tasks(path) for problem in check_document(document)]
    assert problems == []


def test_a_one_character_short_form_is_never_a_natural_feature():
    """湖 for 湖州 in 湖广协作, 江 for 江苏 in 江浙: a lone character stands for a place, not a lake or river."""
    assert not is_natural_feature("湖") and not is_natural_feature("江")
    assert is_natural_feature("澜沧江")
