"""Roles per edition, and expert judgements: who may do what, and how judgements combine."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from store_support import (
    DEPV,
    OPENBAAR,
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
from natrisk.services import editing, review, workspace
from natrisk.services.access import Actor, Forbidden, NotFound
from natrisk.services.accounts import set_role
from natrisk.store.database import Database
from natrisk.store.models import AuditEntry, Judgement

pytestmark = pytest.mark.usefixtures("fast_passwords")

# nl-2019 impact classes, by index: X=0, A=1, B=2, C=3, D=4, E=5
CLASS = {c: i for i, c in enumerate(["X", "A", "B", "C", "D", "E"])}


@pytest.fixture
def team(database: Database, tmp_path: Path) -> tuple[Database, int, dict[str, Actor]]:
    """An edition and one user per role (all of organisation org1, fully cleared)."""
    path, book = load_doc(small_doc(), tmp_path)
    people = {"coordinator": new_actor(database, "carla", clearance=TOP)}
    edition_id = import_book(database, people["coordinator"], book, path)
    for name, role in (
        ("rob", "reader"),
        ("rev", "reviewer"),
        ("anna", "analyst"),
        ("eva", "expert"),
        ("emil", "expert"),
        ("erik", "expert"),
    ):
        people[name] = new_actor(database, name, clearance=TOP)
        grant(database, people["coordinator"], edition_id, name, role)
    return database, edition_id, people


def _audit_count(database: Database) -> int:
    with database.session() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_reader_can_read_but_not_write(team: tuple[Database, int, dict[str, Actor]]) -> None:
    database, edition_id, p = team
    rob = p["rob"]
    book, _ = view(database, rob, edition_id)
    assert len(book.scenarios) == 3
    before = _audit_count(database)
    attempts = [
        lambda s: editing.set_score(s, rob, edition_id, "cyber-grid", "5.1", "E", 1, "x"),
        lambda s: editing.set_likelihood(s, rob, edition_id, "cyber-grid", "E", 1, "x"),
        lambda s: review.add_comment(s, rob, edition_id, "cyber-grid", "hm", None, OPENBAAR),
        lambda s: review.judge(s, rob, edition_id, "cyber-grid", "5.1", "C", "x"),
        lambda s: workspace.transition(s, rob, edition_id, "review"),
        lambda s: set_role(s, rob, edition_id, "rob", "coordinator"),
        lambda s: review.invite(s, rob, edition_id, "eva", ["cyber-grid"]),
        lambda s: workspace.copy_edition(s, rob, edition_id, "mine", "Mine"),
    ]
    for attempt in attempts:
        with database.session() as s, pytest.raises(Forbidden) as caught:
            attempt(s)
        assert caught.value.status == 403
        assert "reader" in str(caught.value)
    row = score_row(database, edition_id, "cyber-grid", "5.1")
    assert row is not None and (row.klass, row.version) == ("C", 1)
    assert _audit_count(database) == before


def test_reviewer_comments_but_cannot_edit(team: tuple[Database, int, dict[str, Actor]]) -> None:
    database, edition_id, p = team
    rev = p["rev"]
    with database.session() as s:
        review.add_comment(s, rev, edition_id, "cyber-grid", "Why C and not D?", "5.1", OPENBAAR)
    with database.session() as s:
        (comment,) = review.comments(s, p["rob"], edition_id, "cyber-grid")
    assert (comment["author"], comment["criterion"], comment["body"]) == (
        "rev",
        "5.1",
        "Why C and not D?",
    )
    with database.session() as s, pytest.raises(Forbidden):
        editing.set_score(s, rev, edition_id, "cyber-grid", "5.1", "D", 1, "I think D")
    with database.session() as s, pytest.raises(Forbidden):
        review.judge(s, rev, edition_id, "cyber-grid", "5.1", "D", "I think D")
    row = score_row(database, edition_id, "cyber-grid", "5.1")
    assert row is not None and row.klass == "C"


def test_comment_above_the_readers_clearance_is_hidden(
    team: tuple[Database, int, dict[str, Actor]],
) -> None:
    database, edition_id, p = team
    with database.session() as s:
        review.add_comment(s, p["rev"], edition_id, "pandemic", "open remark", None, OPENBAAR)
        review.add_comment(s, p["rev"], edition_id, "pandemic", "MARKER-c0mm3nt", None, DEPV)
    low = new_actor(database, "lowreader", clearance=OPENBAAR)
    grant(database, p["coordinator"], edition_id, "lowreader", "reader")
    with database.session() as s:
        seen = review.comments(s, low, edition_id, "pandemic")
    assert [c["body"] for c in seen] == ["open remark"]


def test_analyst_edits_but_does_not_manage(team: tuple[Database, int, dict[str, Actor]]) -> None:
    database, edition_id, p = team
    anna = p["anna"]
    with database.session() as s:
        editing.set_score(s, anna, edition_id, "cyber-grid", "5.1", "D", 1, "new evidence")
    with database.session() as s, pytest.raises(Forbidden):
        workspace.transition(s, anna, edition_id, "review")
    with database.session() as s, pytest.raises(Forbidden):
        review.invite(s, anna, edition_id, "eva", ["cyber-grid"])
    with database.session() as s, pytest.raises(Forbidden):
        set_role(s, anna, edition_id, "rob", "analyst")


def test_no_role_or_another_organisation_is_not_found(
    team: tuple[Database, int, dict[str, Actor]],
) -> None:
    database, edition_id, _ = team
    outsider = new_actor(database, "olga", clearance=TOP)  # same organisation, no role
    foreign_admin = new_actor(database, "fred", organisation="org2", clearance=TOP, admin=True)
    for who in (outsider, foreign_admin):
        with database.session() as s, pytest.raises(NotFound) as caught:
            editing.set_score(s, who, edition_id, "cyber-grid", "5.1", "E", 1, "x")
        assert str(caught.value) == f"no edition {edition_id}"
        with database.session() as s, pytest.raises(NotFound):
            view(database, who, edition_id)


def test_roles_are_given_only_to_users_of_the_same_organisation(
    team: tuple[Database, int, dict[str, Actor]],
) -> None:
    database, edition_id, p = team
    new_actor(database, "fred", organisation="org2", clearance=TOP)
    with database.session() as s, pytest.raises(NotFound):
        set_role(s, p["coordinator"], edition_id, "fred", "analyst")
    with database.session() as s, pytest.raises(InputError):
        set_role(s, p["coordinator"], edition_id, "rob", "overlord")


def test_expert_judges_only_invited_scenarios(
    team: tuple[Database, int, dict[str, Actor]],
) -> None:
    database, edition_id, p = team
    eva = p["eva"]
    with database.session() as s:
        assert review.invite(s, p["coordinator"], edition_id, "eva", ["cyber-grid"]) == 1
    with database.session() as s:
        review.judge(s, eva, edition_id, "cyber-grid", "5.1", "D", "seen it before")
    with database.session() as s, pytest.raises(Forbidden) as caught:
        review.judge(s, eva, edition_id, "pandemic", "5.1", "D", "not invited")
    assert "invited" in str(caught.value)
    with database.session() as s, pytest.raises(Forbidden):  # experts advise, they do not edit
        editing.set_score(s, eva, edition_id, "cyber-grid", "5.1", "D", 1, "x")
    with database.session() as s:
        judgements = s.scalars(select(Judgement)).all()
        assert [(j.criterion, j.klass) for j in judgements] == [("5.1", "D")]
    row = score_row(database, edition_id, "cyber-grid", "5.1")
    assert row is not None and row.klass == "C"  # a judgement does not overwrite the score


def test_only_experts_can_be_invited_and_only_where_cleared(
    team: tuple[Database, int, dict[str, Actor]],
) -> None:
    database, edition_id, p = team
    coord = p["coordinator"]
    with database.session() as s, pytest.raises(NotFound):
        review.invite(s, coord, edition_id, "anna", ["cyber-grid"])  # an analyst
    with database.session() as s:  # classify the pandemic scenario above a new expert's clearance
        rec = next(
            r
            for r in workspace.scenario_records(s, s.get(workspace.Edition, edition_id))
            if r.slug == "pandemic"
        )
        rec.classification = 2
    new_actor(database, "lowexpert", clearance=DEPV)
    grant(database, coord, edition_id, "lowexpert", "expert")
    with database.session() as s, pytest.raises(InputError):
        review.invite(s, coord, edition_id, "lowexpert", ["pandemic"])


def test_bad_judgements_are_refused(team: tuple[Database, int, dict[str, Actor]]) -> None:
    database, edition_id, p = team
    with database.session() as s:
        review.invite(s, p["coordinator"], edition_id, "eva", ["cyber-grid"])
    for klass in ("Q", "D-B", "", "b", "B-Z"):
        with database.session() as s, pytest.raises(InputError):
            review.judge(s, p["eva"], edition_id, "cyber-grid", "5.1", klass, "x")
    with database.session() as s, pytest.raises(NotFound):
        review.judge(s, p["eva"], edition_id, "cyber-grid", "9.9", "C", "x")
    with database.session() as s:
        assert s.scalars(select(Judgement)).all() == []


def test_three_experts_combine_into_a_range(team: tuple[Database, int, dict[str, Actor]]) -> None:
    database, edition_id, p = team
    coord = p["coordinator"]
    for name in ("eva", "emil", "erik"):
        with database.session() as s:
            review.invite(s, coord, edition_id, name, ["pandemic"])
    for name, klass in (("eva", "B"), ("emil", "C"), ("erik", "B-D")):
        with database.session() as s:
            review.judge(s, p[name], edition_id, "pandemic", "5.1", klass, f"{name}'s view")

    with database.session() as s:
        summary = review.session_summary(s, coord, edition_id, "pandemic")

    # By hand, with X=0 A=1 B=2 C=3 D=4 E=5:
    #   judgements as ranges: B=[2,2], C=[3,3], B-D=[2,4]
    #   lower ends 2,3,2 -> sorted 2,2,3 -> median 2 (B)   (odd count: no rounding needed)
    #   upper ends 2,3,4 -> sorted 2,3,4 -> median 3 (C)
    #   combined B-C; spread from the lowest lower end 2 (B) to the highest upper end 4 (D)
    item = summary["5.1"]
    assert item["combined"] == "B-C"
    assert item["spread"] == "B-D"
    assert item["experts"] == 3
    assert sorted((j["expert"], j["class"]) for j in item["judgements"]) == [
        ("emil", "C"),
        ("erik", "B-D"),
        ("eva", "B"),
    ]
    assert review.combine([(2, 2), (3, 3), (2, 4)]) == {
        "low": CLASS["B"],
        "high": CLASS["C"],
        "spread_low": CLASS["B"],
        "spread_high": CLASS["D"],
    }

    # each expert sees only their own judgement, to keep them independent
    with database.session() as s:
        own = review.session_summary(s, p["emil"], edition_id, "pandemic")
    assert [j["expert"] for j in own["5.1"]["judgements"]] == ["emil"]
    assert own["5.1"]["combined"] == "C"

    # judging again replaces that expert's judgement (one per expert), and is audited
    with database.session() as s:
        review.judge(s, p["eva"], edition_id, "pandemic", "5.1", "C", "changed my mind")
    with database.session() as s:
        summary = review.session_summary(s, coord, edition_id, "pandemic")
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.entity == "judgement").order_by(AuditEntry.id)
        ).all()
    # lower ends 3,3,2 -> 2,3,3 -> 3 (C); upper ends 3,3,4 -> 3,3,4 -> 3 (C)
    assert summary["5.1"]["combined"] == "C"
    assert summary["5.1"]["spread"] == "B-D"
    assert summary["5.1"]["experts"] == 3
    assert len(entries) == 4
    assert entries[-1].old == {"class": "B", "rationale": "eva's view"}
    assert entries[-1].new == {"class": "C", "rationale": "changed my mind"}


@pytest.mark.parametrize(
    ("judgements", "combined", "spread"),
    [
        # one expert: the judgement itself
        (["B-C"], (2, 3), (2, 3)),
        # two: lows 2,4 -> lower middle 2 (B); highs 2,4 -> higher middle 4 (D)
        (["B", "D"], (2, 4), (2, 4)),
        # four: lows 1,2,3,5 -> middles 2,3 -> the lower, 2 (B);
        #       highs 1,2,4,5 -> middles 2,4 -> the higher, 4 (D)
        (["A", "B", "C-D", "E"], (2, 4), (1, 5)),
        # all agree
        (["C", "C", "C"], (3, 3), (3, 3)),
        # the combined range never inverts: lows 4,4,1 -> 4; highs 4,4,5 -> 4
        (["D", "D", "A-E"], (4, 4), (1, 5)),
    ],
)
def test_combination_rule(
    judgements: list[str], combined: tuple[int, int], spread: tuple[int, int]
) -> None:
    ranges = []
    for text in judgements:
        low, _, high = text.partition("-")
        ranges.append((CLASS[low], CLASS[high or low]))
    out = review.combine(ranges)
    assert (out["low"], out["high"]) == combined
    assert (out["spread_low"], out["spread_high"]) == spread
    assert out["low"] <= out["high"]
