from hypothesis import given, settings
from hypothesis import strategies as st

from training.lexicon import KINDS, NUM_FEATURES, POSITIONS, default_lexicon, feature_names
from training.text import simplified_view


def flags_of(text: str) -> list[set[str]]:
    names = feature_names()
    return [
        {names[bit] for bit in range(NUM_FEATURES) if value >> bit & 1} for value in default_lexicon().features(text)
    ]


def test_a_place_chain_is_marked_where_its_words_begin_and_end():
    flags = flags_of("广州市白云区对口帮扶平塘县")
    assert "B-REGION" in flags[0] and "E-REGION" in flags[2]  # 广州市
    assert "B-REGION" in flags[3] and "E-REGION" in flags[5]  # 白云区
    assert "M-REGION" in flags[11] and "E-REGION" in flags[12]  # 平塘县: 塘 is inside it
    assert not any(flag.endswith("REGION") for flag in flags[6] | flags[7])  # 对口 is no place


def test_province_abbreviations_are_single_character_regions_and_words_mark_boundaries():
    flags = flags_of("粤黔协作")
    assert "S-REGION" in flags[0] and "S-REGION" in flags[1]
    assert {"B-WORD"} <= flags[2] and {"E-WORD"} <= flags[3]


def test_traditional_text_gets_the_flags_of_its_simplified_view():
    assert flags_of(simplified_view("廣州市白雲區")) == flags_of("广州市白云区")


def test_bits_are_named_in_order():
    assert feature_names()[:4] == [f"{position}-{KINDS[0]}" for position in POSITIONS]
    assert len(feature_names()) == NUM_FEATURES


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("广州市白云区平塘县人民医院记者卢健粤黔 ,。2021年\n"), max_size=80))
def test_one_value_per_character_and_only_known_bits(text):
    features = default_lexicon().features(text)
    assert len(features) == len(text)
    assert all(0 <= value < 1 << NUM_FEATURES for value in features)
