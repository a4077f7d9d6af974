"""Import and export between workbook files and the database: field for field, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_support import (
    EXAMPLE,
    STGGEHEIM,
    TOP,
    classified_doc,
    counts,
    import_book,
    import_example,
    load_doc,
    new_actor,
    small_doc,
    view,
)

from natrisk.errors import WorkbookError
from natrisk.io.workbook import load_workbook, write_workbook
from natrisk.services import workspace
from natrisk.services.access import Conflict
from natrisk.store.database import Database

pytestmark = pytest.mark.usefixtures("fast_passwords")

EMPTY = {"editions": 0, "scenarios": 0, "scores": 0, "memberships": 0, "audit": 0, "frameworks": 0}


def test_example_round_trips_field_for_field(database: Database) -> None:
    alice = new_actor(database, "alice", clearance=TOP, admin=True)
    original = load_workbook(EXAMPLE)
    edition_id = import_example(database, alice)

    exported, notes = view(database, alice, edition_id)

    assert exported == original
    assert notes == {"rationales_withheld": []}
    # and the stored rows hold the whole edition
    n_scores = sum(len(s.impacts) for s in original.scenarios)
    assert counts(database) == {
        "editions": 1,
        "scenarios": len(original.scenarios),
        "scores": n_scores,
        "memberships": 1,  # the importer coordinates the new edition
        "audit": 1,  # one entry for the import
        "frameworks": 1,
    }


def test_classified_workbook_round_trips_for_a_fully_cleared_user(
    database: Database, tmp_path: Path
) -> None:
    path, original = load_doc(classified_doc(), tmp_path)
    assert original.edition.classification is not None  # the document really is classified
    assert original.scenarios[0].impacts["5.1"].classification == STGGEHEIM
    alice = new_actor(database, "alice", clearance=TOP, admin=True)
    edition_id = import_book(database, alice, original, path)

    exported, notes = view(database, alice, edition_id)

    assert exported == original
    assert notes == {"rationales_withheld": []}


@pytest.mark.parametrize("suffix", [".yaml", ".json", ".xlsx"])
def test_export_to_file_then_import_gives_the_same_edition(
    database: Database, tmp_path: Path, suffix: str
) -> None:
    path, original = load_doc(classified_doc(), tmp_path)
    alice = new_actor(database, "alice", clearance=TOP, admin=True)
    first = import_book(database, alice, original, path)
    exported, _ = view(database, alice, first)

    out = tmp_path / f"export{suffix}"
    write_workbook(exported, out)
    reread = load_workbook(out)
    assert reread == original

    reread.edition.id = "classified-2027"  # a second edition of the same organisation
    second = import_book(database, alice, reread, out)
    again, _ = view(database, alice, second)
    assert again.scenarios == original.scenarios
    assert again.edition.model_dump() == {**original.edition.model_dump(), "id": "classified-2027"}


def test_invalid_workbook_stores_nothing(database: Database, tmp_path: Path) -> None:
    doc = small_doc()
    doc["scenarios"][1]["impacts"]["9.9"] = "C"  # no such criterion in nl-2019
    path, book = load_doc(doc, tmp_path)
    alice = new_actor(database, "alice", admin=True)

    with pytest.raises(WorkbookError) as caught:
        import_book(database, alice, book, path)

    assert "9.9" in str(caught.value) or any("9.9" in str(p) for p in caught.value.problems)
    assert counts(database) == EMPTY


def test_several_problems_store_nothing(database: Database, tmp_path: Path) -> None:
    doc = small_doc()
    doc["scenarios"][0]["likelihood"] = "Z"
    doc["scenarios"][2]["impacts"]["5.1"] = "Q"
    path, book = load_doc(doc, tmp_path)
    alice = new_actor(database, "alice", admin=True)

    with pytest.raises(WorkbookError) as caught:
        import_book(database, alice, book, path)

    assert len(caught.value.problems) >= 2  # every problem is reported, not only the first
    assert counts(database) == EMPTY


def test_duplicate_scenario_ids_store_nothing(database: Database, tmp_path: Path) -> None:
    doc = small_doc()
    doc["scenarios"][2]["id"] = "flood-coast"
    path, book = load_doc(doc, tmp_path)
    alice = new_actor(database, "alice", admin=True)

    with pytest.raises(WorkbookError):
        import_book(database, alice, book, path)

    assert counts(database) == EMPTY


def test_second_import_of_the_same_slug_is_a_conflict_and_adds_nothing(
    database: Database, tmp_path: Path
) -> None:
    path, book = load_doc(small_doc(), tmp_path)
    alice = new_actor(database, "alice", admin=True)
    first = import_book(database, alice, book, path)
    before = counts(database)
    exported_before, _ = view(database, alice, first)

    changed = small_doc()
    changed["scenarios"][0]["title"] = "A different title"
    changed["scenarios"].append({**changed["scenarios"][1], "id": "extra-scenario"})
    path2, book2 = load_doc(changed, tmp_path, "changed.yaml")
    with pytest.raises(Conflict) as caught:
        import_book(database, alice, book2, path2)

    assert "small-2026" in str(caught.value)
    assert counts(database) == before
    exported_after, _ = view(database, alice, first)
    assert exported_after == exported_before == book


def test_same_slug_in_another_organisation_is_a_separate_edition(
    database: Database, tmp_path: Path
) -> None:
    path, book = load_doc(small_doc(), tmp_path)
    alice = new_actor(database, "alice", organisation="org1", admin=True)
    bob = new_actor(database, "bob", organisation="org2", admin=True)
    a = import_book(database, alice, book, path)
    b = import_book(database, bob, book, path)
    assert a != b
    assert counts(database)["editions"] == 2


def test_failure_inside_the_transaction_rolls_the_import_back(
    database: Database, tmp_path: Path
) -> None:
    """Anything going wrong after the rows were written (here: in the caller) stores nothing."""
    path, book = load_doc(small_doc(), tmp_path)
    alice = new_actor(database, "alice", admin=True)

    with pytest.raises(RuntimeError), database.session() as s:
        workspace.import_workbook(s, path, book, alice)
        s.flush()
        raise RuntimeError("the request failed after the import")

    assert counts(database) == EMPTY
    # and a later import of the same workbook still works
    assert import_book(database, alice, book, path) >= 1


def test_first_start_creates_an_administrator_and_imports_the_example(
    database: Database,
) -> None:
    import re

    from natrisk.services.access import Actor
    from natrisk.services.accounts import authenticate
    from natrisk.services.bootstrap import bootstrap

    message = bootstrap(database)
    assert message is not None
    found = re.search(r"password '([^']+)'", message)
    assert found is not None and "edition 1" in message
    with database.session() as s:
        admin = Actor.of(authenticate(s, "admin", found.group(1)))
    assert admin.is_admin and admin.clearance == TOP
    book, _ = view(database, admin, 1)
    assert book == load_workbook(EXAMPLE)

    before = counts(database)
    assert bootstrap(database) is None  # a second start changes nothing
    assert counts(database) == before
