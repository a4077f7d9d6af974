"""Every versioned write names the version it read; without one it is refused, never applied.

A change without a version would let the last writer win. Each write below is refused with
400 in the one error shape when it names no version, applied when it names the current one
(in the body or query, or in If-Match), and refused with 409 when the version is stale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from api_support import World, assert_error, snapshot

FLOOD = "/api/editions/{pub}/scenarios/coastal-flood"
WEIGHING = {
    "integrated": {"answer": True, "rationale": "r"},
    "sufficient": {"answer": False, "rationale": "r"},
}
MEASURE = {"title": "Dikes higher", "line": "al-1", "owner": "org1", "phase": "prevention"}
REPORT = {"id": "r1", "scope": {"line": "al-1"}, "date": "2026-01-01", "verdict": "adjust"}


@dataclass(frozen=True)
class Write:
    """One versioned write: who sends it, where, the body, and where its version goes."""

    method: str
    path: str
    body: dict[str, Any]
    version_in: str  # "body" or "query"
    current: Callable[[World], int]  # the version the writer would have read
    ok: int = 200

    def send(self, w: World, version: int | None = None, if_match: str | None = None) -> Any:
        url = self.path.format(pub=w.pub, plan=w.plan)
        body, params = dict(self.body), {}
        if version is not None:
            (body if self.version_in == "body" else params)["version"] = version
        headers = {"if-match": if_match} if if_match is not None else {}
        return w.as_("coord").request(self.method, url, json=body, params=params, headers=headers)


def score_version(w: World) -> int:
    return int(w.as_("coord").ok("GET", FLOOD.format(pub=w.pub))["scores"]["1.2"]["version"])


def scenario_version(w: World) -> int:
    return int(w.as_("coord").ok("GET", FLOOD.format(pub=w.pub))["version"])


def plan_version(w: World) -> int:
    return int(w.as_("coord").ok("GET", f"/api/plans/{w.plan}")["version"])


def measure_version(w: World) -> int:
    [m1] = [m for m in w.as_("coord").ok("GET", f"/api/plans/{w.plan}/measures") if m["id"] == "m1"]
    return int(m1["version"])


WRITES = {
    "score": Write("PUT", FLOOD + "/scores/1.2", {"value": "C"}, "body", score_version),
    "likelihood": Write("PUT", FLOOD + "/likelihood", {"value": "B"}, "body", scenario_version),
    "levels": Write(
        "PUT",
        "/api/plans/{plan}/capabilities/buses/levels",
        {"levels": {"people": 3}},
        "body",
        plan_version,
    ),
    "weighing": Write("PUT", "/api/plans/{plan}/weighings/floods", WEIGHING, "query", plan_version),
    "report": Write("POST", "/api/plans/{plan}/reports", REPORT, "query", plan_version, 201),
    "measure": Write("PUT", "/api/plans/{plan}/measures/m1", MEASURE, "query", measure_version),
    "progress": Write(
        "POST",
        "/api/plans/{plan}/measures/m1/progress",
        {"status": "running", "note": "n"},
        "body",
        measure_version,
        201,
    ),
}


@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_write_without_a_version_is_refused_with_400(world: World, name: str) -> None:
    w, write = world, WRITES[name]
    before = snapshot(w.db)
    err = assert_error(write.send(w), 400)
    assert err["type"] == "InputError", err
    assert err["message"].startswith("send the version of "), err
    assert "you read (If-Match header or 'version')" in err["message"], err
    assert snapshot(w.db) == before


@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_write_with_the_version_read_is_applied_and_a_stale_one_is_409(
    world: World, name: str
) -> None:
    w, write = world, WRITES[name]
    read = write.current(w)
    r = write.send(w, version=read)
    assert r.status_code == write.ok, r.text
    assert write.current(w) == read + 1
    before = snapshot(w.db)
    assert_error(write.send(w, version=read), 409)  # someone else's change came in between
    assert_error(write.send(w, if_match=f'"{read}"'), 409)
    assert snapshot(w.db) == before
    r = write.send(w, if_match=f'"{read + 1}"')  # the header stands for the field
    assert r.status_code == write.ok, r.text


def test_every_missing_version_gets_the_same_answer_but_for_what_it_names(world: World) -> None:
    w = world
    shapes = set()
    for write in WRITES.values():
        err = assert_error(write.send(w), 400)
        what = err["message"].removeprefix("send the version of ").split(" you read")[0]
        shapes.add((err["status"], err["type"], err["message"].replace(what, "<thing>", 1)))
    assert {(status, kind) for status, kind, _ in shapes} == {(400, "InputError")}
    texts = {text.removesuffix("; 0 for a new score") for _, _, text in shapes}
    assert texts == {"send the version of <thing> you read (If-Match header or 'version')"}
