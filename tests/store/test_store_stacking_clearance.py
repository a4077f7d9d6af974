"""How threats combine, under clearance: a link, variant, compound or regional mapping that
names a scenario above the reader's clearance is absent from what they see and export,
with no trace of the hidden scenario's id (security: anything above a clearance is absent).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from store_support import OPENBAAR, STGGEHEIM, import_book, load_doc, new_actor, small_doc

from natrisk.io.workbook import dump_workbook
from natrisk.services import workspace
from natrisk.services.access import edition_for
from natrisk.store.database import Database

pytestmark = pytest.mark.usefixtures("fast_passwords")


def _doc() -> dict:  # type: ignore[type-arg]
    doc = small_doc("stacked-2026")
    ids = [s["id"] for s in doc["scenarios"]]
    secret = ids[2]
    doc["scenarios"][2]["classification"] = STGGEHEIM
    doc["links"] = [
        {"from": ids[0], "to": ids[1], "probability": 0.2},
        {"from": ids[0], "to": secret, "probability": "10-50%"},
        {"from": secret, "to": ids[1], "probability": 0.5},
    ]
    doc["risks"] = [{"id": "r1", "title": "A risk", "variants": [ids[1], secret]}]
    doc["compounds"] = [
        {"id": "c1", "title": "Together", "scenarios": [ids[0], secret], "likelihood": "A"},
        {"id": "c2", "title": "Public pair", "scenarios": [ids[0], ids[1]], "likelihood": "A"},
    ]
    return doc


def test_hidden_scenarios_leave_no_trace_in_the_stacking_sections(
    database: Database, tmp_path: Path
) -> None:
    doc = _doc()
    secret = doc["scenarios"][2]["id"]
    path, book = load_doc(doc, tmp_path)
    admin = new_actor(database, "admin", admin=True)
    reader = new_actor(database, "reader", clearance=OPENBAAR)
    edition_id = import_book(database, admin, book, path)
    with database.session() as s:
        from natrisk.services.accounts import set_role

        set_role(s, admin, edition_id, "reader", "reader")
    with database.session() as s:
        edition, _ = edition_for(s, reader, edition_id)
        view, _ = workspace.workbook_view(s, edition, reader.clearance)
        full, _ = workspace.workbook_view(s, edition, admin.clearance)
    text = json.dumps(dump_workbook(view))
    assert secret not in text
    data = dump_workbook(view)
    assert len(data["links"]) == 1
    assert data["risks"][0]["variants"] in (
        [doc["scenarios"][1]["id"]],
        [{"scenario": doc["scenarios"][1]["id"]}],
    )
    assert [c["id"] for c in data["compounds"]] == ["c2"]
    assert len(dump_workbook(full)["links"]) == 3  # the cleared user sees all of it
