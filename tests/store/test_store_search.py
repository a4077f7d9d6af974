"""Full-text search on real SQLite (FTS5) and real PostgreSQL (tsvector): what is found, that
the index follows every write, and that nothing above a clearance or outside a role is shown
or counted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import select
from store_support import (
    DEPV,
    OPENBAAR,
    ROOT,
    STGGEHEIM,
    grant,
    import_book,
    import_example,
    load_doc,
    new_actor,
    small_doc,
)

from natrisk.errors import InputError
from natrisk.io.plan import load_plan
from natrisk.services import plan_store, scenarios, search
from natrisk.services.access import Actor
from natrisk.store.database import MIGRATIONS, Database
from natrisk.store.fulltext import MARK_END, MARK_START
from natrisk.store.models import SearchEntry

pytestmark = pytest.mark.usefixtures("fast_passwords")
PLAN = ROOT / "examples" / "nl-plan-2026.yaml"
SECRET_WORD = "zyxquorblat"  # in a scenario classified Staatsgeheim Geheim only
DV_WORD = "plimsoquark"  # in a measure classified Departementaal Vertrouwelijk only


def find(db: Database, actor: Actor, text: str, **kw: Any) -> search.Results:
    with db.session(write=False) as s:
        return search.search(s, actor, text, **kw)


def slugs(results: search.Results) -> list[str]:
    return [h.link.rsplit("/", 1)[-1] for h in results.hits]


@pytest.fixture
def world(database: Database) -> dict[str, Any]:
    """The example edition and plan; a public reader and an outsider of another organisation."""
    admin = new_actor(database, "admin", admin=True)
    edition = import_example(database, admin)
    with database.session() as s:
        plan = plan_store.import_plan(s, admin, edition, load_plan(PLAN)).id
    reader = new_actor(database, "reader", clearance=OPENBAAR)
    grant(database, admin, edition, "reader", "reader")
    analyst = new_actor(database, "analyst", clearance=DEPV)
    grant(database, admin, edition, "analyst", "analyst")
    outsider = new_actor(database, "outsider", organisation="org2", admin=True)
    return {
        "db": database,
        "admin": admin,
        "edition": edition,
        "plan": plan,
        "reader": reader,
        "analyst": analyst,
        "outsider": outsider,
    }


def test_finds_scenarios_measures_and_capabilities_by_their_words(world: dict[str, Any]) -> None:
    db, reader = world["db"], world["reader"]
    found = find(db, reader, "flood")
    assert {"coastal-flood", "river-flood"} <= set(slugs(found))
    assert found.counts["scenario"] >= 2 and found.counts["measure"] >= 1
    assert found.total == sum(found.counts.values())
    # stems and case: "Floods" finds "flood"; a word of a description is enough
    assert "coastal-flood" in slugs(find(db, reader, "FLOODS"))
    assert "coastal-flood" in slugs(find(db, reader, "densely populated polder"))
    # a prefix of the last word, as one types
    assert "coastal-flood" in slugs(find(db, reader, "populated pol"))
    capabilities = find(db, reader, "evacuation", kind="capability")
    assert "evacuation-planning" in slugs(capabilities)
    assert all(h.kind == "capability" for h in capabilities.hits)
    assert "evacuation-planning" in slugs(find(db, reader, "evacuatieplanning"))  # Dutch title
    measures = find(db, reader, "readiness armed forces", kind="measure")
    assert slugs(measures)[0] == "m-01"
    assert measures.hits[0].link == f"/plans/{world['plan']}/measures/m-01"
    # every word must be present
    assert find(db, reader, "flood readiness").total == 0


def test_snippets_mark_the_matched_words(world: dict[str, Any]) -> None:
    hit = next(h for h in find(world["db"], world["reader"], "polder").hits if "coastal" in h.link)
    assert f"{MARK_START}polder{MARK_END}" in hit.snippet.lower()
    assert hit.edition_title.startswith("Illustrative national risk picture")


def test_the_index_follows_every_write(world: dict[str, Any]) -> None:
    db, admin, edition, reader = world["db"], world["admin"], world["edition"], world["reader"]
    with db.session() as s:
        scenarios.create(
            s,
            admin,
            edition,
            {
                "id": "glacier-melt",
                "title": "Glacier melt",
                "theme": "climate-and-natural-disasters",
                "likelihood": {"class": "B"},
                "description": "Meltwater from a far glacier raises the rivers (word: quillowisp).",
            },
        )
    assert slugs(find(db, reader, "quillowisp")) == ["glacier-melt"]
    with db.session() as s:
        rec = scenarios.update(
            s, admin, edition, "glacier-melt", {"description": "Now it says brambleton."}, 1
        )
        version = rec.version
    assert find(db, reader, "quillowisp").total == 0
    assert slugs(find(db, reader, "brambleton")) == ["glacier-melt"]
    with db.session() as s:
        version = scenarios.set_withdrawn(s, admin, edition, "glacier-melt", True, version).version
    assert find(db, reader, "brambleton").total == 0  # withdrawn: out of the picture
    with db.session() as s:
        scenarios.set_withdrawn(s, admin, edition, "glacier-melt", False, version)
    assert slugs(find(db, reader, "brambleton")) == ["glacier-melt"]
    # a measure's progress note is found as soon as it is written
    with db.session() as s:
        plan = world["plan"]
        m = plan_store.measure_for(s, admin, plan_store.plan_for(s, admin, plan), "m-01")
        plan_store.progress(
            s,
            admin,
            plan,
            "m-01",
            {"date": "2026-01-15", "status": "running", "note": "Drill at Oirschot: vlekkermoes"},
            {},
            [],
            m.version,
        )
    assert slugs(find(db, reader, "vlekkermoes")) == ["m-01"]


def test_a_failed_write_leaves_the_index_as_it_was(world: dict[str, Any]) -> None:
    db, admin, edition = world["db"], world["admin"], world["edition"]
    with pytest.raises(InputError), db.session() as s:
        scenarios.create(
            s,
            admin,
            edition,
            {
                "id": "ghost",
                "title": "Ghost",
                "theme": "cyber",
                "likelihood": {"class": "B"},
                "description": "wraithlong",
            },
        )
        raise InputError("then the request fails")
    assert find(db, admin, "wraithlong").total == 0


def test_nothing_above_clearance_is_shown_or_counted(world: dict[str, Any], tmp_path: Path) -> None:
    db, admin, reader, analyst = world["db"], world["admin"], world["reader"], world["analyst"]
    doc = small_doc("secret-2026")
    doc["scenarios"][0]["classification"] = STGGEHEIM
    doc["scenarios"][0]["description"] = f"Only for the cleared: {SECRET_WORD}."
    doc["scenarios"][1]["description"] = f"Public text naming {SECRET_WORD}s too."
    _, book = load_doc(doc, tmp_path)
    other = import_book(db, admin, book)
    grant(db, admin, other, "reader", "reader")
    grant(db, admin, other, "analyst", "analyst")
    with db.session() as s:
        sp = plan_store.plan_for(s, admin, world["plan"])
        plan_store.create_measure(
            s,
            admin,
            world["plan"],
            {
                "id": "m-dv",
                "title": f"Departmental measure {DV_WORD}",
                "line": plan_store.measure_for(s, admin, sp, "m-01").line,
                "owner": "def",
                "phase": "preparation",
                "classification": DEPV,
            },
        )
    mine = find(db, admin, SECRET_WORD)
    assert sorted(slugs(mine)) == ["cyber-grid", "flood-coast"]
    theirs = find(db, reader, SECRET_WORD)
    assert slugs(theirs) == ["cyber-grid"]
    assert theirs.total == 1 and theirs.counts["scenario"] == 1 and theirs.pages == 1
    assert SECRET_WORD not in " ".join(h.snippet for h in theirs.hits if h.link.endswith("coast"))
    assert find(db, reader, DV_WORD).total == 0
    assert find(db, reader, DV_WORD).counts == dict.fromkeys(search.KINDS, 0)
    assert slugs(find(db, analyst, DV_WORD)) == ["m-dv"]
    assert find(db, analyst, SECRET_WORD).total == 1  # cleared for DV, not for the secret


def test_a_classified_edition_and_a_missing_role_hide_everything(world: dict[str, Any]) -> None:
    db, admin = world["db"], world["admin"]
    stranger = new_actor(db, "stranger", clearance=STGGEHEIM)  # same organisation, no role
    assert find(db, stranger, "flood").total == 0
    assert find(db, world["outsider"], "flood").total == 0  # another organisation's admin
    assert find(db, admin, "flood").total >= 2  # an administrator of its own organisation
    with db.session() as s:
        from natrisk.store.models import Edition

        edition = s.get(Edition, world["edition"])
        assert edition is not None
        edition.classification = 1  # Departementaal Vertrouwelijk, above the reader
    assert find(db, world["reader"], "flood").total == 0
    assert find(db, world["analyst"], "flood").total >= 2


def test_pages_hold_every_hit_once(database: Database, tmp_path: Path) -> None:
    admin = new_actor(database, "admin", admin=True)
    doc = small_doc("many-2026")
    template = doc["scenarios"][0]
    doc["scenarios"] = [
        {**template, "id": f"s-{i:02d}", "title": f"Scenario {i}", "description": "A tarnwick."}
        for i in range(45)
    ]
    _, book = load_doc(doc, tmp_path)
    import_book(database, admin, book)
    pages = [find(database, admin, "tarnwick", page=p) for p in (1, 2, 3, 4)]
    assert [len(p.hits) for p in pages] == [20, 20, 5, 0]
    assert all(p.total == 45 and p.pages == 3 for p in pages)
    seen = [slug for p in pages for slug in slugs(p)]
    assert sorted(seen) == [f"s-{i:02d}" for i in range(45)]


@pytest.mark.parametrize(
    "text",
    ['"', "*", "flood OR", 'NEAR("a" "b")', "a:*", "& | ! ( )", "col:flood", "-flood", "'", "\\"],
)
def test_query_syntax_is_never_read_as_syntax(world: dict[str, Any], text: str) -> None:
    found = find(world["db"], world["reader"], text)  # no error, whatever the characters
    assert found.total == len(found.hits) or found.total > search.PER_PAGE


def test_bad_input_is_refused_with_a_message(world: dict[str, Any]) -> None:
    db, reader = world["db"], world["reader"]
    with pytest.raises(InputError, match="too long"):
        find(db, reader, "x" * 201)
    with pytest.raises(InputError, match="unknown kind 'planet'"):
        find(db, reader, "flood", kind="planet")
    with pytest.raises(InputError, match="page"):
        find(db, reader, "flood", page=0)
    assert find(db, reader, "   ").total == 0
    assert find(db, reader, "?!…").hits == []


def test_the_migration_fills_the_index_of_what_is_stored(world: dict[str, Any]) -> None:
    db = world["db"]
    with db.session(write=False) as s:
        before = sorted(
            (e.key, e.title, e.body, e.classification) for e in s.scalars(select(SearchEntry))
        )
    assert len(before) > 38
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
        command.upgrade(cfg, "head")
    with db.session(write=False) as s:
        after = sorted(
            (e.key, e.title, e.body, e.classification) for e in s.scalars(select(SearchEntry))
        )
    assert after == before  # a rebuild makes exactly what the writes made
    assert "coastal-flood" in slugs(find(db, world["reader"], "polder"))


def test_signals_are_found_within_clearance(world: dict[str, Any]) -> None:
    from natrisk.services import signals

    db, admin, edition = world["db"], world["admin"], world["edition"]
    with db.session() as s:
        for title, level in (("Drones over the Eemshaven", None), ("Drones near a plant", DEPV)):
            signals.submit(
                s,
                admin,
                edition,
                {
                    "title": title,
                    "description": "Sightings of drones, reported by the harbour master.",
                    "observed": "2026-05-01",
                    "themes": ["cyber"],
                    "horizon": "short",
                    **({"classification": level} if level else {}),
                },
            )
    found = find(db, world["reader"], "drones", kind="signal")
    assert [h.title for h in found.hits] == ["Drones over the Eemshaven"]
    assert found.counts["signal"] == 1 and found.hits[0].link.startswith(f"/editions/{edition}/")
    assert find(db, world["analyst"], "drones harbour").counts["signal"] == 2
    assert find(db, world["outsider"], "drones").total == 0


def test_a_registered_kind_is_indexed_and_narrowed_to_its_roles(world: dict[str, Any]) -> None:
    """A kind is one registration; ``roles`` keeps it from the other roles on the edition."""
    db, admin = world["db"], world["admin"]

    def notes(row: Any, get: Any) -> list[search.Entry]:
        return [
            search.Entry(
                "analyst-note",
                f"notes:{row.id}",
                row.edition_id,
                row.classification,
                f"Note on {row.title}",
                f"/notes/{row.id}",
                row.assumptions,
            )
        ]

    kind = search.Kind(
        "analyst-note",
        "Notes",
        "scenarios",
        ("id", "edition_id", "title", "assumptions", "classification"),
        notes,
        roles=frozenset({"analyst", "coordinator", "administrator"}),
    )
    search.register(kind)
    try:
        with db.engine.begin() as conn:
            assert search.rebuild(conn, ["analyst-note"]) >= 38
        found = find(db, world["analyst"], "flood", kind="analyst-note")
        assert found.total >= 2 and all(h.link.startswith("/notes/") for h in found.hits)
        assert find(db, admin, "flood", kind="analyst-note").total == found.total
        reader = find(db, world["reader"], "flood")
        assert reader.counts["analyst-note"] == 0  # a reader: not one of the kind's roles
        assert reader.counts["scenario"] >= 2
    finally:
        search.KINDS.pop("analyst-note")
