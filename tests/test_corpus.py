"""The written corpus: markup parsing, the committed task files, and its independence from the seeds."""

import json
from pathlib import Path

import pytest

from training.annotations import Document, check_document, load_documents
from training.corpus import build_corpus, parse_source, seed_texts, shared_strings
from training.text import normalise

PROJECT = Path(__file__).resolve().parents[1]
CORPUS = PROJECT / "annotations" / "corpus"


def test_markup_becomes_spans_with_exact_offsets(tmp_path):
    source = tmp_path / "part.txt"
    source.write_text(
        "### a1\n[[2021年|DATE]],[[廣州市白雲區|REGION]]向[[平塘县|REGION]]投入[[1033.98万元|AMOUNT]]。\n記者:[[王小明|PERSON]]\n",
        encoding="utf-8",
    )
    [document], problems = parse_source(source)
    assert problems == [] and document.doc_id == "part-a1"
    assert document.text == "2021年,廣州市白雲區向平塘县投入1033.98万元。\n記者:王小明"
    assert [(span.label, span.text) for span in document.spans] == [
        ("DATE", "2021年"),
        ("REGION", "廣州市白雲區"),
        ("REGION", "平塘县"),
        ("AMOUNT", "1033.98万元"),
        ("PERSON", "王小明"),
    ]
    assert all(document.text[span.start : span.end] == span.text for span in document.spans)


@pytest.mark.parametrize(
    "body, problem",
    [
        ("[[广州|PLACE]]", "unknown label 'PLACE'"),
        ("[[广州|REGION]", "unbalanced markup"),
        ("[[广州,|REGION]]", "starts or ends with whitespace or punctuation"),
        ("广州以來(lái)", "not normalised"),
    ],
)
def test_problems_name_the_file_line_and_article(tmp_path, body, problem):
    source = tmp_path / "part.txt"
    source.write_text(f"### a1\n好\n\n### a2\n{body}\n", encoding="utf-8")
    _, problems = parse_source(source)
    assert len(problems) == 1 and problems[0].startswith(f"{source}:4: part-a2") and problem in problems[0]


@pytest.mark.parametrize("header", ["../../x", "a/b", "a\\b"])
def test_an_article_id_that_cannot_name_a_file_is_a_problem(tmp_path, header):
    """Ids become task file names downstream (`ls push` → `ls pull`): `../` is refused at the source."""
    source = tmp_path / "part.txt"
    source.write_text(f"### {header}\n[[广州|REGION]]\n", encoding="utf-8")
    _, problems = parse_source(source)
    assert len(problems) == 1 and problems[0].startswith(f"{source}:1: doc id {'part-' + header!r}")
    assert "path separator" in problems[0]


def test_nothing_is_written_while_a_file_has_a_problem(tmp_path):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "good.txt").write_text("### a\n[[广州|REGION]]\n", encoding="utf-8")
    (tmp_path / "source" / "bad.txt").write_text("### a\n[[广州|PLACE]]\n", encoding="utf-8")
    counts, problems = build_corpus(tmp_path)
    assert counts == {"bad": 1, "good": 1} and len(problems) == 1
    assert not list(tmp_path.glob("*.json"))


def test_text_shared_with_a_seed_is_refused(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text("去年广州市白云区向平塘县拨款", encoding="utf-8")
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "train-1.txt").write_text(
        "### a\n今天[[广州市白云区|REGION]]向[[平塘县|REGION]]投入资金\n", encoding="utf-8"
    )
    _, problems = build_corpus(tmp_path, seeds=seeds)
    assert problems == [f"{tmp_path}: train-1-a: shares '广州市白云区向平塘县' with a seed article; reword it"]
    assert not list(tmp_path.glob("*.json"))


def test_committed_task_files_are_the_conversion_of_the_markup(tmp_path):
    for source in sorted((CORPUS / "source").glob("*.txt")):
        (tmp_path / "source").mkdir(exist_ok=True)
        (tmp_path / "source" / source.name).write_bytes(source.read_bytes())
    counts, problems = build_corpus(tmp_path)
    assert problems == []
    for name in counts:
        assert json.loads((tmp_path / f"{name}.json").read_text()) == json.loads(
            (CORPUS / f"{name}.json").read_text()
        ), name


def test_the_corpus_is_large_clean_and_split():
    documents = load_documents(CORPUS)
    assert len(documents) >= 150 and sum(len(document.text) for document in documents) >= 100_000
    assert all(check_document(document) == [] for document in documents)
    assert {document.path.stem.split("-")[0] for document in documents} == {"train", "dev"}
    assert all(normalise(document.text).text == document.text for document in documents)


def test_no_ten_character_string_of_the_corpus_occurs_in_a_seed():
    """Written from scratch: not copied or paraphrased closely enough to share ten characters in a row."""
    assert shared_strings(load_documents(CORPUS), seed_texts(PROJECT / "seeds")) == []


def test_shared_strings_finds_ten_characters_in_a_row():
    document = Document("d", "今天广州市白云区向平塘县投入资金")
    assert shared_strings([document], ["去年广州市白云区向平塘县拨款"]) == [("d", "广州市白云区向平塘县")]
    assert shared_strings([document], ["广州市白云区向平塘"]) == []


def test_the_cli_builds_the_task_files_and_reports_problems_in_one_line_each(tmp_path):
    from typer.testing import CliRunner

    from training.cli import app

    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "train-1.txt").write_text("### a\n[[2021年|DATE]],[[广州|REGION]]。\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["corpus", "build", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    [task] = json.loads((tmp_path / "train-1.json").read_text())
    assert task["data"]["text"] == "2021年,广州。" and len(task["annotations"][0]["result"]) == 2

    (tmp_path / "source" / "train-1.txt").write_text("### a\n[[广州|PLACE]]\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["corpus", "build", "--dir", str(tmp_path)])
    assert result.exit_code == 1 and "train-1.txt:1: train-1-a" in result.output and "nothing written" in result.output
    assert json.loads((tmp_path / "train-1.json").read_text()) == [task]  # the earlier build is untouched
