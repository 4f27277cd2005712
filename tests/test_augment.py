import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from training.annotations import Document, check_document, load_documents
from training.augment import RegionShapes, _renumber, augment

PROJECT = Path(__file__).resolve().parent.parent


def test_mention_replacement_changes_most_mentions_and_keeps_offsets_exact():
    documents = load_documents(PROJECT / "annotations")[:2]
    copies = augment(documents, copies=3, seed=5)
    assert len(copies) == 6
    for copy in copies:
        assert check_document(copy) == []
        original = next(d for d in documents if copy.doc_id.startswith(d.doc_id))
        changed = sum(new.text != old.text for new, old in zip(copy.spans, original.spans))
        assert changed > len(original.spans) / 2


def test_augmentation_is_deterministic_for_a_seed():
    documents = load_documents(PROJECT / "annotations")[:1]
    assert augment(documents, 2, seed=1)[0].text == augment(documents, 2, seed=1)[0].text
    assert augment(documents, 2, seed=1)[0].text != augment(documents, 2, seed=2)[0].text


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_every_sampled_mention_is_clean(seed):
    documents = load_documents(PROJECT / "annotations")[:1]
    for copy in augment(documents, 1, seed):
        assert check_document(copy) == []  # slices match, no overlaps, no punctuation or space at an edge


def test_augmentation_does_not_depend_on_string_hashing():
    import os
    import subprocess
    import sys

    script = "from pathlib import Path; from training.annotations import load_documents; from training.augment import augment; print(augment(load_documents(Path('annotations'))[:1], 1, 3, word_swap_rate=0.5)[0].text[:400])"
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1


def test_other_label_sets_swap_in_their_own_mentions_only():
    """Imported datasets have labels the samplers do not know: replacements come from the training documents."""
    from training.annotations import Span

    documents = [
        Document("a", "张三去北京", [Span(0, 2, "PER", "张三"), Span(3, 5, "LOC", "北京")]),
        Document("b", "李四在上海", [Span(0, 2, "PER", "李四"), Span(3, 5, "LOC", "上海")]),
    ]
    for copy in augment(documents, copies=5, seed=3):
        assert check_document(copy, ("PER", "LOC")) == []
        assert {(s.label, s.text) for s in copy.spans} <= {
            ("PER", "张三"),
            ("PER", "李四"),
            ("LOC", "北京"),
            ("LOC", "上海"),
        }


def _outside_spans(document) -> str:
    """The document's text with every entity cut out (a | where it was)."""
    parts, position = [], 0
    for span in document.spans:
        parts.append(document.text[position : span.start])
        position = span.end
    return "|".join(parts + [document.text[position:]])


def test_word_swap_changes_context_words_but_not_entities_numbers_or_counters():
    documents = load_documents(PROJECT / "annotations")[:1]
    plain = augment(documents, 1, seed=4)[0]
    swapped = augment(documents, 1, seed=4, word_swap_rate=1.0)[0]
    assert check_document(swapped) == []
    assert [(s.label, s.text) for s in swapped.spans] == [(s.label, s.text) for s in plain.spans]
    assert _outside_spans(swapped) != _outside_spans(plain)
    # numbers are redrawn, but the word after each (3名, 229人次) stays: it tells counts from money
    after_number = re.compile(r"\d+([^\d])")
    assert after_number.findall(_outside_spans(swapped)) == after_number.findall(_outside_spans(plain))
    assert re.findall(r"\d+", _outside_spans(swapped)) != re.findall(r"\d+", _outside_spans(plain))
    # punctuation, which often delimits entities (lists of places), stays
    punctuation = re.compile(r"[、，,。；;：:（）()]")
    assert punctuation.findall(_outside_spans(swapped)) == punctuation.findall(_outside_spans(plain))


@pytest.mark.parametrize(
    "gold",
    [
        "廣州市白云區",
        "广州市天河区沙河街道",
        "临夏市枹罕镇王坪村",
        "安顺市紫云自治县",
        "格凸河镇二关村",
        "广东广州",
        "毕节大方",
    ],
)
def test_region_replacements_keep_the_shape_of_a_chain(gold):
    """A chain of places is one REGION; replacements must be chains of the same levels, or the model learns to split them."""
    shapes, rng = RegionShapes(), random.Random(0)
    gold_shape, gold_end = shapes.parse(gold)
    assert gold_end == len(gold) and len(gold_shape) >= 2
    for _ in range(20):
        drawn = shapes.region(gold, rng)
        assert shapes.parse(drawn) == (gold_shape, len(drawn)), drawn


def test_short_forms_stay_short_and_one_character_forms_one_character():
    shapes, rng = RegionShapes(), random.Random(0)
    assert all(len(shapes.region("粤", rng)) == 1 for _ in range(20))
    assert all(
        shapes.parse(shapes.region("南沙", rng))[0] == [] or shapes.suffix(shapes.region("南沙", rng)) == ""
        for _ in range(20)
    )


def test_person_replacements_are_as_long_as_the_gold_name():
    from training.annotations import Span

    for name in ("马兴民", "卢健"):
        document = Document("a", f"记者{name}报道", [Span(2, 2 + len(name), "PERSON", name)])
        copies = augment([document], copies=20, seed=1)
        assert {len(copy.spans[0].text) for copy in copies} == {len(name)}
        assert len({copy.spans[0].text for copy in copies}) > 10  # and still many different names


@pytest.mark.parametrize(
    ("gold", "label"),
    [
        ("1033.98萬元", "AMOUNT"),
        ("2750多万元", "AMOUNT"),
        ("2019-01-20 09:24", "DATE"),
        ("去年7月", "DATE"),
        ("2016年至2020年", "DATE"),
    ],
)
def test_amounts_and_dates_get_new_numbers_in_the_gold_format(gold, label):
    rng = random.Random(0)
    drawn = {_renumber(gold, label, rng) for _ in range(20)}
    assert len(drawn) > 5
    for text in drawn:
        assert re.sub(r"\d", "", text) == re.sub(r"\d", "", gold)  # the same words and marks around new numbers
        if label == "AMOUNT" or "-" in gold:
            assert [len(run) for run in re.findall(r"\d+", text)] == [len(run) for run in re.findall(r"\d+", gold)]


def test_one_character_forms_include_prefectures_and_countries_stay_countries():
    from training.augment import PROVINCE_ABBREVIATIONS

    shapes, rng = RegionShapes(), random.Random(0)
    drawn = {shapes.region("毕", rng) for _ in range(200)}  # 穗毕协作: 毕 stands for 毕节市
    assert {len(form) for form in drawn} == {1}
    assert "毕" in shapes.one_character and drawn - set(PROVINCE_ABBREVIATIONS)
    assert not drawn & set("省市县自")
    assert all(shapes.region("中國", rng) in shapes.countries for _ in range(20))


def test_numbers_outside_entities_take_any_length_but_durations_keep_their_size():
    """A count or a phone number outside an entity is no AMOUNT or DATE; a redrawn 3年 must not become 2021年."""
    from training.augment import WordSwapper

    swap = WordSwapper(rate=1.0, seed=0)
    before_hao = [swap._number("12345678", "号") for _ in range(1000)]
    before_nian = [swap._number("3", "年") for _ in range(1000)]
    assert {len(number) for number in before_hao} == set(range(1, 13)) and all(
        number.isdigit() for number in before_hao
    )
    assert {len(number) for number in before_nian} == {1} and len(set(before_nian)) == 9  # a duration keeps its size
