import json
import re
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transformers import BertConfig, BertForTokenClassification, BertTokenizerFast
from typer.testing import CliRunner

from training.annotations import LABELS
from training.cli import app
from training.infer import Tagger
from training.tags import tag_names
from training.vocab import write_char_vocab
from training.windows import windows

runner = CliRunner()
PROJECT = Path(__file__).resolve().parent.parent
NOISY = "2021年7月,廣 州(zhōu)市天河區向平塘縣投入幫扶資金27萬余元,,記者卢健從天河區教育局獲悉。"


@pytest.fixture(scope="module")
def tagger(tiny_model) -> Tagger:
    return Tagger.from_pretrained(tiny_model)


def test_offsets_point_into_the_raw_noisy_text(tagger):
    article = tagger(NOISY)
    assert article.entities
    for entity in article.entities:
        assert NOISY[entity.start : entity.end] == entity.text
        assert 0 < entity.score <= 1
    assert ("REGION", "廣 州(zhōu)市天河區") in {(e.label, e.text) for e in article.entities}


def test_empty_and_whitespace_text_give_no_entities(tagger):
    assert tagger("").entities == [] and tagger(" \r\n\t").entities == []


@pytest.fixture
def lookup_tagger(tmp_path) -> Tagger:
    """A real BERT whose tag depends on the character alone (no layers, no positions), so the
    right answer is known exactly wherever the windows fall."""
    tags = tag_names("BIO", LABELS)
    char_tag = {
        "广": "B-REGION",
        **{c: "I-REGION" for c in "州市天河区"},
        "卢": "B-PERSON",
        "健": "I-PERSON",
        "：": "B-REGION",
        "”": "I-REGION",
    }
    write_char_vocab(["广州市天河区卢健：”"], tmp_path / "vocab.txt")
    tokenizer = BertTokenizerFast(vocab=str(tmp_path / "vocab.txt"), do_lower_case=False)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=len(tags),
        num_hidden_layers=0,
        num_attention_heads=1,
        intermediate_size=4,
        num_labels=len(tags),
        id2label=dict(enumerate(tags)),
        label2id={t: i for i, t in enumerate(tags)},
    )
    config.window_max_length, config.window_overlap = 12, 4  # windows of 10 characters
    model = BertForTokenClassification(config)
    with torch.no_grad():
        embeddings = model.bert.embeddings
        embeddings.position_embeddings.weight.zero_()
        embeddings.token_type_embeddings.weight.zero_()
        embeddings.word_embeddings.weight.copy_(
            torch.nn.functional.one_hot(torch.zeros(tokenizer.vocab_size, dtype=torch.long), len(tags)) * 10.0
        )
        for char, tag in char_tag.items():
            embeddings.word_embeddings.weight[tokenizer.convert_tokens_to_ids(char)] = (
                torch.nn.functional.one_hot(torch.tensor(tags.index(tag)), len(tags)) * 10.0
            )
        model.classifier.weight.copy_(torch.eye(len(tags)))
        model.classifier.bias.zero_()
    return Tagger(model, tokenizer, model_version="lookup")


def test_entity_on_a_window_edge_is_found_once_and_whole(lookup_tagger):
    text = "".join(f"{'一' * (index % 7)}广州市天河区{'二' * (index % 5)}卢健" for index in range(20))
    cuts = windows(len(text), lookup_tagger.max_chars, lookup_tagger.overlap, text)
    expected = {
        (m.start(), m.end(), label)
        for mention, label in (("广州市天河区", "REGION"), ("卢健", "PERSON"))
        for m in re.finditer(mention, text)
    }
    assert any(
        start < edge < end for start, end, _ in expected for window in cuts for edge in window
    )  # entities do straddle edges
    entities = lookup_tagger(text).entities
    assert [(e.start, e.end, e.label) for e in entities] == sorted(expected)


def test_punctuation_at_an_entity_edge_is_left_outside(lookup_tagger):
    """The spec keeps punctuation outside spans; the model's tags for "：州市天河区”" cover it."""
    text = "时间：州市天河区”，“：”"
    assert [(e.start, e.end, e.label, e.text) for e in lookup_tagger(text).entities] == [(3, 8, "REGION", "州市天河区")]


def test_tag_batch_equals_one_by_one(tagger):
    texts = [NOISY, "", "平塘县"]
    assert tagger.tag_batch(texts) == [tagger(text) for text in texts]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.text(
        alphabet=st.one_of(st.characters(), st.sampled_from(list("平塘县天河区卢健万元年月日2016(lái),,\r\n 😀𠀀"))),
        max_size=300,
    )
)
def test_offset_contract_holds_for_any_unicode(tagger, text):
    for entity in tagger(text).entities:
        assert text[entity.start : entity.end] == entity.text


def test_cli_tags_files_folders_and_reports_bad_files(tiny_model, tmp_path):
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "a.txt").write_text(NOISY, encoding="utf-8")
    (tmp_path / "in" / "sub" / "b.txt").write_text("记者卢健从天河区教育局获悉。", encoding="utf-8")
    (tmp_path / "in" / "bad.txt").write_bytes("平塘县".encode("gbk"))
    result = runner.invoke(app, ["tag", "--model", str(tiny_model), "--format", "jsonl", str(tmp_path / "in")])
    assert result.exit_code == 1  # something failed ...
    assert "bad.txt: not UTF-8" in result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(line["source"].rsplit("/", 1)[1] for line in lines) == ["a.txt", "b.txt"]  # ... the rest was tagged
    for line in lines:
        raw = (tmp_path / "in").joinpath(*line["source"].split("/in/", 1)[1].split("/")).read_text(encoding="utf-8")
        assert all(raw[e["start"] : e["end"]] == e["text"] for e in line["entities"])
    assert "tagged 2 article(s)" in result.output and "1 failed" in result.output


@pytest.mark.parametrize("format_", ["json", "conll", "label-studio", "html", "pretty"])
def test_cli_formats_from_standard_input(tiny_model, format_):
    result = runner.invoke(app, ["tag", "--model", str(tiny_model), "--format", format_, "-"], input=NOISY)
    assert result.exit_code == 0, result.output
    assert "tagged 1 article(s)" in result.stderr
    body = result.stdout
    if format_ == "json":
        [article] = json.loads(body)
        assert all(NOISY[e["start"] : e["end"]] == e["text"] for e in article["entities"])
    elif format_ == "conll":
        rows = [line.split(" ") for line in body.splitlines() if line and not line.startswith("#")]
        assert len(rows) == len(NOISY) and all(len(row) == 2 for row in rows)
    elif format_ == "label-studio":
        [task] = json.loads(body)
        prediction = task["predictions"][0]
        assert prediction["model_version"] == tiny_model.name and 0 < prediction["score"] <= 1
        assert all(
            task["data"]["text"][r["value"]["start"] : r["value"]["end"]] == r["value"]["text"]
            for r in prediction["result"]
        )
    elif format_ == "html":
        assert body.startswith("<!doctype html>") and '<mark class="ent" data-label=' in body
    else:  # the article, then a table with one row per entity
        count = int(re.search(r"(\d+) entities", body).group(1))
        assert count > 0 and sum(body.count(f"│ {label} ") for label in LABELS) == count


def test_cli_unknown_format_is_a_usage_error_naming_the_choices(tiny_model):
    result = runner.invoke(app, ["tag", "--model", str(tiny_model), "--format", "xml", "-"], input="x")
    assert result.exit_code == 2 and "Invalid value for '--format'" in result.output and "label-studio" in result.output


def test_label_studio_tasks_hold_the_normalised_text_and_pass_the_annotation_check(tiny_model, tmp_path, monkeypatch):
    """Accepted as gold, a `tag --format label-studio` task passes `annotations check` and survives a save and reload;
    its raw offsets are those of the other formats."""
    from training.annotations import check_document, document_from_task, load_task_file, save_document
    from training.text import normalise, read_article

    monkeypatch.chdir(PROJECT)
    seed = "seeds/000_7a95b9ea3265a927.txt"
    tagged = runner.invoke(app, ["tag", "--model", str(tiny_model), "--format", "label-studio", seed])
    assert tagged.exit_code == 0, tagged.output
    [task] = json.loads(tagged.stdout)
    raw = read_article(PROJECT / seed)
    assert task["data"]["text"] == normalise(raw).text != raw
    assert task["data"]["doc_id"] == "000_7a95b9ea3265a927" and task["data"]["source"] == seed
    results = task["predictions"][0]["result"]
    assert results
    jsonl = runner.invoke(app, ["tag", "--model", str(tiny_model), "--format", "jsonl", seed])
    [article] = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert task["data"]["raw_offsets"] == [[entity["start"], entity["end"]] for entity in article["entities"]]
    task["annotations"] = [{"result": results}]
    document = document_from_task(task, "tagged")
    assert check_document(document, LABELS, PROJECT) == []
    save_document(document, tmp_path / "000.json")
    assert load_task_file(tmp_path / "000.json").spans == document.spans
