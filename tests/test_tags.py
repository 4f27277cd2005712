from training.annotations import Span
from training.tags import Irregularity, spans_from_tags


def test_bmes_middle_tags_continue_an_entity():
    assert spans_from_tags(["B-ORG", "M-ORG", "E-ORG", "S-LOC"], "粤黔队省") == [
        Span(0, 3, "ORG", "粤黔队"),
        Span(3, 4, "LOC", "省"),
    ]


def test_lenient_readings_are_reported_as_irregularities():
    irregularities: list[Irregularity] = []
    spans = spans_from_tags(["I-LOC", "I-LOC", "O", "B-PER", "M-PER", "B-LOC"], "平塘，卢健县", irregularities)
    assert spans == [Span(0, 2, "LOC", "平塘"), Span(3, 5, "PER", "卢健"), Span(5, 6, "LOC", "县")]
    assert irregularities == [
        Irregularity("stray", 0, "I-LOC"),
        Irregularity("unclosed", 1, "I-LOC"),
        Irregularity("unclosed", 4, "M-PER"),
        Irregularity("unclosed", 5, "B-LOC"),
    ]


def test_well_formed_bioes_has_no_irregularities():
    irregularities: list[Irregularity] = []
    spans_from_tags(["B-ORG", "E-ORG", "S-LOC", "O"], "粤黔省。", irregularities)
    assert irregularities == []
