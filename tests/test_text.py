from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from training.errors import XiezuoError
from training.text import decode_article, normalise, read_article, simplified_view

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def test_normalise_removes_pinyin_readings_after_characters():
    assert normalise("2016年以來(lái),兩地").text == "2016年以來,兩地"


def test_normalise_removes_pinyin_whose_bracket_mojibake_ate():
    assert normalise("學習?!皝?lái)到新學校").text == "學習?!皝?到新學校"


def test_normalise_keeps_real_parentheses():
    assert normalise("干部3名(含縣處級1人)、醫生").text == "干部3名(含縣處級1人)、醫生"


def test_normalise_collapses_doubled_punctuation():
    assert normalise("以來,,兩地、實地,、考察,。在,;平").text == "以來,兩地、實地、考察。在;平"


def test_normalise_keeps_comma_before_mojibake_question_mark():
    assert normalise("學習,?!逼").text == "學習,?!逼"


def test_normalise_joins_line_wrap_spaces_between_cjk_only():
    assert normalise("廣 州市 2017 年 abc 天河").text == "廣州市 2017 年 abc 天河"


def test_normalise_drops_image_file_name_lines():
    assert normalise("标题\n\n微信图片_20231026103208.jpg\n\n正文").text == "标题\n\n\n正文"


def test_normalise_keeps_one_copy_of_a_repeated_block():
    body = "广州市南沙区与安顺市紫云自治县结成了新一轮东西部协作关系。\n\n协作帮扶,人才交流是关键\n"
    result = normalise(f"口号\n口号\n{body}作者:罗建国\n{body}页脚")
    assert result.text == f"口号\n口号\n{body}作者:罗建国\n页脚"


def test_seed_004_body_appears_once_and_footer_stays():
    text = normalise(read_article(SEEDS / "004_01d9f73e4239357a.txt")).text
    assert text.count("广州市第一人民医院南沙医院通过") == 1
    assert text.count("协作帮扶,人才交流是关键") == 1
    assert "主管:国家乡村振兴局" in text


def test_offset_map_points_into_the_raw_seed():
    raw = read_article(SEEDS / "001_085aec950224edfb.txt")
    result = normalise(raw)
    start = result.text.index("廣州市天河區")
    raw_start, raw_end = result.to_raw(start, start + len("廣州市天河區"))
    assert raw[raw_start:raw_end] == "廣 州市天河區"  # the reading (qū) after it is not part of the span
    assert raw[raw_end : raw_end + 4] == "(qū)"
    assert normalise(raw[raw_start:raw_end]).text == "廣州市天河區"


def test_simplified_view_keeps_length_and_converts():
    text = "廣州市白雲區對口幫扶平塘縣😀\r\n"
    view = simplified_view(text)
    assert len(view) == len(text)
    assert view.startswith("广州市白云区对口帮扶平塘县")


def test_read_article_names_file_and_byte_for_non_utf8(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("平塘县".encode("gbk"))
    with pytest.raises(XiezuoError, match=r"gbk.txt: not UTF-8 \(byte 2: "):
        read_article(path)


def test_read_article_returns_blank_file_as_text(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text(" \n", encoding="utf-8")
    assert read_article(path) == " \n"  # no entities, like an empty string given to the Tagger


def test_read_article_names_missing_file_and_folder_in_one_line(tmp_path):
    with pytest.raises(XiezuoError, match=r"missing.txt: no such file$"):
        read_article(tmp_path / "missing.txt")
    (tmp_path / "x.txt").mkdir()
    with pytest.raises(XiezuoError, match=r"x.txt: is a folder"):
        read_article(tmp_path / "x.txt")


def test_decode_article_rejects_nul_and_names_the_input():
    with pytest.raises(XiezuoError, match=r"^<stdin>: looks binary \(NUL at character 2\)"):
        decode_article("平塘\x00".encode(), "<stdin>")


def test_normalise_removes_pinyin_readings_of_several_syllables():
    raw = "廣州(guǎng zhōu)市與先生(xiān sheng)見面(café)x(ni hao)"
    assert normalise(raw).text == "廣州市與先生見面x(ni hao)"


NOISY_ALPHABET = st.sampled_from(
    list("廣州市白雲區平塘縣,,。、;() \n\r\t\x00\u00a0\u3000?!abc12ǎāíùü😀𠀀é\u0301\u200b")
    + ["(lái)", "(qū)", "?lái)", ",,", "廣 州", "x.jpg\n", "\r\n"]
)
noisy_text = st.one_of(st.text(), st.lists(NOISY_ALPHABET, max_size=60).map("".join))


@settings(max_examples=400, deadline=None)
@given(raw=noisy_text, data=st.data())
def test_normalise_never_raises_and_every_span_maps_back(raw, data):
    result = normalise(raw)
    assert len(result.raw_offsets) == len(result.text)
    assert all(raw[offset] == char for offset, char in zip(result.raw_offsets, result.text))
    if not result.text:
        return
    # Entities never cross or include a line break, so spans are drawn inside one normalised line.
    line_start = data.draw(st.integers(0, len(result.text) - 1))
    line_end = result.text.find("\n", line_start)
    line_end = len(result.text) if line_end == -1 else line_end
    if line_end == line_start:
        return
    start = data.draw(st.integers(line_start, line_end - 1))
    end = data.draw(st.integers(start + 1, line_end))
    raw_start, raw_end = result.to_raw(start, end)
    assert normalise(raw[raw_start:raw_end]).text == result.text[start:end]


def test_cli_normalise_reports_bad_files_and_processes_the_rest(tmp_path):
    from typer.testing import CliRunner

    from training.cli import app

    (tmp_path / "bad.txt").write_bytes("平塘县".encode("gbk"))
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "good.txt").write_text("以來(lái),,兩地", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["normalise", *(str(tmp_path / name) for name in ("bad.txt", "empty.txt", "good.txt")), "--out", str(out)]
    )
    assert result.exit_code == 1
    assert "bad.txt: not UTF-8" in result.output
    assert (out / "good.txt").read_text(encoding="utf-8") == "以來,兩地"
    assert (out / "empty.txt").read_text(encoding="utf-8") == ""
    assert not (out / "bad.txt").exists()
