"""`insight`: places resolved to divisions in context, values, partnerships, tables and report."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from training.cli import app
from training.infer import Entity
from training.insight import analyse, run
from training.places import resolve_places
from training.values import parse_amount, parse_date

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
COLUMNS = {
    "places": ["id", "start", "end", "text", "division", "level", "code"],
    "pairs": ["id", "helper", "helped", "kind", "start", "end"],
    "amounts": ["id", "start", "end", "text", "yuan", "low", "high", "approx", "helper", "helped", "year"],
}


def mentions(text: str, *names: str) -> list[tuple[int, int, str]]:
    """Each name's next occurrence in `text`, in order, as a (start, end, text) mention."""
    found, position = [], 0
    for name in names:
        start = text.index(name, position)
        found.append((start, start + len(name), name))
        position = start + len(name)
    return found


def entities(text: str, *labelled: tuple[str, str]) -> list[Entity]:
    found, position = [], 0
    for label, name in labelled:
        start = text.index(name, position)
        found.append(Entity(start, start + len(name), label, name, 1.0))
        position = start + len(name)
    return found


def paths(text: str, *names: str, year: int | None = None) -> list[str | None]:
    return [place.division_text for place in resolve_places(mentions(text, *names), year)]


def test_short_forms_are_read_from_the_pair_the_article_is_about():
    text = "穗毕协作结硕果。广州市白云区对口帮扶毕节，援疆干部也来了。"
    assert paths(text, "穗", "毕", "广州市白云区", "毕节", "疆") == [
        "广东省/广州市",
        "贵州省/毕节市",
        "广东省/广州市/白云区",
        "贵州省/毕节市",
        "新疆维吾尔自治区",
    ]


def test_a_name_several_divisions_share_follows_the_places_named_before_it():
    assert paths("广州市召开会议，白云区表态。", "广州市", "白云区")[1] == "广东省/广州市/白云区"
    assert paths("贵阳市召开会议，白云区表态。", "贵阳市", "白云区")[1] == "贵州省/贵阳市/白云区"


def test_levels_codes_and_spans_that_are_no_division():
    places = resolve_places(mentions("黔南州平塘县和粤港澳大湾区", "黔南州平塘县", "粤港澳大湾区"), 2020)
    county, region = places
    assert (county.division_text, county.level, county.code) == (
        "贵州省/黔南布依族苗族自治州/平塘县",
        "county",
        "522727000000",
    )
    assert region.path is None and region.level is None and "economic region" in region.reason


def test_towns_and_villages_hang_under_the_county_named_before_them():
    text = "平塘县的白云镇王坪村"
    assert paths(text, "平塘县", "白云镇王坪村") == [
        "贵州省/黔南布依族苗族自治州/平塘县",
        "贵州省/黔南布依族苗族自治州/平塘县/白云镇/王坪村",
    ]


def test_renamed_divisions_resolve_and_carry_the_name_of_the_articles_date():
    assert paths("兴仁县", "兴仁县", year=2016) == ["贵州省/黔西南布依族苗族自治州/兴仁县"]
    assert paths("兴仁市", "兴仁市", year=2020) == ["贵州省/黔西南布依族苗族自治州/兴仁市"]
    assert paths("兴仁市", "兴仁市") == ["贵州省/黔西南布依族苗族自治州/兴仁市"]


def test_traditional_text_resolves_to_simplified_paths():
    assert paths("廣州市白雲區", "廣州市白雲區") == ["广东省/广州市/白云区"]


@pytest.mark.parametrize(
    ("written", "yuan", "low", "high", "approx"),
    [
        ("1033.98万元", 10339800, None, None, False),
        ("1.67亿元", 167000000, None, None, False),
        ("3000余万元", 30000000, None, None, True),
        ("500多万元", 5000000, None, None, True),
        ("2至3亿元", None, 200000000, 300000000, False),
        ("三千五百万元", 35000000, None, None, False),
        ("1,200萬元", 12000000, None, None, False),
    ],
)
def test_amounts_in_yuan(written, yuan, low, high, approx):
    value = parse_amount(written)
    assert (value.yuan, value.low, value.high, value.approx) == (yuan, low, high, approx)


@pytest.mark.parametrize(
    ("written", "iso", "low", "high"),
    [
        ("2020年7月15日", "2020-07-15", None, None),
        ("2020年7月", "2020-07", None, None),
        ("去年7月", "2020-07", None, None),
        ("今年", "2021", None, None),
        ("2016—2020年", None, "2016", "2020"),
        ("十三五", None, "2016", "2020"),
    ],
)
def test_dates_at_the_precision_written_relative_to_the_publish_date(written, iso, low, high):
    value = parse_date(written, date(2021, 3, 4))
    assert (value.iso, value.low, value.high) == (iso, low, high)


def test_a_relative_date_without_a_publish_date_stays_unresolved():
    assert parse_date("去年7月").iso is None


ARTICLE = (
    "穗毕协作助力乡村振兴\n发布时间：2021-03-04 10:20\n"
    "去年7月，广州市白云区与毕节市大方县签订东西部协作协议，投入帮扶资金1033.98万元。"
    "广州市和毕节市的游客互访增多。"
)
ARTICLE_ENTITIES = [
    ("REGION", "穗"),
    ("REGION", "毕"),
    ("DATE", "去年7月"),
    ("REGION", "广州市白云区"),
    ("REGION", "毕节市大方县"),
    ("AMOUNT", "1033.98万元"),
    ("REGION", "广州市"),
    ("REGION", "毕节市"),
]


def test_pairs_are_the_relations_sentences_state_with_their_evidence():
    article = analyse("a1", ARTICLE, entities(ARTICLE, *ARTICLE_ENTITIES))
    pairs = {("/".join(p.helper), "/".join(p.helped)): p for p in article.pairs}
    assert set(pairs) == {("广东省/广州市", "贵州省/毕节市"), ("广东省/广州市/白云区", "贵州省/毕节市/大方县")}
    evidence = pairs["广东省/广州市/白云区", "贵州省/毕节市/大方县"]
    assert evidence.kind == "东西部协作" and ARTICLE[evidence.start : evidence.end].startswith("去年7月")
    # 广州市和毕节市 in a sentence about tourists is no statement of assistance: no third pair.
    (amount,) = article.amounts
    assert (amount.yuan, amount.helper[-1], amount.helped[-1], amount.year) == (10339800, "白云区", "大方县", 2020)


def write_tagged(path: Path, with_text: bool = True) -> None:
    row = {"id": "a1", "length": len(ARTICLE), "source": "web"}
    row |= {"text": ARTICLE} if with_text else {}
    row["entities"] = [e.to_dict() for e in entities(ARTICLE, *ARTICLE_ENTITIES)]
    bad = {"id": "a2", "text": "平塘县", "entities": [{"start": 0, "end": 2, "label": "REGION", "text": "平塘县"}]}
    rows = [row] if not with_text else [row, bad]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_tagged_json_lines_give_tables_with_the_contract_columns(tmp_path):
    write_tagged(tmp_path / "tagged.jsonl")
    bad = []
    summary = run([str(tmp_path / "tagged.jsonl")], tmp_path / "out", on_bad=bad.append)
    assert summary.articles == 1 and summary.bad == 1 and "does not match the text" in bad[0].reason
    for name, columns in COLUMNS.items():
        parquet = pq.read_table(tmp_path / "out" / f"{name}.parquet")
        csv = pacsv.read_csv(tmp_path / "out" / f"{name}.csv")
        assert parquet.column_names[: len(columns)] == columns and csv.num_rows == parquet.num_rows
    places = pq.read_table(tmp_path / "out" / "places.parquet").to_pylist()
    assert all(ARTICLE[p["start"] : p["end"]] == p["text"] for p in places)
    assert places[0]["division"] == "广东省/广州市" and places[0]["id"] == "a1"
    amounts = pq.read_table(tmp_path / "out" / "amounts.parquet").to_pylist()
    assert [(a["yuan"], a["year"], a["helped"]) for a in amounts] == [(10339800.0, 2020, "贵州省/毕节市/大方县")]
    assert not list((tmp_path / "out").glob(".*partial"))  # everything written aside was renamed into place


def test_tags_output_without_text_is_joined_to_its_corpus(tmp_path):
    write_tagged(tmp_path / "tagged.jsonl", with_text=False)
    (tmp_path / "corpus.jsonl").write_text(json.dumps({"id": "a1", "text": ARTICLE}, ensure_ascii=False) + "\n")
    summary = run([str(tmp_path / "tagged.jsonl")], tmp_path / "out", texts=[str(tmp_path / "corpus.jsonl")])
    assert summary.articles == 1 and summary.pairs == 2


def test_command_tags_raw_articles_and_writes_tables_and_report(tmp_path):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    result = CliRunner().invoke(app, ["insight", str(tmp_path / "a.txt"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    places = pq.read_table(tmp_path / "out" / "places.parquet").to_pylist()
    assert places and all(ARTICLE[p["start"] : p["end"]] == p["text"] for p in places)
    assert (tmp_path / "out" / "report.html").stat().st_size > 1000


def test_report_escapes_article_text(tmp_path):
    text = ARTICLE.replace("增多。", "增多<script>alert(1)</script>。").replace(
        "东西部协作协议", "东西部协作<b>协议</b>"
    )
    row = {"id": "<i>x</i>", "text": text, "entities": [e.to_dict() for e in entities(text, *ARTICLE_ENTITIES)]}
    (tmp_path / "t.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    run([str(tmp_path / "t.jsonl")], tmp_path / "out")
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<b>协议" not in page and "<i>x" not in page and "&lt;b&gt;协议" in page


@pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian package `chromium`; `make test` installs it as root)"
)
def test_report_renders_in_a_browser_with_map_money_and_linked_sentences(tmp_path):
    write_tagged(tmp_path / "tagged.jsonl")
    run([str(tmp_path / "tagged.jsonl")], tmp_path / "out")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
    flags += ["--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"]
    page = f"file://{tmp_path / 'out' / 'report.html'}"
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", page], capture_output=True, text=True, timeout=120).stdout
    # 广州市白云区 → 毕节市大方县 and 广州 → 毕节 are one pair at prefecture level: one line on the map.
    assert 'id="pair-map"' in dom and dom.count('class="edge"') == 1 and 'id="money"' in dom
    assert 'href="#money-' in dom and 'id="money-' in dom and "1033.98万元" in dom  # money links to its sentence
    assert 'href="#pair-0"' in dom and 'id="pair-0"' in dom
    screenshot = tmp_path / "report.png"
    subprocess.run(
        [CHROMIUM, *flags, f"--screenshot={screenshot}", "--window-size=1280,1400", page],
        capture_output=True,
        timeout=120,
    )
    assert screenshot.stat().st_size > 10_000  # a real rendered page, not a blank one


def region_entities(text: str, *names: str) -> list[Entity]:
    return entities(text, *(("REGION", name) for name in names))


def pair_set(text: str, *names: str) -> set[tuple[str, str, bool]]:
    article = analyse("p", text, region_entities(text, *names))
    return {("/".join(p.helper), "/".join(p.helped), p.across) for p in article.pairs}


def test_a_pair_stated_across_sentences_is_read_from_the_national_pairing():
    text = "上海援建干部座谈会召开。遵义市受援县代表介绍了协作成效，项目投入300万元。"
    found = analyse("p", text, entities(text, ("REGION", "上海"), ("REGION", "遵义市"), ("AMOUNT", "300万元")))
    assert [("/".join(p.helper), "/".join(p.helped), p.kind, p.across) for p in found.pairs] == [
        ("上海市", "贵州省/遵义市", "东西部协作", True)
    ]
    # the amount's own sentence states no pair: a pair read across sentences is not its owner
    assert found.amounts[0].helper is None
    # a province and a city its partner province holds are no pairing as named: nothing across sentences
    assert pair_set("广东省帮扶干部到岗。毕节市召开协作会议。", "广东省", "毕节市") == set()
    # nor are two places that no assistance sentence names
    assert pair_set("上海举行招商会。遵义市召开协作会议。", "上海", "遵义市") == set()


def test_a_sentence_already_stating_a_lineage_pair_adds_none_across():
    text = "广州市白云区对口帮扶毕节市大方县。广州援建干部座谈。毕节市代表出席协作会。"
    assert pair_set(text, "广州市白云区", "毕节市大方县", "广州", "毕节市") == {
        ("广东省/广州市/白云区", "贵州省/毕节市/大方县", False)
    }


def test_a_sentence_pairs_province_with_province_and_city_with_city():
    text = "浙江与四川两省以及温州与凉山州开展东西部协作。"
    assert pair_set(text, "浙江", "四川", "温州", "凉山州") == {
        ("浙江省", "四川省", False),
        ("浙江省/温州市", "四川省/凉山彝族自治州", False),
    }
    # an address names one place: 浙江省温州市 pairs as 温州 only
    assert pair_set("浙江省温州市对口帮扶四川省凉山州。", "浙江省", "温州市", "四川省", "凉山州") == {
        ("浙江省/温州市", "四川省/凉山彝族自治州", False)
    }


def test_two_partners_of_the_national_pairing_named_together_state_their_pair():
    # no assistance word, but the pairing is the national one as named: a pair; two other places are not
    assert pair_set("宁波市与黔西南州签署备忘录。", "宁波市", "黔西南州") == {
        ("浙江省/宁波市", "贵州省/黔西南布依族苗族自治州", False)
    }
    assert pair_set("宁波市与毕节市签署备忘录。", "宁波市", "毕节市") == set()
