"""Trend files: the bundled example (15 NVS 2019 trends in 5 groups, each cited), lossless
round trips through YAML, JSON, XLSX and CSV, and bad input named by line, row and field."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from natrisk.domain.trends import SOURCE_KINDS, TrendSet
from natrisk.errors import WorkbookError
from natrisk.io.trends import (
    SUFFIXES,
    csv_text,
    dump_trends,
    load_trends,
    parse_upload,
    trends_bytes,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "trends-2026.yaml"
BASELINE = ROOT / "examples" / "trends-2023.yaml"
# the five groups of the Nationale Veiligheid Strategie 2019, chapter 'Trends en ontwikkelingen
# die de nationale veiligheid beïnvloeden', with the number of trends in each
NVS_GROUPS = {
    "Internationale (politieke) ontwikkelingen": 4,
    "Informatietechnologische ontwikkelingen": 3,
    "Mondiale financieel-economische ontwikkelingen": 3,
    "Demografische en maatschappelijke ontwikkelingen": 2,
    "Ecologische ontwikkelingen": 3,
}


def test_the_example_holds_the_fifteen_nvs_trends_in_five_groups_each_cited() -> None:
    ts = load_trends(EXAMPLE)
    assert len(ts.trends) == 15
    assert {g.title.nl: sum(t.group == g.id for t in ts.trends) for g in ts.groups} == NVS_GROUPS
    for t in ts.trends:
        assert t.cited is not None and t.cited.title == "Nationale Veiligheid Strategie"
        assert t.cited.year == 2019 and t.title.nl in t.cited.section
        assert not re.search(r"\.txt|seeds|/", t.cited.section)
        assert t.bears_on and t.sources
        assert {b.sign for b in t.bears_on} <= {"+", "-"}
    kinds = {s.kind for t in ts.trends for s in t.sources}
    assert {"planning-bureau", "advisory-council", "university"} <= kinds
    assert [tr.title.nl for tr in ts.transitions] == [
        "Nieuw geopolitiek tijdsgewricht",
        "Klimaatmitigatie en -adaptatie",
        "Technologische ontwikkelingen",
        "Economische uitdagingen",
    ]
    assert "ILLUSTRATIVE" in EXAMPLE.read_text(encoding="utf-8").splitlines()[0]
    assert load_trends(BASELINE).info.id == ts.info.baseline


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_the_example_round_trips_in_every_format(suffix: str, tmp_path: Path) -> None:
    ts = load_trends(EXAMPLE)
    assert parse_upload(trends_bytes(ts, suffix), f"t{suffix}") == ts


_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() != "")
_id = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)


@st.composite
def trend_sets(draw: st.DrawFn) -> TrendSet:
    groups = draw(st.lists(_id, min_size=1, max_size=3, unique=True))
    tids = draw(st.lists(_id, min_size=1, max_size=4, unique=True))
    trends = []
    for tid in tids:
        bears = [
            {
                draw(st.sampled_from(["theme", "scenario"])): draw(_id),
                "sign": draw(st.sampled_from(["+", "-"])),
                "strength": draw(st.sampled_from(["weak", "moderate", "strong"])),
                "note": draw(st.one_of(st.just(""), _text)),
            }
            for _ in range(draw(st.integers(0, 3)))
        ]
        sources = [
            {
                "title": draw(_text),
                "organisation": draw(_text),
                "kind": draw(st.sampled_from(SOURCE_KINDS)),
                "year": draw(st.one_of(st.none(), st.integers(1900, 2200))),
                "reference": draw(st.one_of(st.just(""), _text)),
            }
            for _ in range(draw(st.integers(0, 2)))
        ]
        trends.append(
            {
                "id": tid,
                "group": draw(st.sampled_from(groups)),
                "title": {"en": draw(_text), "nl": draw(_text)},
                "description": draw(st.one_of(st.just(""), _text)),
                "direction": draw(st.sampled_from(["rising", "stable", "falling"])),
                "classification": draw(
                    st.sampled_from([None, "Openbaar", "Departementaal Vertrouwelijk"])
                ),
                "cited": draw(
                    st.one_of(
                        st.none(),
                        st.just(
                            {
                                "title": "Nationale Veiligheid Strategie",
                                "year": 2019,
                                "section": "x",
                            }
                        ),
                    )
                ),
                "bears_on": bears,
                "sources": sources,
            }
        )
    raw = {
        "format": "natrisk-trends/1",
        "set": {
            "id": draw(_id),
            "title": {"en": draw(_text), "nl": draw(_text)},
            "year": draw(st.integers(1900, 2200)),
            "edition": draw(_id),
            "description": draw(st.one_of(st.just(""), _text)),
        },
        "groups": [{"id": g, "title": {"en": draw(_text), "nl": draw(_text)}} for g in groups],
        "trends": trends,
        "transitions": [
            {
                "id": "t1",
                "title": {"en": draw(_text), "nl": draw(_text)},
                "trends": draw(st.lists(st.sampled_from(tids), unique=True)),
                "lines": draw(st.lists(_id, unique=True, max_size=3)),
                "intensify": draw(st.booleans()),
            }
        ],
    }
    return TrendSet.model_validate(raw)


@pytest.mark.parametrize("suffix", SUFFIXES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ts=trend_sets())
def test_any_set_round_trips_losslessly(suffix: str, ts: TrendSet) -> None:
    assert parse_upload(trends_bytes(ts, suffix), f"t{suffix}") == ts


def _raw() -> dict:
    return dump_trends(load_trends(EXAMPLE))


def _problems(data: bytes, name: str) -> list[str]:
    with pytest.raises(WorkbookError) as caught:
        parse_upload(data, name)
    return [str(p) for p in caught.value.problems]


def test_bad_yaml_is_named_by_line_and_field() -> None:
    raw = _raw()
    raw["trends"][2]["direction"] = "sideways"
    raw["trends"][4]["group"] = "no-such-group"
    raw["trends"][5]["bears_on"][0]["strength"] = "huge"
    raw["transitions"][0]["trends"].append("ghost-trend")
    text = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
    found = _problems(text.encode(), "bad.yaml")
    assert len(found) == 2  # shape first; references once the shape is right
    assert any(
        "trend instability-around-eu" in p and "direction" in p and "line " in p for p in found
    )
    assert any("bears_on.0.strength" in p for p in found)
    raw["trends"][2]["direction"] = "rising"
    raw["trends"][5]["bears_on"][0]["strength"] = "weak"
    found = _problems(yaml.safe_dump(raw).encode(), "bad.yaml")
    assert any("group" in p and "no group 'no-such-group'" in p for p in found)
    assert any("transition geopolitical-era" in p and "no trend 'ghost-trend'" in p for p in found)


def test_bad_csv_rows_are_named_by_line_and_field() -> None:
    import csv

    rows = list(csv.reader(io.StringIO(csv_text(load_trends(EXAMPLE)), newline="")))
    header = rows[0]
    n = next(
        i for i, r in enumerate(rows) if r[0] == "Trends" and r[header.index("id")] == "fintech"
    )
    rows[n][header.index("direction")] = "upwards"
    ghost = [""] * len(header)
    ghost[0], ghost[header.index("trend")] = "Bearings", "ghost"

    def text(rs: list[list[str]]) -> bytes:
        buf = io.StringIO(newline="")
        csv.writer(buf, lineterminator="\r\n").writerows(rs)
        return buf.getvalue().encode()

    found = _problems(text([*rows, ghost]), "bad.csv")
    assert any("no trend 'ghost'" in p for p in found), found
    found = _problems(text(rows), "bad.csv")
    assert any("trend fintech" in p and "direction" in p and "line " in p for p in found), found


def test_bad_xlsx_rows_are_named_by_sheet_row_and_field() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(trends_bytes(load_trends(EXAMPLE), ".xlsx")))
    ws = wb["Bearings"]
    ws.cell(row=4, column=4).value = "~"  # sign
    ws2 = wb["Sources"]
    ws2.cell(row=3, column=4).value = "astrologer"  # kind
    buf = io.BytesIO()
    wb.save(buf)
    found = _problems(buf.getvalue(), "bad.xlsx")
    assert any("sheet Bearings, row 4" in p and "sign" in p for p in found), found
    assert any("sheet Sources, row 3" in p and "kind" in p for p in found), found


def test_citations_are_words_not_file_paths() -> None:
    raw = _raw()
    raw["trends"][0]["cited"]["section"] = "seeds/000_e0f8.txt:581"
    found = _problems(yaml.safe_dump(raw).encode(), "bad.yaml")
    assert any("looks like a file path" in p for p in found)


def test_wrong_files_are_refused() -> None:
    assert _problems(b"\x00\x01binary", "x.yaml")
    assert _problems(b"format: natrisk-trends/1\n", "x.txt")
    assert any("unknown format" in p for p in _problems(b"format: other/1\nset: {}\n", "x.yaml"))


def test_table_files_without_a_table_column_take_the_default_table() -> None:
    from natrisk.io.tables import csv_rows

    tables = {"Items": ("id", "title"), "Other": ("id",)}
    rows = csv_rows('id,title\r\na,"x, y"\r\nb,\r\n', "i.csv", tables, default="Items")
    assert rows == {"Items": [("line 2", {"id": "a", "title": "x, y"}), ("line 3", {"id": "b"})]}
    with pytest.raises(WorkbookError) as caught:
        csv_rows("id,title\r\na,b\r\n", "i.csv", tables)
    assert "'table' is missing" in str(caught.value)
