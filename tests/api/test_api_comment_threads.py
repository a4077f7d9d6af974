"""Review comments as threads: replies under a comment, resolving and reopening, bad input
refused with nothing stored, and publishing closing every open comment."""

from __future__ import annotations

from typing import Any

from api_support import GONE, World, assert_error, snapshot
from sqlalchemy import select

from natrisk.services import review, workspace
from natrisk.store.models import AuditEntry

FLOOD = "coastal-flood"


def _url(w: World, tail: str = "", slug: str = FLOOD) -> str:
    return f"/api/editions/{w.pub}/scenarios/{slug}/comments{tail}"


def _remark(w: World, name: str = "reviewer") -> dict[str, Any]:
    """The world's public remark (by admin1) as the named user sees it."""
    found = [c for c in w.as_(name).ok("GET", _url(w)) if c["body"] == "A public remark"]
    assert len(found) == 1, found
    return found[0]


def _audited(w: World, comment_id: int) -> list[AuditEntry]:
    with w.db.session() as s:
        return list(
            s.scalars(
                select(AuditEntry)
                .where(AuditEntry.key == f"edition:{w.pub}:scenario:{FLOOD}:comment:{comment_id}")
                .order_by(AuditEntry.id)
            )
        )


def test_a_reply_is_shown_under_its_comment_and_audited(world: World) -> None:
    w = world
    remark = _remark(w)
    assert remark["state"] == "open" and remark["replies"] == []  # its SG reply is hidden
    made = w.as_("reviewer").ok(
        "POST", _url(w, f"/{remark['id']}/replies"), 201, json={"body": "  Which tide table?  "}
    )
    assert made["reply_to"] == remark["id"] and made["body"] == "Which tide table?"
    # a reply to that reply joins the comment's thread
    w.as_("analyst").ok(
        "POST", _url(w, f"/{made['id']}/replies"), 201, json={"body": "The 2024 one."}
    )
    remark = _remark(w)
    assert [(r["author"], r["body"]) for r in remark["replies"]] == [
        ("reviewer", "Which tide table?"),
        ("analyst", "The 2024 one."),
    ]
    assert [c["body"] for c in w.as_("reviewer").ok("GET", _url(w))].count("The 2024 one.") == 0
    (entry,) = _audited(w, made["id"])
    assert entry.actor == "reviewer" and entry.new == {
        "reply_to": remark["id"],
        "body": "Which tide table?",
    }
    # the top-cleared author sees its own classified reply first, then the two new ones
    bodies = [r["body"] for r in _remark(w, "admin1")["replies"]]
    assert bodies[0].startswith("Re MARKER-REPLY") and len(bodies) == 3


def test_bad_replies_are_refused_and_store_nothing(world: World) -> None:
    w = world
    remark = _remark(w)
    coord, admin1 = w.actor("coord"), w.actor("admin1")
    with w.db.session() as s:  # a comment on the same scenario of another edition
        copy = workspace.copy_edition(s, coord, w.pub, "next-cycle", "Next cycle").id
        other = review.add_comment(s, admin1, copy, FLOOD, "On the next cycle", None, None).id
    before = snapshot(w.db)
    c = w.as_("reviewer")
    for body in ("", "   \n\t "):
        r = c.post(_url(w, f"/{remark['id']}/replies"), json={"body": body})
        err = assert_error(r, 400)
        assert "cannot be empty or only spaces" in err["message"], err
    r = c.post(_url(w, f"/{other}/replies"), json={"body": "Cross-edition"})
    assert assert_error(r, 404)["message"] == f"no comment {other} on scenario '{FLOOD}'"
    r = c.post(_url(w, f"/{GONE}/replies"), json={"body": "To nothing"})
    assert assert_error(r, 404)["message"] == f"no comment {GONE} on scenario '{FLOOD}'"
    r = c.post(_url(w, f"/{remark['id']}/replies"), json={"body": "x" * 20_001})
    assert r.status_code == 422, r.text
    assert snapshot(w.db) == before


def test_resolving_and_reopening_record_who_and_when(world: World) -> None:
    w = world
    remark = _remark(w)
    resolve, reopen = _url(w, f"/{remark['id']}/resolve"), _url(w, f"/{remark['id']}/reopen")
    before = snapshot(w.db)
    # a reviewer who did not write it may not resolve it; no version is no change
    r = w.as_("reviewer").post(resolve, json={"version": remark["version"]})
    assert "only the comment's author" in assert_error(r, 403)["message"]
    assert (
        "send the version" in assert_error(w.as_("analyst").post(resolve, json={}), 400)["message"]
    )
    r = w.as_("analyst").post(resolve, json={"version": remark["version"] + 5})
    assert "changed by someone else" in assert_error(r, 409)["message"]
    assert snapshot(w.db) == before
    done = w.as_("analyst").ok("POST", resolve, json={"version": remark["version"]})
    assert done["state"] == "resolved" and done["resolved_by"] == "analyst"
    seen = _remark(w)
    assert seen["state"] == "resolved" and seen["resolved_by"] == "analyst"
    assert seen["resolved_at"] == done["resolved_at"] and seen["version"] == done["version"]
    # resolving twice: a clear conflict, nothing stored
    before = snapshot(w.db)
    r = w.as_("coord").post(resolve, json={"version": done["version"]})
    assert "is already resolved (by analyst" in assert_error(r, 409)["message"]
    assert snapshot(w.db) == before
    back = w.as_("coord").ok("POST", reopen, headers={"If-Match": f'"{done["version"]}"'})
    assert back["state"] == "open" and back["resolved_by"] is None
    r = w.as_("coord").post(reopen, json={"version": back["version"]})
    assert "only a resolved comment can be reopened" in assert_error(r, 409)["message"]
    # its author resolves a reviewer's own comment too
    own = w.as_("reviewer").ok("POST", _url(w), 201, json={"body": "Mine"})
    mine = next(c for c in w.as_("reviewer").ok("GET", _url(w)) if c["id"] == own["id"])
    assert mine["you_may_resolve"] is True and _remark(w)["you_may_resolve"] is False
    w.as_("reviewer").ok("POST", _url(w, f"/{own['id']}/resolve"), json={"version": 1})
    written, *changes = _audited(w, remark["id"])
    assert written.old is None and written.new["body"] == remark["body"]  # its writing, first
    trail = [(e.actor, e.old["state"], e.new["state"]) for e in changes]
    assert trail == [("analyst", "open", "resolved"), ("coord", "resolved", "open")]
    assert w.as_("admin1").ok("GET", "/api/audit/verify")["intact"] is True


def test_publishing_closes_open_comments_and_the_review(world: World) -> None:
    w = world
    remark = _remark(w)
    coord = w.as_("coord")
    own = w.as_("reviewer").ok("POST", _url(w), 201, json={"body": "Settled before"})
    w.as_("reviewer").ok("POST", _url(w, f"/{own['id']}/resolve"), json={"version": 1})
    for to in ("review", "adopted", "published"):
        coord.ok("POST", f"/api/editions/{w.pub}/transition", json={"to": to, "reason": "t"})
    states = {c["body"]: (c["state"], c["resolved_by"]) for c in coord.ok("GET", _url(w))}
    assert states["A public remark"] == ("closed", "coord")
    assert states["Settled before"] == ("resolved", "reviewer")  # resolved stays resolved
    written, closing = _audited(w, remark["id"])
    assert written.old is None  # the comment's writing is audited too
    assert closing.new["state"] == "closed" and closing.reason == f"edition {w.pub} published"
    before = snapshot(w.db)
    for url, body in (
        (_url(w, f"/{remark['id']}/replies"), {"body": "Too late"}),
        (_url(w, f"/{remark['id']}/reopen"), {"version": remark["version"] + 1}),
        (_url(w, f"/{own['id']}/reopen"), {"version": 2}),
        (_url(w), {"body": "A new one"}),
    ):
        err = assert_error(w.as_("analyst").post(url, json=body), 409)
        assert "the review is closed" in err["message"], (url, err)
    assert snapshot(w.db) == before
