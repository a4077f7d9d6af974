"""Three-point estimates and likelihood positions survive the shared database (SQLite and
PostgreSQL): import, export, a score change through the service, and the audit trail."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_support import import_book, new_actor

from natrisk.io.workbook import load_workbook
from natrisk.services import editing, workspace
from natrisk.services.access import edition_for
from natrisk.store.database import Database

pytestmark = pytest.mark.usefixtures("fast_passwords")
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "nra-2014-worked-examples.yaml"


def test_the_published_scores_come_back_unchanged(database: Database) -> None:
    book = load_workbook(EXAMPLE)
    alice = new_actor(database, "alice", admin=True)
    edition_id = import_book(database, alice, book, EXAMPLE)
    with database.session() as s:
        edition, _ = edition_for(s, alice, edition_id)
        stored, _ = workspace.workbook_view(s, edition, alice.clearance)
    assert stored.scenarios == book.scenarios
    lek = next(x for x in stored.scenarios if x.id == "lek-dike-breach")
    assert (lek.likelihood.expected, lek.likelihood.high_position) == ("C", "high")
    assert (lek.impacts["5.1"].expected, lek.impacts["5.1"].klass) == ("D", "C-E")


def test_a_three_point_score_is_changed_and_audited(database: Database) -> None:
    book = load_workbook(EXAMPLE)
    alice = new_actor(database, "alice", admin=True)
    edition_id = import_book(database, alice, book, EXAMPLE)
    new = {"expected": "C", "low": "B", "high": "D", "rationale": "Re-assessed"}
    with database.session() as s:
        editing.set_score(s, alice, edition_id, "far-right-extremism", "2.2", new, 1, "review")
    with database.session() as s:
        edition, _ = edition_for(s, alice, edition_id)
        stored, _ = workspace.workbook_view(s, edition, alice.clearance)
        history = editing.score_history(s, alice, edition_id, "far-right-extremism", "2.2")
    score = next(x for x in stored.scenarios if x.id == "far-right-extremism").impacts["2.2"]
    assert (score.expected, score.klass, score.rationale) == ("C", "B-D", "Re-assessed")
    assert history[-1]["new"]["expected"] == "C"
