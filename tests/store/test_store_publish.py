"""The public edition: only Openbaar material, every byte searched for planted markers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from store_support import (
    DEPV,
    STGGEHEIM,
    TOP,
    actor_of,
    edition_row,
    grant,
    import_book,
    load_doc,
    new_actor,
    small_doc,
)

from natrisk.io.workbook import load_workbook
from natrisk.services import workspace
from natrisk.services.access import Actor, Conflict, Forbidden
from natrisk.services.publishing import publish
from natrisk.store.database import Database
from natrisk.store.models import AuditEntry

pytestmark = pytest.mark.usefixtures("fast_passwords", "fresh_caches")

SCENARIO_MARKER = "Qzx7SecretScenarioMarker"
RATIONALE_MARKER = "Wkv3ClassifiedRationaleMarker"
WITHHELD = "[withheld: above your clearance]"


def _doc() -> dict:  # type: ignore[type-arg]
    doc = small_doc("public-2026")
    doc["scenarios"].append(
        {
            "id": "qzx7-secret-scenario",
            "title": f"Sabotage plan {SCENARIO_MARKER}",
            "theme": "critical-infrastructure",
            "malicious": True,
            "description": f"Details of {SCENARIO_MARKER} that must never be published.",
            "assumptions": f"Assumes {SCENARIO_MARKER}.",
            "classification": STGGEHEIM,
            "likelihood": {"class": "C", "rationale": f"Intelligence {SCENARIO_MARKER}"},
            "impacts": {
                "2.1": {"quantity": {"min": 50, "max": 500}, "rationale": SCENARIO_MARKER},
                "3.1": {"min": 1.0e9, "max": 5.0e9},
                "5.1": "E",
            },
        }
    )
    doc["scenarios"][0]["impacts"]["5.1"] = {
        "class": "B-C",
        "rationale": f"Evacuation capacity per {RATIONALE_MARKER}.",
        "sources": [f"Internal report {RATIONALE_MARKER}"],
        "classification": DEPV,
    }
    return doc


def _adopted(database: Database, tmp_path: Path) -> tuple[Actor, int]:
    path, book = load_doc(_doc(), tmp_path)
    coord = new_actor(database, "carla", clearance=TOP)
    edition_id = import_book(database, coord, book, path)
    with database.session() as s:
        workspace.transition(s, coord, edition_id, "review")
        workspace.transition(s, coord, edition_id, "adopted")
    return coord, edition_id


# WeasyPrint warns when the system lacks libharfbuzz-subset0 (not in the Makefile's DEBS);
# that is about font subsetting, not about what the files contain.
@pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")
def test_public_edition_holds_no_classified_material(database: Database, tmp_path: Path) -> None:
    coord, edition_id = _adopted(database, tmp_path)
    out = tmp_path / "public"

    with database.session() as s:
        files = publish(s, coord, edition_id, out, samples=200)

    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(p.name for p in files)
    for expected in ("edition.yaml", "WITHHELD.md", "results.json", "risk-diagram.svg"):
        assert expected in names
    assert {n for n in names if n.endswith(".pdf")} == {
        "risk-picture-public-2026-en.pdf",
        "risk-picture-public-2026-nl.pdf",
    }
    assert {n for n in names if n.endswith(".html")} == {
        "risk-picture-public-2026-en.html",
        "risk-picture-public-2026-nl.html",
    }

    searched = 0
    for file in out.iterdir():
        if file.suffix == ".pdf":  # compressed text: the HTML it is made from is searched
            assert file.read_bytes().startswith(b"%PDF")
            continue
        data = file.read_bytes().lower()
        searched += 1
        for marker in (SCENARIO_MARKER, RATIONALE_MARKER, "qzx7-secret-scenario"):
            assert marker.lower().encode() not in data, f"{marker} leaked into {file.name}"
        for level in (STGGEHEIM, DEPV):
            assert level.lower().encode() not in data, f"{level!r} named in {file.name}"
    assert searched >= 6

    notice = (out / "WITHHELD.md").read_text(encoding="utf-8")
    assert "flood-coast/5.1" in notice
    assert "above Openbaar" in notice  # says that scenarios were withheld

    public = load_workbook(out / "edition.yaml")
    assert [s.id for s in public.scenarios] == ["flood-coast", "cyber-grid", "pandemic"]
    withheld = public.scenarios[0].impacts["5.1"]
    assert (withheld.klass, withheld.rationale, withheld.sources) == ("B-C", WITHHELD, [])
    assert public.edition.classification is None
    assert all(s.classification is None for s in public.scenarios)
    raw = yaml.safe_load((out / "edition.yaml").read_text(encoding="utf-8"))
    assert "classification" not in json.dumps(raw)

    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert sorted(r["id"] for r in results["scenarios"]) == [
        "cyber-grid",
        "flood-coast",
        "pandemic",
    ]
    assert results["withheld"] == {
        "scenarios_withheld": True,
        "rationales_withheld": ["flood-coast/5.1"],
    }

    row = edition_row(database, edition_id)
    assert row is not None and row.status == "published"
    with database.session() as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert last is not None and (last.old, last.new) == ("adopted", "published")


def test_only_adopted_public_editions_are_published(database: Database, tmp_path: Path) -> None:
    path, book = load_doc(_doc(), tmp_path)
    coord = new_actor(database, "carla", clearance=TOP)
    draft = import_book(database, coord, book, path)
    out = tmp_path / "never"
    with database.session() as s, pytest.raises(Conflict):
        publish(s, coord, draft, out, samples=50)

    new_actor(database, "rob", clearance=TOP)
    grant(database, coord, draft, "rob", "analyst")
    with database.session() as s:
        workspace.transition(s, coord, draft, "review")
        workspace.transition(s, coord, draft, "adopted")
    rob = actor_of(database, "rob")
    with database.session() as s, pytest.raises(Forbidden):
        publish(s, rob, draft, out, samples=50)

    secret = small_doc("secret-2026", classification=DEPV)
    path2, book2 = load_doc(secret, tmp_path, "secret.yaml")
    classified = import_book(database, coord, book2, path2)
    with database.session() as s:
        workspace.transition(s, coord, classified, "review")
        workspace.transition(s, coord, classified, "adopted")
    with database.session() as s, pytest.raises(Conflict) as caught:
        publish(s, coord, classified, out, samples=50)
    assert "classified" in str(caught.value)

    assert not out.exists()
    for edition_id in (draft, classified):
        row = edition_row(database, edition_id)
        assert row is not None and row.status == "adopted"
