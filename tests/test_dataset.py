from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from transformers import BertTokenizerFast

from training.annotations import LABELS, Document, Span, load_documents
from training.dataset import document_examples, folds
from training.tags import char_tags, spans_from_tags, tag_names
from training.vocab import CharVocab, write_char_vocab
from training.windows import windows

PROJECT = Path(__file__).resolve().parent.parent


def vocab_for(texts: list[str], tmp_path: Path) -> CharVocab:
    write_char_vocab(texts, tmp_path / "vocab.txt")
    return CharVocab(BertTokenizerFast(vocab=str(tmp_path / "vocab.txt"), do_lower_case=False))


def test_one_token_per_character_digits_latin_whitespace_and_unknown(tmp_path):
    vocab = vocab_for(["平塘县"], tmp_path)
    text = "平塘县2016 ABC\t\x00😀"
    ids = vocab.encode(text)
    assert len(ids) == len(text)
    tokens = [token for token, _ in sorted(vocab.vocab.items(), key=lambda item: item[1])]
    assert [tokens[i] for i in ids[:11]] == ["平", "塘", "县", "2", "0", "1", "6", "[unused1]", "A", "B", "C"]
    assert ids[11] == ids[12] == vocab.whitespace_id
    assert ids[13] == vocab.unk_id


def test_bio_and_bioes_tags_round_trip_to_the_same_spans():
    text = "广州市白云区与平塘县"
    spans = [Span(0, 6, "REGION", "广州市白云区"), Span(7, 10, "REGION", "平塘县")]
    assert spans_from_tags(char_tags(len(text), spans, "BIO"), text) == spans
    assert spans_from_tags(char_tags(len(text), spans, "BIOES"), text) == spans
    assert char_tags(3, [Span(1, 2, "ORG", "x")], "BIOES") == ["O", "S-ORG", "O"]


def test_adjacent_entities_of_one_type_stay_two():
    tags = ["B-REGION", "B-REGION", "I-REGION"]
    assert [(s.start, s.end) for s in spans_from_tags(tags, "粤黔省")] == [(0, 1), (1, 3)]


def test_windows_never_cut_a_gold_entity_and_cover_every_character():
    for document in load_documents(PROJECT / "annotations"):
        cuts = windows(len(document.text), 30, 8, document.text, document.spans)
        covered = set()
        for start, end in cuts:
            assert end - start <= 30
            covered.update(range(start, end))
            for span in document.spans:
                assert not (span.start < start < span.end) and not (span.start < end < span.end)
        assert covered == set(range(len(document.text)))


def test_windows_prefer_sentence_ends():
    text = "甲" * 40 + "。" + "乙" * 40 + "。" + "丙" * 10
    assert windows(len(text), 60, 5, text)[0] == (0, 41)


@given(length=st.integers(1, 400), max_chars=st.integers(4, 64), overlap=st.integers(0, 1))
def test_windows_cover_any_length(length, max_chars, overlap):
    cuts = windows(length, max_chars, overlap * (max_chars // 4), "字" * length)
    assert cuts[0][0] == 0 and cuts[-1][1] == length
    assert all(later_start <= end for (_, end), (later_start, _) in zip(cuts, cuts[1:]))


def test_examples_align_labels_to_characters(tmp_path):
    document = load_documents(PROJECT / "annotations")[0]
    vocab = vocab_for([document.text], tmp_path)
    for example in document_examples(document, vocab, tag_names("BIO", LABELS), "BIO", 64, 8):
        assert len(example["input_ids"]) == len(example["labels"]) <= 64
        assert example["labels"][0] == example["labels"][-1] == -100


@pytest.mark.parametrize("dev", [False, True])
def test_folds_never_share_a_document_between_train_dev_and_test(dev):
    doc_ids = [f"d{i}" for i in range(7)]
    result = folds(doc_ids, 5, seed=1, dev=dev)
    assert sorted(d for fold in result for d in fold["test"]) == sorted(doc_ids)
    for fold in result:
        parts = [set(fold["train"]), set(fold["dev"]), set(fold["test"])]
        assert set().union(*parts) == set(doc_ids)
        assert sum(map(len, parts)) == len(doc_ids)
        assert bool(fold["dev"]) == dev  # without a dev fold, each fold trains on every document it does not test


def test_dataset_cache_is_not_reused_when_the_window_code_changes(tmp_path, monkeypatch):
    import training.dataset as dataset

    monkeypatch.setenv("XIEZUO_CACHE", str(tmp_path / "cache"))
    text = "广州市白云区与平塘县"
    documents = [Document("d", text, [Span(0, 6, "REGION", "广州市白云区")])]
    vocab, tags = vocab_for([text], tmp_path), tag_names("BIO", ("REGION",))
    dataset.build_dataset(documents, vocab, tags, "BIO", 16, 2)
    dataset.build_dataset(documents, vocab, tags, "BIO", 16, 2)
    assert len(list(dataset.cache_dir().iterdir())) == 1
    assert all((Path(dataset.__file__).parent / name).is_file() for name in dataset.WINDOW_CODE)
    monkeypatch.setattr(dataset, "window_code_hash", lambda: "edited code")
    dataset.build_dataset(documents, vocab, tags, "BIO", 16, 2)
    assert len(list(dataset.cache_dir().iterdir())) == 2
