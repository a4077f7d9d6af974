"""The cached, incrementally updated views of an edition always equal a fresh view.

``workspace.table_view`` keeps a resolved view per edition and clearance and patches it when
the edition's version moves on. Whatever happened in between, what it returns must be what
``workbook_view`` + ``resolve`` give from the database at that moment.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from store_support import (
    TOP,
    import_book,
    load_doc,
    new_actor,
    small_doc,
)

from natrisk.services import editing, workspace
from natrisk.services.access import Actor, edition_for
from natrisk.services.scoring import resolve
from natrisk.store.database import Database

pytestmark = pytest.mark.usefixtures("fast_passwords", "fresh_caches")

ARRAYS = (
    "dist",
    "point",
    "low",
    "high",
    "likelihood_point",
    "likelihood_low",
    "likelihood_high",
    "likelihood_pos",
)


def _assert_fresh(database: Database, actor: Actor, edition_id: int) -> None:
    """table_view equals a view built from scratch from the committed rows."""
    with database.session() as s:
        edition, _ = edition_for(s, actor, edition_id)
        book, table = workspace.table_view(s, edition, actor.clearance)
        fresh_book, _ = workspace.workbook_view(s, edition, actor.clearance)
        fresh = resolve(fresh_book, workspace.framework_of(s, edition))
    assert book == fresh_book
    assert [x.id for x in table.scenarios] == [x.id for x in fresh.scenarios]
    for name in ARRAYS:
        assert np.array_equal(getattr(table, name), getattr(fresh, name)), name


def test_view_follows_every_change(database: Database, tmp_path: Path) -> None:
    path, book = load_doc(small_doc(), tmp_path)
    alice = new_actor(database, "alice", clearance=TOP, admin=True)
    edition_id = import_book(database, alice, book, path)
    _assert_fresh(database, alice, edition_id)

    steps = [
        lambda s: editing.set_score(s, alice, edition_id, "cyber-grid", "5.1", "E", 1, "1"),
        lambda s: editing.set_score(s, alice, edition_id, "pandemic", "2.1", 5, 1, "2"),
        lambda s: editing.set_likelihood(s, alice, edition_id, "flood-coast", "D", 1, "3"),
        lambda s: editing.set_score(s, alice, edition_id, "flood-coast", "6.1", "B", 0, "4"),
        lambda s: workspace.transition(s, alice, edition_id, "review", "5"),
        lambda s: editing.set_score(s, alice, edition_id, "cyber-grid", "5.1", "A", 2, "6"),
    ]
    for step in steps:
        with database.session() as s:
            step(s)
        _assert_fresh(database, alice, edition_id)


def test_views_of_two_databases_never_mix(database: Database, tmp_path: Path) -> None:
    """Two databases in one process (as the test suite, or two apps, have): edition 1 of
    one must never be answered from the cached view of edition 1 of the other."""
    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        doc = small_doc()
        path, book = load_doc(doc, tmp_path)
        doc["scenarios"][1]["impacts"]["5.1"] = "E"
        doc["scenarios"][0]["title"] = "Coastal flood in the other database"
        other_path, other_book = load_doc(doc, tmp_path, "other.yaml")
        alice = new_actor(database, "alice", clearance=TOP, admin=True)
        alice2 = new_actor(other, "alice", clearance=TOP, admin=True)
        first = import_book(database, alice, book, path)
        second = import_book(other, alice2, other_book, other_path)
        assert first == second  # the same id in both, at the same version

        _assert_fresh(database, alice, first)
        _assert_fresh(other, alice2, second)
        _assert_fresh(database, alice, first)
    finally:
        other.close()


def test_rolled_back_change_does_not_stay_in_the_view(database: Database, tmp_path: Path) -> None:
    """A view computed inside a transaction that is then rolled back must not be served
    later as the view of a committed version."""
    path, book = load_doc(small_doc(), tmp_path)
    alice = new_actor(database, "alice", clearance=TOP, admin=True)
    edition_id = import_book(database, alice, book, path)
    _assert_fresh(database, alice, edition_id)

    with pytest.raises(RuntimeError), database.session() as s:
        editing.set_score(s, alice, edition_id, "cyber-grid", "5.1", "E", 1, "doomed")
        edition, _ = edition_for(s, alice, edition_id)
        workspace.table_view(s, edition, TOP)  # e.g. the response shows the new picture
        raise RuntimeError("the request failed afterwards")

    with database.session() as s:
        editing.set_score(s, alice, edition_id, "pandemic", "5.1", "A", 1, "kept")
    _assert_fresh(database, alice, edition_id)
