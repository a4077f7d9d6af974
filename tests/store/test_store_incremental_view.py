"""Cached views follow every change: a patched view equals a view built from scratch."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from natrisk.io.workbook import load_workbook
from natrisk.services import workspace
from natrisk.services.access import Actor
from natrisk.services.accounts import add_user
from natrisk.services.editing import set_likelihood, set_score
from natrisk.services.scoring import resolve
from natrisk.store.models import Edition

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "nl-2026.yaml"


def _fresh(session, edition, clearance):
    book, _ = workspace.workbook_view(session, edition, clearance)
    return book, resolve(book, workspace.framework_of(session, edition))


def test_patched_view_equals_rebuilt_view(database):
    with database.session() as s:
        actor = Actor.of(add_user(s, "ana", "a-long-password-1", "org", 3, is_admin=True))
        edition_id = workspace.import_workbook(s, EXAMPLE, load_workbook(EXAMPLE), actor).id
    with database.session() as s:
        edition = s.get(Edition, edition_id)
        first_book, first_table = workspace.table_view(s, edition, 3)  # warm the cache
    changes = [
        ("coastal-flood", "2.1", "E"),
        ("pandemic-respiratory-virus", "5.3", {"class": "A-B"}),
    ]
    for slug, cid, value in changes:
        with database.session() as s:
            rec = next(
                sc
                for sc in workspace.scenario_records(s, s.get(Edition, edition_id))
                if sc.slug == slug
            )
            current = next((x.version for x in rec.scores if x.criterion == cid), 0)
            set_score(s, actor, edition_id, slug, cid, value, current, "test")
    with database.session() as s:
        rec = next(
            sc
            for sc in workspace.scenario_records(s, s.get(Edition, edition_id))
            if sc.slug == "river-flood"
        )
        set_likelihood(s, actor, edition_id, "river-flood", "D", rec.version, "test")
    with database.session() as s:
        edition = s.get(Edition, edition_id)
        book, table = workspace.table_view(s, edition, 3)
        ref_book, ref_table = _fresh(s, edition, 3)
    assert book == ref_book
    assert book != first_book
    for name in (
        "dist",
        "point",
        "low",
        "high",
        "likelihood_point",
        "likelihood_low",
        "likelihood_high",
        "likelihood_pos",
    ):
        assert np.array_equal(getattr(table, name), getattr(ref_table, name)), name
    assert not np.array_equal(table.point, first_table.point)
