"""The Ray Data engine on a local Ray instance: the entities of the local engine for every record."""

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.articles import corpus_paragraphs, read_jsonl, seed_texts, write_jsonl
from training.errors import XiezuoError
from training.tagging import tag

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'xiezuo-ner[ray]'")
from training.ray_engine import tag_with_ray  # noqa: E402

SHIPPED = Path(__file__).resolve().parent.parent / "models" / "xiezuo-small"


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=256 * 2**20, logging_level="ERROR")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    """A few hundred articles (the seeds and the corpus's paragraphs) and the local engine's rows by id."""
    folder = tmp_path_factory.mktemp("ray")
    write_jsonl(folder / "in.jsonl", seed_texts() + corpus_paragraphs(300))
    tag([str(folder / "in.jsonl")], SHIPPED, out=folder / "local.jsonl", format_="jsonl")
    return folder / "in.jsonl", {row["id"]: row for row in read_jsonl(folder / "local.jsonl")}


def same_rows(rows: list[dict], expected: dict[str, dict]) -> None:
    assert sorted(row["id"] for row in rows) == sorted(expected)
    for row in rows:
        want = expected[row["id"]]
        assert row["site"] == want["site"] and row["length"] == want["length"]
        assert [(e["start"], e["end"], e["label"], e["text"]) for e in row["entities"]] == [
            (e["start"], e["end"], e["label"], e["text"]) for e in want["entities"]
        ]
        assert [e["score"] for e in row["entities"]] == pytest.approx([e["score"] for e in want["entities"]], abs=2e-4)


def test_ray_jsonl_to_jsonl_gives_the_local_engines_entities(local_ray, corpus, tmp_path):
    source, expected = corpus
    assert len(expected) > 300
    tag_with_ray([str(source)], str(tmp_path / "out"), "jsonl", SHIPPED, workers=2)
    rows = [row for path in sorted((tmp_path / "out").glob("*.json*")) for row in read_jsonl(path)]
    same_rows(rows, expected)


def test_ray_parquet_to_parquet_leaves_bad_records_out(local_ray, corpus, tmp_path):
    source, expected = corpus
    rows = read_jsonl(source)[:40]
    rows[5]["text"] = " "
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "in.parquet")
    tag_with_ray([str(tmp_path / "in.parquet")], str(tmp_path / "out"), "parquet", SHIPPED, workers=2)
    written = pq.read_table(tmp_path / "out").to_pylist()
    same_rows(written, {row["id"]: expected[row["id"]] for index, row in enumerate(rows) if index != 5})


def test_ray_stops_on_a_file_its_reader_refuses_in_one_line(local_ray, tmp_path):
    (tmp_path / "in.jsonl").write_text('{"id": "a", "text": "平塘县"}\nnot json\n', encoding="utf-8")
    with pytest.raises(XiezuoError, match="^Ray stopped: ValueError: "):
        tag_with_ray([str(tmp_path / "in.jsonl")], str(tmp_path / "out"), "jsonl", SHIPPED, workers=1)


def test_ray_reads_only_jsonl_or_parquet(local_ray, tmp_path):
    with pytest.raises(XiezuoError, match="--engine ray reads JSON lines"):
        tag_with_ray([str(Path(__file__).parent.parent / "seeds")], str(tmp_path / "out"), "jsonl", SHIPPED)


def test_cli_ray_refuses_resume_and_text_output(tmp_path):
    from typer.testing import CliRunner

    from training.cli import app

    runner = CliRunner()
    resumed = runner.invoke(
        app, ["tag", "in.jsonl", "--engine", "ray", "--format", "jsonl", "--out", str(tmp_path / "o"), "--resume"]
    )
    assert resumed.exit_code == 1 and "--resume works with --engine local" in resumed.output
    pretty = runner.invoke(app, ["tag", "in.jsonl", "--engine", "ray"])
    assert pretty.exit_code == 1 and "--engine ray needs --format jsonl or parquet and --out" in pretty.output


def test_ray_reads_a_folder_named_by_uri_like_a_remote_one(local_ray, corpus, tmp_path):
    """`s3://bucket/articles/` names a folder Ray reads; a local folder given as a file:// URI takes the same path."""
    source, expected = corpus
    folder = tmp_path / "articles"
    folder.mkdir()
    rows = read_jsonl(source)[:30]
    (folder / "part-1.jsonl").write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
    )
    tag_with_ray([f"file://{folder}/"], str(tmp_path / "out"), "jsonl", SHIPPED, workers=1)
    written = [row for path in sorted((tmp_path / "out").glob("*.json*")) for row in read_jsonl(path)]
    same_rows(written, {row["id"]: expected[row["id"]] for row in rows})
