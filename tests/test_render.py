"""Both HTML outputs go through the escaping templates: text, labels and names never become markup."""

from training.annotations import Document, Span
from training.evaluate import build_report
from training.formats import as_html
from training.infer import Entity, TaggedArticle
from training.records import Record, output_row
from training.report import report_html

CRAFTED = "<img src=x onerror=alert(1)>"  # a label name from a crafted model config


def test_tag_html_escapes_labels_text_and_file_names():
    text = "平塘县<script>alert(2)</script>"
    article = TaggedArticle(text, [Entity(0, 3, CRAFTED, "平塘县", 0.9)])
    page = as_html([(output_row(Record("report<b>.txt", text, {"source": "report<b>.txt"}), article), text)])
    assert "<img" not in page and "<script" not in page and "<b>" not in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") >= 2  # attribute and subscript
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page and "report&lt;b&gt;.txt" in page


def test_evaluation_html_escapes_labels_and_document_ids():
    document = Document('doc"><img src=x>', "平塘县和白云区", [Span(0, 3, CRAFTED, "平塘县")])
    report = build_report([document], [[Span(4, 7, CRAFTED, "白云区")]], "model<i>", (CRAFTED,))
    page = report_html(report)
    assert "<img" not in page and "<i>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "model&lt;i&gt;" in page


def test_tag_html_marks_entities_in_the_project_colour():
    article = TaggedArticle("平塘县", [Entity(0, 3, "REGION", "平塘县", 0.5)])
    page = as_html([(output_row(Record("a.txt", "平塘县", {"source": "a.txt"}), article), "平塘县")])
    assert (
        '<mark class="ent" data-label="REGION" style="--c:#2e7d32" title="REGION 0.50">平塘县<sub>REGION</sub></mark>'
        in page
    )
