"""Clearance: what a user may not see is absent, withheld, or answered as if it did not exist."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_support import (
    DEPV,
    OPENBAAR,
    STGCONF,
    STGGEHEIM,
    TOP,
    actor_of,
    classified_doc,
    grant,
    import_book,
    load_doc,
    new_actor,
    small_doc,
    view,
)

from natrisk.security import level_index
from natrisk.services import editing, workspace
from natrisk.services.access import NotFound, edition_for, visible_editions
from natrisk.store.database import Database

pytestmark = pytest.mark.usefixtures("fast_passwords")

WITHHELD = "[withheld: above your clearance]"


@pytest.fixture
def public_edition(database: Database, tmp_path: Path) -> tuple[Database, int]:
    """An Openbaar edition with a Stg. Confidentieel scenario and a Stg. Geheim rationale."""
    doc = classified_doc("public-2026")
    del doc["edition"]["classification"]
    path, book = load_doc(doc, tmp_path)
    admin = new_actor(database, "admin", clearance=TOP, admin=True)
    edition_id = import_book(database, admin, book, path)
    for name, level in (("dora", DEPV), ("pim", OPENBAAR), ("stan", STGCONF)):
        new_actor(database, name, clearance=level)
        grant(database, admin, edition_id, name, "reader")
    return database, edition_id


def test_scenario_above_clearance_is_absent(public_edition: tuple[Database, int]) -> None:
    database, edition_id = public_edition
    dora = actor_of(database, "dora")  # Departementaal Vertrouwelijk
    book, notes = view(database, dora, edition_id)

    assert [s.id for s in book.scenarios] == ["flood-coast", "cyber-grid"]
    assert notes == {"rationales_withheld": ["flood-coast/5.1"]}  # no hint of the pandemic
    assert "Pandemic" not in book.model_dump_json()

    stan = actor_of(database, "stan")  # Staatsgeheim Confidentieel: sees the scenario
    book, notes = view(database, stan, edition_id)
    assert [s.id for s in book.scenarios] == ["flood-coast", "cyber-grid", "pandemic"]
    assert notes == {"rationales_withheld": ["flood-coast/5.1"]}
    assert book.scenarios[2].classification == STGCONF


def test_rationale_above_clearance_is_withheld_and_its_sources_empty(
    public_edition: tuple[Database, int],
) -> None:
    database, edition_id = public_edition
    stan = actor_of(database, "stan")  # Stg. Confidentieel < Stg. Geheim of the 5.1 rationale
    book, notes = view(database, stan, edition_id)

    score = book.scenarios[0].impacts["5.1"]
    assert score.klass == "B-C"  # the score itself is not classified
    assert score.rationale == WITHHELD
    assert score.sources == []
    assert score.classification is None  # the level of the withheld text is not shown either
    assert "Evacuation plan details" not in book.model_dump_json()
    assert "internal memo 12" not in book.model_dump_json()
    assert notes["rationales_withheld"] == ["flood-coast/5.1"]

    # the Departementaal Vertrouwelijk rationale is within Stan's clearance
    dep = book.scenarios[1].impacts["5.3"]
    assert dep.rationale == "Departmental view."
    assert dep.classification == DEPV


def test_openbaar_user_sees_only_openbaar(public_edition: tuple[Database, int]) -> None:
    database, edition_id = public_edition
    pim = actor_of(database, "pim")
    book, notes = view(database, pim, edition_id)
    assert [s.id for s in book.scenarios] == ["flood-coast", "cyber-grid"]
    assert book.scenarios[1].impacts["5.3"].rationale == WITHHELD
    assert notes == {"rationales_withheld": ["flood-coast/5.1", "cyber-grid/5.3"]}
    text = book.model_dump_json()
    for secret in ("Evacuation plan details", "Departmental view", "internal memo", "Pandemic"):
        assert secret not in text
    for level in (DEPV, STGCONF, STGGEHEIM):
        assert level not in text


def test_classified_edition_is_not_found_like_a_missing_one(
    database: Database, tmp_path: Path
) -> None:
    path, book = load_doc(small_doc("secret-2026", classification=STGCONF), tmp_path)
    admin = new_actor(database, "admin", clearance=TOP, admin=True)
    edition_id = import_book(database, admin, book, path)
    new_actor(database, "dora", clearance=DEPV)
    grant(database, admin, edition_id, "dora", "analyst")
    dora = actor_of(database, "dora")
    # an administrator of the same organisation without the clearance is refused the same way
    low_admin = new_actor(database, "lowadmin", clearance=DEPV, admin=True)
    missing = edition_id + 1000

    with database.session() as s:
        for who in (dora, low_admin):
            with pytest.raises(NotFound) as hidden:
                edition_for(s, who, edition_id)
            with pytest.raises(NotFound) as absent:
                edition_for(s, who, missing)
            assert type(hidden.value) is type(absent.value)
            assert hidden.value.status == absent.value.status == 404
            assert str(hidden.value).replace(str(edition_id), "N") == str(absent.value).replace(
                str(missing), "N"
            )
            assert STGCONF not in str(hidden.value)
            assert edition_id not in [e.id for e, _ in visible_editions(s, who)]
        # writing is refused the same way as reading
        with pytest.raises(NotFound):
            editing.set_score(s, dora, edition_id, "flood-coast", "5.1", "C", 1, "try")

    with database.session() as s:  # the cleared administrator does see it
        edition, role = edition_for(s, admin, edition_id)
        assert role == "administrator"
        assert edition.classification == level_index(STGCONF)


def test_scenario_above_clearance_cannot_be_written_or_read_by_id(
    public_edition: tuple[Database, int],
) -> None:
    database, edition_id = public_edition
    admin = actor_of(database, "admin")
    grant(database, admin, edition_id, "dora", "analyst")
    dora = actor_of(database, "dora")
    with database.session() as s:
        with pytest.raises(NotFound) as hidden:
            editing.set_score(s, dora, edition_id, "pandemic", "5.1", "E", 1, "try")
        with pytest.raises(NotFound) as absent:
            editing.set_score(s, dora, edition_id, "no-such-scenario", "5.1", "E", 1, "try")
        assert str(hidden.value).replace("pandemic", "S") == str(absent.value).replace(
            "no-such-scenario", "S"
        )
        with pytest.raises(NotFound):
            editing.score_history(s, dora, edition_id, "pandemic", "5.1")


def test_user_cannot_classify_above_own_clearance(public_edition: tuple[Database, int]) -> None:
    from natrisk.errors import InputError

    database, edition_id = public_edition
    admin = actor_of(database, "admin")
    grant(database, admin, edition_id, "dora", "analyst")
    dora = actor_of(database, "dora")
    with database.session() as s, pytest.raises(InputError):
        editing.set_score(
            s,
            dora,
            edition_id,
            "cyber-grid",
            "5.1",
            {"class": "C", "rationale": "x", "classification": STGGEHEIM},
            1,
            "try",
        )


def test_highest_classification_counts_only_what_the_viewer_sees(
    public_edition: tuple[Database, int],
) -> None:
    database, edition_id = public_edition
    with database.session() as s:
        edition = s.get(workspace.Edition, edition_id)
        assert workspace.highest_classification(s, edition, level_index(OPENBAAR)) == 0
        assert workspace.highest_classification(s, edition, level_index(DEPV)) == 1
        assert workspace.highest_classification(s, edition, level_index(STGCONF)) == 2
        assert workspace.highest_classification(s, edition, TOP) == 3
