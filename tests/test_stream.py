"""Corpus tagging as a stream: the same entities as one article at a time, in input order, on one or two processes."""

from pathlib import Path

import pytest

from tests.articles import corpus_paragraphs, read_jsonl, seed_texts, write_jsonl
from training.errors import XiezuoError
from training.infer import Tagger
from training.records import BadRecord, Record
from training.stream import chunks, tag_stream
from training.tagging import tag

SHIPPED = Path(__file__).resolve().parent.parent / "models" / "xiezuo-small"


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger.from_pretrained(SHIPPED)


def spans(entities) -> list[tuple]:
    return [(entity.start, entity.end, entity.label, entity.text) for entity in entities]


def test_stream_gives_each_article_the_entities_it_gets_alone_in_input_order(tagger):
    texts = seed_texts() + corpus_paragraphs(120)
    records = [Record(f"r{index}", text) for index, text in enumerate(texts)]
    results = list(tag_stream(tagger, records))
    assert [record.id for record, _ in results] == [record.id for record in records]
    for (_record, article), text in zip(results, texts):
        alone = tagger(text)
        assert article.text == text and spans(article.entities) == spans(alone.entities)
        assert [entity.score for entity in article.entities] == pytest.approx(
            [entity.score for entity in alone.entities], abs=2e-4
        )
        assert all(text[entity.start : entity.end] == entity.text for entity in article.entities)


def test_bad_records_keep_their_place_in_the_stream(tagger):
    items = [Record("a", "平塘县人民医院"), BadRecord("in.jsonl: line 2", "empty text"), Record("b", "广州市白云区")]
    results = list(tag_stream(tagger, items))
    assert results[1] == items[1] and [results[0][0].id, results[2][0].id] == ["a", "b"]


def test_chunks_hold_many_short_articles_and_a_long_one_alone():
    items = [Record(str(index), "字" * 300) for index in range(10)] + [
        Record("long", "字" * 5000),
        Record("last", "字"),
    ]
    groups = list(chunks(items, max_chars=1000))
    assert [len(group) for group in groups] == [4, 4, 3, 1]
    assert [item for group in groups for item in group] == items


def test_two_workers_write_what_one_writes(tmp_path):
    texts = seed_texts() + corpus_paragraphs(60)
    write_jsonl(tmp_path / "in.jsonl", texts)
    one = tag([str(tmp_path / "in.jsonl")], SHIPPED, out=tmp_path / "one.jsonl", format_="jsonl", batch_size=32)
    two = tag(
        [str(tmp_path / "in.jsonl")], SHIPPED, out=tmp_path / "two.jsonl", format_="jsonl", workers=2, batch_size=32
    )
    assert one.tagged == two.tagged == len(texts)
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    assert [row["id"] for row in read_jsonl(tmp_path / "two.jsonl")] == [f"a{index:04d}" for index in range(len(texts))]


def test_workers_without_the_onnx_export_stop_in_one_line_before_writing(tmp_path):
    write_jsonl(tmp_path / "in.jsonl", ["平塘县人民医院"])
    with pytest.raises(XiezuoError, match="model.int8.onnx: no ONNX model; write it with"):
        tag(
            [str(tmp_path / "in.jsonl")],
            SHIPPED,
            out=tmp_path / "out.jsonl",
            format_="jsonl",
            workers=2,
            runtime="onnx-int8",
        )
    assert not (tmp_path / "out.jsonl").exists()
