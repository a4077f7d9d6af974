"""The edition workflow: draft -> review -> adopted -> published, the yearly copy, the diff."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from store_support import (
    STGGEHEIM,
    TOP,
    actor_of,
    classified_doc,
    edition_row,
    grant,
    import_book,
    load_doc,
    new_actor,
    score_row,
    small_doc,
    view,
)

from natrisk.services import editing, review, workspace
from natrisk.services.access import Actor, Conflict, Forbidden
from natrisk.services.diff import diff_editions
from natrisk.store.database import Database
from natrisk.store.models import AuditEntry, ScenarioRecord

pytestmark = pytest.mark.usefixtures("fast_passwords", "fresh_caches")


@pytest.fixture
def setup(database: Database, tmp_path: Path) -> tuple[Database, Actor, Actor, int]:
    """An edition with a coordinator (its importer, not an administrator) and an analyst."""
    path, book = load_doc(small_doc(), tmp_path)
    coord = new_actor(database, "carla", clearance=TOP)
    edition_id = import_book(database, coord, book, path)  # the importer coordinates it
    analyst = new_actor(database, "anna", clearance=TOP)
    grant(database, coord, edition_id, "anna", "analyst")
    return database, coord, analyst, edition_id


def _move(database: Database, actor: Actor, edition_id: int, to: str) -> str:
    with database.session() as s:
        return workspace.transition(s, actor, edition_id, to, f"to {to}").status


def test_full_workflow(setup: tuple[Database, Actor, Actor, int]) -> None:
    database, coord, _, edition_id = setup
    row = edition_row(database, edition_id)
    assert row is not None and row.status == "draft"
    assert _move(database, coord, edition_id, "review") == "review"
    assert _move(database, coord, edition_id, "draft") == "draft"  # sent back
    assert _move(database, coord, edition_id, "review") == "review"
    assert _move(database, coord, edition_id, "adopted") == "adopted"
    assert _move(database, coord, edition_id, "published") == "published"
    row = edition_row(database, edition_id)
    assert row is not None and row.status == "published"

    with database.session() as s:
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.key == f"edition:{edition_id}:status")
        ).all()
        assert [(e.old, e.new) for e in entries] == [
            ("draft", "review"),
            ("review", "draft"),
            ("draft", "review"),
            ("review", "adopted"),
            ("adopted", "published"),
        ]
        assert {e.actor for e in entries} == {"carla"}


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], "adopted"),
        ([], "published"),
        ([], "draft"),
        ([], "archived"),
        (["review"], "published"),
        (["review"], "review"),
        (["review", "adopted"], "draft"),
        (["review", "adopted"], "review"),
        (["review", "adopted", "published"], "draft"),
        (["review", "adopted", "published"], "adopted"),
    ],
)
def test_illegal_moves_are_conflicts(
    setup: tuple[Database, Actor, Actor, int], path: list[str], illegal: str
) -> None:
    database, coord, _, edition_id = setup
    for step in path:
        _move(database, coord, edition_id, step)
    status = path[-1] if path else "draft"
    with pytest.raises(Conflict) as caught:
        _move(database, coord, edition_id, illegal)
    assert status in str(caught.value)
    row = edition_row(database, edition_id)
    assert row is not None and row.status == status


def test_only_coordinators_move_an_edition(setup: tuple[Database, Actor, Actor, int]) -> None:
    database, _, analyst, edition_id = setup
    with pytest.raises(Forbidden):
        _move(database, analyst, edition_id, "review")
    row = edition_row(database, edition_id)
    assert row is not None and row.status == "draft"


def test_adopted_edition_is_read_only(setup: tuple[Database, Actor, Actor, int]) -> None:
    database, coord, analyst, edition_id = setup
    with database.session() as s:  # in review it can still be changed
        editing.set_score(s, analyst, edition_id, "cyber-grid", "5.1", "D", 1, "in draft")
    _move(database, coord, edition_id, "review")
    with database.session() as s:
        editing.set_score(s, analyst, edition_id, "cyber-grid", "5.1", "E", 2, "in review")
    _move(database, coord, edition_id, "adopted")
    before, _ = view(database, coord, edition_id)

    for who in (analyst, coord):
        with database.session() as s, pytest.raises(Conflict) as caught:
            editing.set_score(s, who, edition_id, "cyber-grid", "5.1", "B", 3, "too late")
        assert "read-only" in str(caught.value)
        with database.session() as s, pytest.raises(Conflict):
            editing.set_likelihood(s, who, edition_id, "cyber-grid", "E", 1, "too late")
        with database.session() as s, pytest.raises(Conflict):
            editing.set_score(s, who, edition_id, "cyber-grid", "2.1", 10, 0, "new, too late")

    new_actor(database, "eric", clearance=TOP)
    grant(database, coord, edition_id, "eric", "expert")
    with database.session() as s:
        review.invite(s, coord, edition_id, "eric", ["cyber-grid"])
    eric = actor_of(database, "eric")
    with database.session() as s, pytest.raises(Conflict):
        review.judge(s, eric, edition_id, "cyber-grid", "5.1", "C", "too late")

    _move(database, coord, edition_id, "published")
    with database.session() as s, pytest.raises(Conflict):
        editing.set_score(s, analyst, edition_id, "cyber-grid", "5.1", "B", 3, "published")
    after, _ = view(database, coord, edition_id)
    assert after == before


def _copy(database: Database, actor: Actor, edition_id: int, slug: str) -> int:
    with database.session() as s:
        return workspace.copy_edition(s, actor, edition_id, slug, f"Edition {slug}").id


def test_copy_starts_a_new_draft_with_the_same_scenarios(
    database: Database, tmp_path: Path
) -> None:
    path, book = load_doc(classified_doc(), tmp_path)
    coord = new_actor(database, "carla", clearance=TOP)
    source = import_book(database, coord, book, path)
    _move(database, coord, source, "review")
    _move(database, coord, source, "adopted")

    copy = _copy(database, coord, source, "classified-2027")

    row = edition_row(database, copy)
    assert row is not None
    assert (row.status, row.parent_id, row.slug) == ("draft", source, "classified-2027")
    original, _ = view(database, coord, source)
    copied, notes = view(database, coord, copy)
    assert copied.scenarios == original.scenarios  # classifications included
    assert copied.edition.classification == original.edition.classification
    assert copied.edition.title == "Edition classified-2027"
    assert copied.scenarios[0].impacts["5.1"].classification == STGGEHEIM
    assert notes == {"rationales_withheld": []}
    with database.session() as s:  # the copy is editable, the source is not touched
        editing.set_score(s, coord, copy, "cyber-grid", "5.1", "D", 1, "next year")
    again, _ = view(database, coord, source)
    assert again == original
    with pytest.raises(Conflict):  # the slug is taken now
        _copy(database, coord, source, "classified-2027")


def test_diff_reports_changed_scores_and_moves(setup: tuple[Database, Actor, Actor, int]) -> None:
    database, coord, _, source = setup
    copy = _copy(database, coord, source, "small-2027")

    with database.session() as s:
        same = diff_editions(s, coord, source, copy)
    assert (same["added"], same["removed"], same["moved"], same["scores_changed"]) == (
        [],
        [],
        [],
        [],
    )

    with database.session() as s:
        editing.set_score(s, coord, copy, "cyber-grid", "5.1", "E", 1, "much worse")
    with database.session() as s:
        d = diff_editions(s, coord, source, copy)

    assert d["from"]["id"] == source and d["to"]["id"] == copy
    assert [c["id"] for c in d["scores_changed"]] == ["cyber-grid"]
    assert list(d["scores_changed"][0]["criteria"]) == ["5.1"]
    change = d["scores_changed"][0]["criteria"]["5.1"]
    assert change["from"] != change["to"]
    moved = {m["id"]: m for m in d["moved"]}
    assert "cyber-grid" in moved  # a higher impact moves it up the diagram
    assert moved["cyber-grid"]["impact_score"]["to"] > moved["cyber-grid"]["impact_score"]["from"]
    assert d["added"] == [] and d["removed"] == []


def test_diff_reports_added_and_removed_scenarios(
    setup: tuple[Database, Actor, Actor, int],
) -> None:
    database, coord, _, source = setup
    copy = _copy(database, coord, source, "small-2027")
    with database.session() as s:
        gone = s.scalars(
            select(ScenarioRecord).where(
                ScenarioRecord.edition_id == copy, ScenarioRecord.slug == "pandemic"
            )
        ).one()
        s.delete(gone)
        s.add(
            ScenarioRecord(
                edition_id=copy,
                slug="drought",
                position=10,
                title="Drought",
                theme="climate-and-natural-disasters",
                likelihood={"class": "C"},
                extra={},
                scores=[workspace.score_record("5.1", editing.parse_score("C"))],
            )
        )
        workspace.bump_revision(s, copy)

    with database.session() as s:
        d = diff_editions(s, coord, source, copy)

    assert d["added"] == ["drought"]
    assert d["removed"] == ["pandemic"]
    assert all(c["id"] not in ("drought", "pandemic") for c in d["scores_changed"])
    assert score_row(database, copy, "pandemic", "5.1") is None  # its scores went with it
    assert score_row(database, source, "pandemic", "5.1") is not None


def test_diff_of_editions_differing_only_in_likelihood_reports_a_move(
    setup: tuple[Database, Actor, Actor, int],
) -> None:
    database, coord, _, source = setup
    copy = _copy(database, coord, source, "small-2027")
    with database.session() as s:
        editing.set_likelihood(s, coord, copy, "flood-coast", "D", 1, "more likely")
    with database.session() as s:
        d = diff_editions(s, coord, source, copy)
    assert d["scores_changed"] == []
    (move,) = d["moved"]
    assert move["id"] == "flood-coast"
    assert move["likelihood"]["from"] != move["likelihood"]["to"]
