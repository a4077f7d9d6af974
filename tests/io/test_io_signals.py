"""Signal files: the bundled example, lossless round trips through YAML, JSON, XLSX and CSV,
and bad input named by line, row and field (nothing half-read)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from natrisk.domain.signals import SignalFile
from natrisk.errors import WorkbookError
from natrisk.io.signals import csv_text, load_signals, parse_upload, signals_bytes

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "signals-2026.yaml"
THEMES = ("cyber", "economic", "major-accidents")
FORMATS = (".yaml", ".json", ".csv", ".xlsx")


def test_the_bundled_example_holds_two_illustrative_scans_of_80_or_more_signals() -> None:
    doc = load_signals(EXAMPLE)
    assert len(doc.signals) >= 80
    assert [s.id for s in doc.scans] == ["spring-2026", "autumn-2026"]
    assert doc.scans[0].status == "adopted" and doc.scans[0].snapshot
    assert "ILLUSTRATIVE" in EXAMPLE.read_text().splitlines()[0]
    assert "illustrative" in str(doc.model_extra).lower()
    assert {s.status for s in doc.signals} >= {"new", "escalated", "dismissed", "absorbed"}
    assert any(s.classification for s in doc.signals)


# ---------------------------------------------------------------------------- round trips

words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp")),
    max_size=40,
)
title = words.filter(lambda t: t.strip() == t and t.strip() != "")
ident = st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)
day = st.dates(dt.date(2020, 1, 1), dt.date(2026, 11, 30))


@st.composite
def signal(draw: st.DrawFn, sid: str) -> dict[str, object]:
    status = draw(
        st.sampled_from(("new", "assessed", "watch", "escalated", "absorbed", "dismissed"))
    )
    out: dict[str, object] = {
        "id": sid,
        "title": draw(title),
        "description": draw(words),
        "observed": draw(day).isoformat(),
        "themes": draw(st.lists(st.sampled_from(THEMES), min_size=1, max_size=3, unique=True)),
        "scenarios": draw(st.lists(ident, max_size=3, unique=True)),
        "horizon": draw(st.sampled_from(("short", "medium", "long"))),
        "organisation": draw(st.sampled_from(("", "min-jenv", "vr-gelderland-zuid"))),
        "status": status,
        "sources": draw(
            st.lists(
                st.fixed_dictionaries(
                    {"reference": title, "organisation": st.sampled_from(("", "rivm"))},
                    optional={"date": day.map(dt.date.isoformat)},
                ),
                max_size=2,
            )
        ),
    }
    if draw(st.booleans()):
        out["classification"] = "Departementaal Vertrouwelijk"
    if status != "new" or draw(st.booleans()):
        out["strength"] = draw(st.sampled_from(("weak", "moderate", "strong")))
        out["direction"] = draw(st.sampled_from(("rising", "stable", "falling")))
    if status == "absorbed":
        out["absorbed_into"] = draw(ident)
    if status == "dismissed":
        out["reason"] = draw(title)
    return out


@st.composite
def signal_file(draw: st.DrawFn) -> SignalFile:
    ids = draw(st.lists(ident, min_size=1, max_size=6, unique=True))
    sigs = [draw(signal(i)) for i in ids]
    scans = []
    for k in range(draw(st.integers(0, 2))):
        start = draw(day)
        scan: dict[str, object] = {
            "id": f"scan-{k}",
            "title": draw(title),
            "start": start.isoformat(),
            "end": (start + dt.timedelta(days=draw(st.integers(0, 200)))).isoformat(),
            "interpretations": draw(st.dictionaries(st.sampled_from(THEMES), title, max_size=2)),
        }
        if draw(st.booleans()):
            scan |= {"status": "adopted", "adopted_on": "2026-07-01", "adopted_by": "coord"}
            scan["snapshot"] = [
                {k2: s[k2] for k2 in ("themes", "scenarios", "horizon", "status")}
                | {"signal": s["id"], "title": s["title"]}
                | {k2: s[k2] for k2 in ("strength", "direction", "classification") if k2 in s}
                for s in sigs
            ]
        scans.append(scan)
    clusters = []
    if len(ids) >= 2 and draw(st.booleans()):
        clusters.append({"id": "c-1", "label": draw(title), "signals": ids[:2]})
    raw = {"format": "natrisk-signals/1", "signals": sigs, "scans": scans, "clusters": clusters}
    if draw(st.booleans()):
        raw["edition"] = "nl-example-2026"
    if draw(st.booleans()):
        raw["note"] = "illustrative"
    return SignalFile.model_validate(raw)


@pytest.mark.parametrize("suffix", FORMATS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=signal_file())
def test_every_format_round_trips_losslessly(suffix: str, doc: SignalFile) -> None:
    again = parse_upload(signals_bytes(doc, suffix), f"signals{suffix}")
    assert again == doc
    assert again.model_extra == doc.model_extra


@pytest.mark.parametrize("suffix", FORMATS)
def test_the_example_round_trips_in_every_format(suffix: str) -> None:
    doc = load_signals(EXAMPLE)
    assert parse_upload(signals_bytes(doc, suffix), f"x{suffix}") == doc


# ---------------------------------------------------------------------------- bad input

GOOD = """format: natrisk-signals/1
signals:
  - id: a
    title: Drones over the port
    observed: 2026-03-01
    themes: [cyber]
    horizon: short
"""


def problems(data: str | bytes, name: str = "s.yaml") -> list[tuple[str, str, str]]:
    raw = data.encode() if isinstance(data, str) else data
    with pytest.raises(WorkbookError) as caught:
        parse_upload(raw, name)
    return [(p.where, p.field, p.message) for p in caught.value.problems]


def test_an_empty_signal_names_its_missing_fields_at_its_line() -> None:
    found = problems("format: natrisk-signals/1\nsignals:\n  - {}\n")
    fields = {f for _, f, _ in found}
    assert fields == {"id", "title", "observed", "themes", "horizon"}
    assert all(w.startswith("line 3") for w, _, _ in found)


def test_a_ten_megabyte_description_is_refused_by_field() -> None:
    text = GOOD + "    description: " + "x" * 10_000_000 + "\n"
    [(where, field, message)] = problems(text)
    assert field == "description" and "20000" in message and "signal a" in where


def test_a_future_observed_date_is_refused_with_the_date() -> None:
    later = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    [(where, field, message)] = problems(GOOD.replace("2026-03-01", later))
    assert field == "observed" and later in message and where.startswith("line 5")


def test_lifecycle_states_need_what_they_imply() -> None:
    found = problems(
        GOOD
        + "    status: escalated\n  - {id: b, title: B, observed: 2026-01-01, themes: [cyber], horizon: long, status: dismissed, strength: weak, direction: stable}\n"
    )
    messages = " | ".join(m for *_, m in found)
    assert "needs a strength and a direction" in messages
    assert "needs a reason" in messages


def test_duplicate_ids_and_clusters_of_missing_signals_are_located() -> None:
    text = (
        GOOD + GOOD.split("signals:\n")[1] + "clusters:\n  - {id: c, label: C, signals: [a, zz]}\n"
    )
    found = problems(text)
    assert ("line 8, signal a", "id", "signal 'a' appears twice") in found
    assert any(f == "signals.1" and "'zz'" in m for _, f, m in found)


def test_csv_of_100000_signals_with_bad_rows_lists_every_bad_row() -> None:
    rows = ["id,title,observed,themes,horizon"]
    rows += [f"s{i},Signal {i},2026-02-01,cyber,short" for i in range(100_000)]
    rows[50_001] = "s50000,Signal,2026-02-30,cyber,short"  # no 30 February
    rows[99_001] = "s99000,,2026-02-01,cyber,sometime"
    found = problems("\n".join(rows) + "\n", "many.csv")
    assert {(w, f) for w, f, _ in found} == {
        ("line 50002, signal s50000", "observed"),
        ("line 99002, signal s99000", "title"),
        ("line 99002, signal s99000", "horizon"),
    }


def test_xlsx_problems_name_sheet_row_and_field() -> None:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Signals"
    ws.append(["id", "title", "observed", "themes", "horizon", "colour"])
    ws.append(["a", "A", "2026-01-01", "cyber", "short", None])
    ws.append(["b", "B", "2026-01-01", "cyber", "next week", "red"])
    buf = io.BytesIO()
    book.save(buf)
    found = problems(buf.getvalue(), "s.xlsx")
    assert ("sheet Signals, row 1", "colour") in {(w, f) for w, f, _ in found}


def test_xlsx_horizon_problem_is_located_by_row() -> None:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Signals"
    ws.append(["id", "title", "observed", "themes", "horizon"])
    ws.append(["a", "A", "2026-01-01", "cyber", "short"])
    ws.append(["b", "B", "2026-01-01", "cyber", "next week"])
    buf = io.BytesIO()
    book.save(buf)
    [(where, field, _)] = problems(buf.getvalue(), "s.xlsx")
    assert (where, field) == ("sheet Signals, row 3, signal b", "horizon")


def test_not_a_signal_file() -> None:
    assert problems("- 1\n- 2\n")[0][2].startswith("a signal file is a mapping")
    assert "unknown format" in problems("format: natrisk/1\n")[0][2]
    assert problems("x", "s.txt")[0][2].startswith("a signal file is")


def test_csv_text_of_the_example_has_one_table_column() -> None:
    text = csv_text(load_signals(EXAMPLE))
    assert text.splitlines()[0].startswith("table,key,value,id,title")
