"""XLSX sheets for how threats combine: variants, links and compounds, one row each."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from natrisk.domain.edition import Workbook
from natrisk.errors import WorkbookError
from natrisk.io.workbook import dump_workbook, load_workbook, write_workbook

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "nl-2026.yaml"


def header(ws: Any) -> list[Any]:
    return [c.value for c in ws[1]]


def written(tmp_path: Path, book: Workbook) -> Path:
    path = tmp_path / "book.xlsx"
    write_workbook(book, path)
    return path


def test_the_example_puts_each_section_on_its_sheet(tmp_path: Path) -> None:
    book = load_workbook(EXAMPLE)
    path = written(tmp_path, book)
    wb = openpyxl.load_workbook(path)
    assert header(wb["links"])[:3] == ["from", "to", "probability"]
    assert header(wb["variants"])[:4] == ["risk", "title", "scenario", "intensity"]
    assert header(wb["compounds"])[:4] == ["id", "title", "scenarios", "likelihood"]
    extra = book.model_extra or {}
    assert wb["links"].max_row == 1 + len(extra["links"])
    assert wb["variants"].max_row == 1 + sum(len(r["variants"]) for r in extra["risks"])
    assert wb["compounds"].max_row == 1 + len(extra["compounds"])
    keys = [c.value for c in wb["edition"]["A"]]
    assert not any(str(k).startswith("workbook:") for k in keys if k)
    blackout = [
        r for r in wb["links"].iter_rows(values_only=True) if r[0] == "national-power-blackout"
    ]
    assert ("national-power-blackout", "drinking-water-disruption", "50-90%") in [
        r[:3] for r in blackout
    ]
    assert load_workbook(path) == book


def test_bad_cells_are_named_by_sheet_row_and_field(tmp_path: Path) -> None:
    path = written(tmp_path, load_workbook(EXAMPLE))
    wb = openpyxl.load_workbook(path)
    wb["links"]["C5"] = "200%"
    wb["links"]["B7"] = "no-such-scenario"
    wb["variants"]["C3"] = "nope"
    wb["compounds"]["D2"] = None
    wb.save(path)
    with pytest.raises(WorkbookError) as info:
        load_workbook(path)
    found = [(p.where, p.field, p.message) for p in info.value.problems]
    text = "\n".join(f"{w} | {f} | {m}" for w, f, m in found)
    assert any(w.startswith("sheet links, row 5") and "200%" in m for w, _, m in found), text
    assert any(w.startswith("sheet links, row 7") and "no-such-scenario" in m for w, _, m in found)
    assert any(w.startswith("sheet variants, row 3") and "nope" in m for w, _, m in found), text
    assert any(w.startswith("sheet compounds, row 2") for w, _, _ in found), text


def test_a_section_in_two_places_is_refused(tmp_path: Path) -> None:
    path = written(tmp_path, load_workbook(EXAMPLE))
    wb = openpyxl.load_workbook(path)
    ws = wb["edition"]
    ws.append(
        ["workbook:links", '[{"from": "coastal-flood", "to": "river-flood", "probability": 0.1}]']
    )
    wb.save(path)
    with pytest.raises(WorkbookError) as info:
        load_workbook(path)
    assert any(
        p.where == "sheet links, row 1" and "keep one" in p.message for p in info.value.problems
    )


def test_a_variant_without_its_scenario_is_refused(tmp_path: Path) -> None:
    path = written(tmp_path, load_workbook(EXAMPLE))
    wb = openpyxl.load_workbook(path)
    wb["variants"]["C4"] = None
    wb.save(path)
    with pytest.raises(WorkbookError) as info:
        load_workbook(path)
    assert [(p.where, p.field) for p in info.value.problems] == [
        ("sheet variants, row 4", "scenario")
    ]


def test_a_section_a_sheet_cannot_hold_stays_json(tmp_path: Path) -> None:
    data = dump_workbook(load_workbook(EXAMPLE))
    data["links"][0]["sources"] = ["one line\nand another"]  # a line break in one source
    book = Workbook.model_validate(data)
    path = written(tmp_path, book)
    wb = openpyxl.load_workbook(path)
    assert "links" not in wb.sheetnames
    assert "workbook:links" in [c.value for c in wb["edition"]["A"]]
    assert "variants" in wb.sheetnames  # the other sections keep their sheets
    assert load_workbook(path) == book


ids = st.text(alphabet="abcdefghij-", min_size=1, max_size=12).filter(lambda t: t.strip("-"))
texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)
probability = st.one_of(
    st.floats(0, 1, allow_nan=False),
    st.sampled_from(["0-0.1%", "10-50%", "90-100%", "CP0", "CP3"]),
)
link = st.fixed_dictionaries(
    {"from": ids, "to": ids, "probability": probability},
    optional={
        "rationale": texts,
        "sources": st.lists(texts, max_size=3),
        "owner": texts,
    },
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(links=st.lists(link, min_size=1, max_size=6))
def test_any_links_survive_the_round_trip(links: list[dict[str, Any]]) -> None:
    """Lossless: whatever the links hold, on their sheet or as JSON, they come back equal."""
    data = dump_workbook(load_workbook(EXAMPLE))
    data["links"] = links
    book = Workbook.model_validate(data)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "book.xlsx"
        write_workbook(book, path)
        from natrisk.io.xlsx import read_xlsx

        raw, _ = read_xlsx(path.read_bytes(), str(path))
        assert raw["links"] == links
