"""Concurrent editing: the second of two writers of the same version gets a conflict, never a
silent overwrite; concurrent audit appends never fork the chain."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from store_support import (
    TOP,
    grant,
    import_book,
    load_doc,
    new_actor,
    score_row,
    small_doc,
    view,
)

from natrisk.errors import InputError
from natrisk.services import audit, editing
from natrisk.services.access import Actor, Conflict
from natrisk.store.database import Database
from natrisk.store.models import AuditEntry

pytestmark = pytest.mark.usefixtures("fast_passwords")

JOIN = 60.0  # seconds a writer thread may take at most


def _setup(database: Database, tmp_path: Path) -> tuple[Actor, Actor, int]:
    path, book = load_doc(small_doc(), tmp_path)
    coord = new_actor(database, "coord", clearance=TOP, admin=True)
    edition_id = import_book(database, coord, book, path)
    a = new_actor(database, "ann", clearance=TOP)
    b = new_actor(database, "ben", clearance=TOP)
    grant(database, coord, edition_id, "ann", "analyst")
    grant(database, coord, edition_id, "ben", "analyst")
    return a, b, edition_id


def _audit_count(database: Database) -> int:
    with database.session() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry)) or 0


def _verify(database: Database) -> list[audit.ChainProblem]:
    with database.session() as s:
        return audit.verify(s)[1]


def _run_threads(database: Database, jobs: list[Callable[[Any], Any]]) -> list[tuple[str, Any]]:
    """Run each job in its own thread and session, released at once by a barrier."""
    barrier = threading.Barrier(len(jobs))
    results: list[tuple[str, Any]] = [("missing", None)] * len(jobs)

    def work(i: int, job: Callable[[Any], Any]) -> None:
        try:
            barrier.wait(timeout=JOIN)
            with database.session() as s:
                value = job(s)
            results[i] = ("ok", value)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            results[i] = ("error", exc)

    threads = [threading.Thread(target=work, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    return results


def test_second_writer_of_the_same_version_gets_a_conflict(
    database: Database, tmp_path: Path
) -> None:
    ann, ben, edition_id = _setup(database, tmp_path)
    row = score_row(database, edition_id, "cyber-grid", "5.1")
    assert row is not None
    read_by_ann = read_by_ben = row.version  # both read version 1
    assert read_by_ann == 1

    with database.session() as s:
        rec = editing.set_score(s, ann, edition_id, "cyber-grid", "5.1", "D", read_by_ann, "ann")
        assert rec.version == 2
    with database.session() as s, pytest.raises(Conflict) as caught:
        editing.set_score(s, ben, edition_id, "cyber-grid", "5.1", "E", read_by_ben, "ben")

    assert caught.value.status == 409
    assert "version 2" in str(caught.value) and "sent 1" in str(caught.value)
    row = score_row(database, edition_id, "cyber-grid", "5.1")
    assert row is not None and (row.klass, row.version) == ("D", 2)
    with database.session() as s:
        history = editing.score_history(s, ann, edition_id, "cyber-grid", "5.1")
    assert [h["by"] for h in history] == ["ann"]
    # ben reloads and tries again: now it works
    with database.session() as s:
        editing.set_score(s, ben, edition_id, "cyber-grid", "5.1", "E", 2, "ben again")
    row = score_row(database, edition_id, "cyber-grid", "5.1")
    assert row is not None and (row.klass, row.version) == ("E", 3)


def test_version_is_required_and_zero_means_new(database: Database, tmp_path: Path) -> None:
    ann, ben, edition_id = _setup(database, tmp_path)
    with database.session() as s, pytest.raises(InputError):
        editing.set_score(s, ann, edition_id, "cyber-grid", "5.1", "D", None, "no version")
    with database.session() as s, pytest.raises(Conflict):
        editing.set_score(s, ann, edition_id, "cyber-grid", "5.1", "D", 0, "as if new")
    with database.session() as s:
        editing.set_score(s, ann, edition_id, "cyber-grid", "2.1", 40, 0, "new score")
    with database.session() as s, pytest.raises(Conflict):
        editing.set_score(s, ben, edition_id, "cyber-grid", "2.1", 50, 0, "also new")
    row = score_row(database, edition_id, "cyber-grid", "2.1")
    assert row is not None and (row.qmin, row.version) == (40.0, 1)


def test_writer_blocked_behind_an_open_transaction_gets_a_conflict(
    database: Database, tmp_path: Path
) -> None:
    """Ann's change is written but not committed; Ben saves the same version meanwhile. When
    Ann commits, Ben must be refused, not overwrite her change."""
    ann, ben, edition_id = _setup(database, tmp_path)
    outcome: dict[str, Any] = {}

    def ben_saves() -> None:
        try:
            with database.session() as s:
                editing.set_score(s, ben, edition_id, "cyber-grid", "5.1", "E", 1, "ben")
            outcome["ben"] = "ok"
        except BaseException as exc:  # noqa: BLE001
            outcome["ben"] = exc

    with database.session() as s:
        editing.set_score(s, ann, edition_id, "cyber-grid", "5.1", "D", 1, "ann")
        s.flush()
        thread = threading.Thread(target=ben_saves)
        thread.start()
        thread.join(1.0)  # ben runs into ann's open transaction and waits (or fails)
    thread.join(JOIN)
    assert not thread.is_alive()

    assert isinstance(outcome["ben"], Conflict | OperationalError | IntegrityError), outcome
    row = score_row(database, edition_id, "cyber-grid", "5.1")
    assert row is not None and (row.klass, row.version) == ("D", 2)
    assert _audit_count(database) == 4  # the import, the two roles given and ann's change
    assert _verify(database) == []


@pytest.mark.parametrize("round_", range(3))
def test_two_threads_saving_the_same_version_one_wins(
    database: Database, tmp_path: Path, round_: int
) -> None:
    ann, ben, edition_id = _setup(database, tmp_path)

    results = _run_threads(
        database,
        [
            lambda s: editing.set_score(s, ann, edition_id, "pandemic", "5.1", "E", 1, "ann").klass,
            lambda s: editing.set_score(s, ben, edition_id, "pandemic", "5.1", "B", 1, "ben").klass,
        ],
    )

    wins = [v for status, v in results if status == "ok"]
    losses = [v for status, v in results if status == "error"]
    assert len(wins) == 1, results
    assert len(losses) == 1 and isinstance(losses[0], Conflict), results
    row = score_row(database, edition_id, "pandemic", "5.1")
    assert row is not None and (row.klass, row.version) == (wins[0], 2)
    assert _audit_count(database) == 4  # the import, the two roles given and the winner
    assert _verify(database) == []
    # the chain goes on after the race
    with database.session() as s:
        editing.set_score(s, ann, edition_id, "pandemic", "5.3", "D", 1, "after the race")
    assert _verify(database) == []


def test_two_threads_changing_one_likelihood_one_wins(database: Database, tmp_path: Path) -> None:
    ann, ben, edition_id = _setup(database, tmp_path)
    results = _run_threads(
        database,
        [
            lambda s: (
                editing.set_likelihood(s, ann, edition_id, "flood-coast", "C", 1, "a").likelihood
            ),
            lambda s: (
                editing.set_likelihood(s, ben, edition_id, "flood-coast", "D", 1, "b").likelihood
            ),
        ],
    )
    wins = [v for status, v in results if status == "ok"]
    losses = [v for status, v in results if status == "error"]
    assert len(wins) == 1 and len(losses) == 1, results
    assert isinstance(losses[0], Conflict), results
    book, _ = view(database, ann, edition_id)
    assert book.scenarios[0].likelihood.klass == wins[0]["class"]
    assert _verify(database) == []


def test_concurrent_changes_to_different_scores_keep_one_chain(
    database: Database, tmp_path: Path
) -> None:
    """Six writers append to the audit trail at once. Each either succeeds or fails whole;
    the chain never forks, and it still verifies after a later append."""
    ann, ben, edition_id = _setup(database, tmp_path)
    cells = [
        ("flood-coast", "5.1", "D"),
        ("flood-coast", "1.1", "A"),
        ("cyber-grid", "5.1", "E"),
        ("cyber-grid", "5.3", "D"),
        ("pandemic", "5.1", "E"),
        ("pandemic", "5.3", "B"),
    ]
    before = {(slug, cid): score_row(database, edition_id, slug, cid) for slug, cid, _ in cells}

    def job(i: int) -> Callable[[Any], Any]:
        slug, cid, klass = cells[i]
        who = ann if i % 2 else ben
        return lambda s: editing.set_score(s, who, edition_id, slug, cid, klass, 1, f"w{i}").klass

    results = _run_threads(database, [job(i) for i in range(len(cells))])

    for (status, value), (slug, cid, klass) in zip(results, cells, strict=True):
        row = score_row(database, edition_id, slug, cid)
        assert row is not None
        if status == "ok":
            assert (row.klass, row.version) == (klass, 2)
        else:  # a lost race is acceptable only when nothing of it was written
            assert isinstance(value, Conflict | IntegrityError | OperationalError), value
            old = before[(slug, cid)]
            assert old is not None and (row.klass, row.version) == (old.klass, 1)
    successes = sum(1 for status, _ in results if status == "ok")
    assert successes >= 1
    assert _audit_count(database) == 3 + successes  # the import and the two roles given
    assert _verify(database) == []

    with database.session() as s:
        editing.set_score(s, ann, edition_id, "cyber-grid", "3.1", 5.0e8, 1, "later")
    assert _verify(database) == []
    with database.session() as s:
        prev = [e.prev_hash for e in s.scalars(select(AuditEntry))]
    assert len(prev) == len(set(prev))  # no two entries follow the same one
