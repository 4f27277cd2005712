"""Corpus input and output: JSON lines, Parquet and files read as records; bad records named and skipped;
an output cut off anywhere resumes to the output of an uninterrupted run."""

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tests.articles import corpus_paragraphs, read_jsonl, seed_texts, write_jsonl
from training.cli import app
from training.errors import XiezuoError
from training.records import BadRecord, Record, id_key, read_records
from training.tagging import tag
from training.writers import ParquetWriter, jsonl_done_ids, parquet_done_ids, partial_path

SHIPPED = Path(__file__).resolve().parent.parent / "models" / "xiezuo-small"
runner = CliRunner()


def test_jsonl_records_pass_fields_through_and_name_bad_lines(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(
        b'{"id": "a", "text": "\xe5\xb9\xb3\xe5\xa1\x98\xe5\x8e\xbf", "site": "gz.gov.cn", "tags": [1, 2]}\n'
        b"\n"
        b'{"id": "b", "text": "  "}\n'
        b"{not json\n"
        b'{"id": "c", "text": "\xff\xfe"}\n'
        b'{"text": "no id"}\n'
        b'{"id": 7}\n'
        b'["a list"]\n'
        b'{"id": "d", "text": "last line, no newline"}'
    )
    items = list(read_records([str(path)]))
    assert items[0] == Record("a", "平塘县", {"site": "gz.gov.cn", "tags": [1, 2]})
    assert [str(item) for item in items[1:-1]] == [
        f"{path}: line 3 (id b): empty text",
        f"{path}: line 4: invalid JSON at column 2: Expecting property name enclosed in double quotes",
        f"{path}: line 5: not UTF-8 (byte 21)",
        f"{path}: line 6: no id field",
        f"{path}: line 7 (id 7): no text field",
        f"{path}: line 8: not a JSON object",
    ]
    assert items[-1] == Record("d", "last line, no newline")


def test_text_files_and_parquet_become_records_in_the_order_given(tmp_path):
    (tmp_path / "a.txt").write_text("平塘县", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes("平塘县".encode("gbk"))
    pq.write_table(
        pa.table({"id": ["p1", "p2"], "text": ["白云区", None], "year": [2021, 2022]}), tmp_path / "in.parquet"
    )
    items = list(read_records([str(tmp_path / "a.txt"), str(tmp_path / "in.parquet"), str(tmp_path / "bad.txt")]))
    assert items[0] == Record(str(tmp_path / "a.txt"), "平塘县", {"source": str(tmp_path / "a.txt")})
    assert items[1] == Record("p1", "白云区", {"year": 2021})
    assert str(items[2]) == f"{tmp_path / 'in.parquet'}: row 2 (id p2): no text field"
    assert isinstance(items[3], BadRecord) and "not UTF-8" in str(items[3])


def test_parquet_without_a_text_column_is_one_line_and_the_next_input_is_read(tmp_path):
    pq.write_table(pa.table({"id": ["p1"], "body": ["白云区"]}), tmp_path / "in.parquet")
    (tmp_path / "b.txt").write_text("平塘县", encoding="utf-8")
    bad, good = read_records([str(tmp_path / "in.parquet"), str(tmp_path / "b.txt")])
    assert isinstance(bad, BadRecord) and str(bad).startswith(f"{tmp_path / 'in.parquet'}: no text column")
    assert good.text == "平塘县"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, Path]:
    """A JSON lines corpus and its output from one uninterrupted run."""
    folder = tmp_path_factory.mktemp("corpus")
    write_jsonl(folder / "in.jsonl", seed_texts() + corpus_paragraphs(40))
    tag([str(folder / "in.jsonl")], SHIPPED, out=folder / "full.jsonl", format_="jsonl")
    return folder / "in.jsonl", folder / "full.jsonl"


def interrupted_run(source: Path, out: Path, after: int) -> None:
    """A run stopped (Ctrl-C) after `after` records: its partial output is kept for --resume."""
    written = []

    def stop() -> None:
        written.append(1)
        if len(written) == after:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        tag([str(source)], SHIPPED, out=out, format_="jsonl", on_tagged=stop)


@pytest.mark.parametrize("cut", ["mid-line", "line-end"])
def test_resume_after_a_killed_run_ends_as_an_uninterrupted_run(corpus, tmp_path, cut):
    source, full = corpus
    data = full.read_bytes()
    lines = data.splitlines(keepends=True)
    out = tmp_path / "out.jsonl"
    interrupted_run(source, out, after=17)
    assert not out.exists() and partial_path(out).read_bytes() == b"".join(lines[:17])
    if cut == "mid-line":  # a kill -9 in the middle of a write
        with partial_path(out).open("ab") as partial:
            partial.write(lines[17][: len(lines[17]) // 2])
    summary = tag([str(source)], SHIPPED, out=out, format_="jsonl", resume=True)
    assert summary.resumed == 17 and summary.tagged == len(lines) - 17
    assert out.read_bytes() == data
    assert sorted(path.name for path in tmp_path.iterdir()) == [".out.jsonl.xiezuo.json", "out.jsonl"]


def test_resume_refuses_an_output_it_did_not_write(corpus, tmp_path):
    source, full = corpus
    out = tmp_path / "out.jsonl"
    out.write_text(full.read_text(encoding="utf-8").splitlines()[0] + "\nsomething else\n" + "{}\n", encoding="utf-8")
    with pytest.raises(XiezuoError, match="no record of the run that wrote it; resume only continues an output of"):
        tag([str(source)], SHIPPED, out=out, format_="jsonl", resume=True)


def test_jsonl_done_ids_cut_a_torn_last_line(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "a", "entities": []}\n{"id": "b", "entit', encoding="utf-8")
    assert jsonl_done_ids(out) == {id_key("a")}
    assert out.read_text(encoding="utf-8") == '{"id": "a", "entities": []}\n'


def test_parquet_parts_appear_only_when_complete_and_resume_drops_a_torn_one(tmp_path):
    writer = ParquetWriter(tmp_path / "out", part_records=2)
    for record_id in "abcde":
        writer.write({"id": record_id, "length": 1, "entities": []})
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [
        "part-00000.parquet",
        "part-00001.parquet",
    ]  # "e" not yet
    (tmp_path / "out" / "part-00002.partial").write_bytes(b"PAR1 torn")  # what a killed run leaves
    assert parquet_done_ids(tmp_path / "out") == set(map(id_key, "abcd"))
    assert not list((tmp_path / "out").glob("*.partial"))


def test_parquet_output_of_fields_with_mixed_types_is_one_line(tmp_path):
    writer = ParquetWriter(tmp_path / "out", part_records=2)
    writer.write({"id": "a", "year": 2021, "length": 1, "entities": []})
    with pytest.raises(
        XiezuoError, match="part-00000.parquet: the passed-through fields do not fit one Parquet schema"
    ):
        writer.write({"id": "b", "year": "2021年", "length": 1, "entities": []})


def test_cli_parquet_in_and_out_resumes_and_reports_bad_records(corpus, tmp_path):
    rows = read_jsonl(corpus[0])[:12]
    rows[3]["text"] = ""
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "in.parquet")
    command = ["tag", str(tmp_path / "in.parquet"), "--format", "parquet", "--out", str(tmp_path / "out")]
    first = runner.invoke(app, command)
    assert first.exit_code == 1  # a bad record ...
    assert f"{tmp_path / 'in.parquet'}: row 4 (id a0003): empty text" in first.output
    assert "tagged 11 article(s)" in first.output and "1 failed" in first.output
    table = pq.read_table(tmp_path / "out")
    assert table.column_names == ["id", "site", "length", "entities"]
    assert table.column("id").to_pylist() == [row["id"] for row in rows if row["text"]]  # ... the rest tagged, in order
    for row, entities in zip([row for row in rows if row["text"]], table.column("entities").to_pylist()):
        assert entities and all(row["text"][e["start"] : e["end"]] == e["text"] for e in entities)
    again = runner.invoke(app, command + ["--resume"])
    assert "tagged 0 article(s)" in again.output and "11 already in" in again.output
    assert pq.read_table(tmp_path / "out").num_rows == 11
    assert "exists; pass --resume" in runner.invoke(app, command).output


def test_cli_tags_jsonl_to_standard_output_with_fields_passed_through(tmp_path):
    (tmp_path / "in.jsonl").write_text(
        json.dumps(
            {"id": "x1", "text": "2021年7月,廣州市天河區向平塘縣投入幫扶資金27萬余元。", "site": "s"},
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["tag", str(tmp_path / "in.jsonl"), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    [row] = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["id"] == "x1" and row["site"] == "s" and "text" not in row
    assert {(e["label"], e["text"]) for e in row["entities"]} >= {("REGION", "平塘縣"), ("AMOUNT", "27萬余元")}


def test_cli_corpus_in_any_output_format(tmp_path):
    """Every input goes to every format (this used to say "corpus output is jsonl or parquet, not 'pretty'")."""
    (tmp_path / "in.jsonl").write_text('{"id": "x", "text": "平塘县"}\n', encoding="utf-8")
    result = runner.invoke(app, ["tag", str(tmp_path / "in.jsonl")])
    assert result.exit_code == 0 and "平塘县" in result.stdout and "REGION" in result.stdout
