"""The stored editions' stacking views (services/stacking_views.py) on SQLite and PostgreSQL:
which links count as "not shown", which regional editions roll up, and the cache following
the edition's version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from store_support import (
    EXAMPLE,
    OPENBAAR,
    STGGEHEIM,
    grant,
    import_book,
    import_example,
    load_doc,
    new_actor,
)

from natrisk.errors import InputError
from natrisk.io.workbook import dump_workbook, load_workbook, parse_workbook
from natrisk.services.access import edition_for, scenario_for
from natrisk.services.scenarios import set_withdrawn
from natrisk.services.stacking_views import cascades_for, rollup_for
from natrisk.store.database import Database

pytestmark = pytest.mark.usefixtures("fast_passwords", "fresh_caches")
REGIONS = sorted((EXAMPLE.parent / "regions").glob("*.yaml"))
BLACKOUT = "national-power-blackout"


def _raw() -> dict[str, Any]:
    return dump_workbook(load_workbook(EXAMPLE))


def test_links_of_a_withdrawn_scenario_are_out_of_the_picture_not_hidden(
    database: Database,
) -> None:
    admin = new_actor(database, "admin", admin=True)
    edition = import_example(database, admin)
    with database.session() as s:
        before = cascades_for(s, admin, edition, samples=200)
        ed, _ = edition_for(s, admin, edition)
        rec_version = scenario_for(s, admin, ed, "drinking-water-disruption").version
    with database.session() as s:
        set_withdrawn(s, admin, edition, "drinking-water-disruption", True, rec_version, "test")
    with database.session() as s:
        after = cascades_for(s, admin, edition, samples=200)
    assert before.hidden_links == after.hidden_links == 0
    gone = [lk for lk in before.links if "drinking-water-disruption" in (lk["from"], lk["to"])]
    assert gone and len(after.links) == len(before.links) - len(gone)
    assert after.scenario("drinking-water-disruption") is None
    effects = {e["id"] for e in after.scenario(BLACKOUT)["effects"]}  # type: ignore[index]
    assert "drinking-water-disruption" not in effects


def test_a_hidden_scenario_takes_its_links_and_their_contribution(
    database: Database, tmp_path: Path
) -> None:
    raw = _raw()
    raw["scenarios"] = [
        {**s, "classification": STGGEHEIM} if s["id"] == "payment-system-outage" else s
        for s in raw["scenarios"]
    ]
    touching = [lk for lk in raw["links"] if "payment-system-outage" in (lk["from"], lk["to"])]
    path, book = load_doc(raw, tmp_path)
    admin = new_actor(database, "admin", admin=True)
    reader = new_actor(database, "reader", clearance=OPENBAAR)
    edition = import_book(database, admin, book, EXAMPLE)
    grant(database, admin, edition, "reader", "reader")
    with database.session() as s:
        seen = cascades_for(s, reader, edition, samples=500)
        full = cascades_for(s, admin, edition, samples=500)
    assert seen.hidden_links == len(touching) > 0 and full.hidden_links == 0
    text = str(seen.to_json())
    assert "payment-system-outage" not in text
    mine = seen.scenario(BLACKOUT)
    theirs = full.scenario(BLACKOUT)
    assert mine is not None and theirs is not None
    assert mine["cascaded_mean"] < theirs["cascaded_mean"]  # the payments' share is gone
    with pytest.raises(InputError, match="at most 20,000"), database.session() as s:
        cascades_for(s, reader, edition, samples=20_001)


def test_which_regional_editions_roll_up(database: Database, tmp_path: Path) -> None:
    admin = new_actor(database, "admin", admin=True)
    reader = new_actor(database, "reader", clearance=OPENBAAR)
    national = import_example(database, admin)
    grant(database, admin, national, "reader", "reader")
    regions = {p.stem: import_book(database, admin, load_workbook(p), p) for p in REGIONS}
    for stem in ("zeeland", "utrecht"):  # the reader has no role on rijnmond
        grant(database, admin, regions[stem], "reader", "reader")
    # a regional framework that changes a national criterion: left out, and named
    lines = (EXAMPLE.parent / "frameworks" / "nl-2023-regional.yaml").read_text("utf-8")
    lines = lines.replace("id: nl-2023-regional", "id: nl-2023-changed", 1).splitlines(True)
    at = next(i for i, line in enumerate(lines) if line.startswith("- id: '2.1'"))
    at = next(i for i in range(at, len(lines)) if "A: 1" in lines[i])
    lines[at] = lines[at].replace("A: 1", "A: 2")
    (tmp_path / "fw.yaml").write_text("".join(lines), encoding="utf-8")
    changed = dump_workbook(load_workbook(REGIONS[2]))
    changed["edition"]["id"] = "region-changed-2026"
    changed["edition"]["framework"] = "fw.yaml"
    changed["region"]["id"] = "changed"
    book = parse_workbook(changed, {}, "changed")
    changed_id = import_book(database, admin, book, tmp_path / "book.yaml")
    with database.session() as s:
        seen = rollup_for(s, reader, national)
        full = rollup_for(s, admin, national)
        own = rollup_for(s, admin, regions["zeeland"])
    assert {r["id"] for r in seen["regions"]} == {"zeeland", "utrecht"}
    assert {r["id"] for r in full["regions"]} == {"rijnmond", "utrecht", "zeeland"}
    assert [e["edition_id"] for e in full["left_out"]] == [changed_id]
    assert "2.1" in full["left_out"][0]["reason"]
    assert own["regions"] == [] and own["rows"] == []
