"""The role table of docs/shared-system.md, cell by cell: as documented, as coded, as served.

The table under "## Roles" is parsed from the documentation. It must equal
``natrisk.security.PERMISSIONS`` (and ``may_grant``), and every cell must hold on the API:
one user per role on a real edition, each permission exercised by a real request. So the
documentation cannot go stale, and neither can the code drift from it unnoticed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import yaml
from api_support import ROOT, Caller, Http, World, small_raw

from natrisk.api.app import create_app
from natrisk.domain.plan import Plan
from natrisk.io.workbook import parse_workbook
from natrisk.security import PERMISSIONS, allows, may_grant
from natrisk.services import accounts, review, workspace
from natrisk.services.access import Actor
from natrisk.services.plan_store import import_plan
from natrisk.store.database import Database
from natrisk.store.models import User

DOC = ROOT / "docs" / "shared-system.md"
ROLE_COLUMNS = (
    "reader",
    "reviewer",
    "expert",
    "contributor",
    "analyst",
    "coordinator",
    "administrator",
)
COLUMNS = (*ROLE_COLUMNS, "site admin")
SITE_ROWS = ("users", "audit", "frameworks")  # what is_admin adds
SG = "Staatsgeheim Geheim"  # everyone is cleared for everything: only roles differ here
SCENARIO = "small-scenario"


def documented() -> dict[str, dict[str, bool]]:
    """The table under '## Roles': permission -> column -> allowed."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("\n## Roles\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    assert header[:2] == ["permission", "allows"] and tuple(header[2:]) == COLUMNS, header
    assert set(rows[1]) <= set("|-"), rows[1]
    table = {}
    for line in rows[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert all(c in ("yes", "—") for c in cells[2:]), line
        table[cells[0]] = {col: cell == "yes" for col, cell in zip(COLUMNS, cells[2:], strict=True)}
    return table


def coded(row: str, column: str) -> bool:
    """What the code says of one cell."""
    if row in SITE_ROWS:
        return column == "site admin"
    role = "administrator" if column == "site admin" else column
    if row == "appoint":
        return may_grant(role, "administrator")
    return allows(role, row)


def test_the_documented_table_is_the_coded_one() -> None:
    table = documented()
    assert set(table) == set(PERMISSIONS) | {"appoint", *SITE_ROWS}, sorted(table)
    wrong = [
        (row, col, table[row][col])
        for row in table
        for col in COLUMNS
        if table[row][col] != coded(row, col)
    ]
    assert not wrong, f"docs/shared-system.md and natrisk.security disagree: {wrong}"


# ---------------------------------------------------------------------------- the world


def user_of(column: str) -> str:
    return "t-" + column.replace(" ", "")


def measure(mid: str, owner: str) -> dict[str, Any]:
    return {
        "id": mid,
        "title": f"Measure of {owner}",
        "line": "al-1",
        "owner": owner,
        "phase": "prevention",
    }


def roles_plan() -> dict[str, Any]:
    return {
        "format": "natrisk-plan/1",
        "plan": {"id": "roles-plan", "title": "Roles plan", "edition": "roles-edition"},
        "security_issues": [
            {"id": "accidents", "title": "Accidents", "lead": "org1", "scenarios": [SCENARIO]}
        ],
        "tasks": [{"id": "evac", "title": "Evacuation", "scenarios": {SCENARIO: 3}}],
        "capabilities": [
            {
                "id": "buses",
                "title": "Buses",
                "owner": "regional",
                "holder": "vr",
                "phase": "response",
                "tasks": ["evac"],
                "current": 2,
            }
        ],
        "strategies": [
            {
                "id": "vs",
                "title": "VS",
                "start": "2023-04-01",
                "end": "2029-12-31",
                "lines": [{"id": "al-1", "title": "Line", "issues": ["accidents"]}],
            }
        ],
        "measures": [
            measure("m-org1", "org1"),
            measure("m-ministry", "ministry"),  # the contributor's organisation
            measure("m-third", "third"),  # nobody's here but the coordinators'
        ],
    }


class TableWorld(World):
    """One user per column on one edition with a plan; ``pub`` is that edition."""

    plan_id: int = 0


@pytest.fixture(scope="module")
def table_world(shared_database: Database, api_environment: None) -> Iterator[TableWorld]:
    db = shared_database
    ids, tokens = {}, {}
    with db.session() as s:
        for column in (*COLUMNS, "spare"):
            name = user_of(column)
            org = "ministry" if column == "contributor" else "org1"
            user = accounts.add_user(
                s, name, name + "-correct-horse", org, SG, is_admin=column == "site admin"
            )
            ids[name], tokens[name] = user.id, accounts.issue_token(user)
    with db.session() as s:
        site = Actor.of(s.get(User, ids[user_of("site admin")]))  # type: ignore[arg-type]
        book = parse_workbook(small_raw("roles-edition", "Roles"), {}, "roles")
        eid = workspace.import_workbook(s, None, book, site).id
        for column in (*ROLE_COLUMNS, "spare"):
            role = "reader" if column == "spare" else column
            accounts.set_role(s, site, eid, user_of(column), role)
        review.invite(s, site, eid, user_of("expert"), [SCENARIO])
        plan_id = import_plan(s, site, eid, Plan.model_validate(roles_plan())).id
    w = TableWorld(db, Http(create_app(db)), tokens, ids, pub=eid, secret=0, org2=0)
    w.plan_id = plan_id
    yield w
    w.wait_for_runs()
    w.http.close()


# ---------------------------------------------------------------------------- the probes


def _site(w: TableWorld) -> Caller:
    return w.as_(user_of("site admin"))


def _score_version(w: TableWorld) -> int:
    scen = _site(w).ok("GET", f"/api/editions/{w.pub}/scenarios/{SCENARIO}")
    return int(scen["scores"]["3.2"]["version"])


def _measure_put(w: TableWorld, c: Caller, mid: str) -> httpx.Response:
    [m] = [m for m in _site(w).ok("GET", f"/api/plans/{w.plan_id}/measures") if m["id"] == mid]
    body = {k: m[k] for k in ("title", "line", "owner", "phase")} | {"title": f"{mid} changed"}
    return c.put(
        f"/api/plans/{w.plan_id}/measures/{mid}", params={"version": m["version"]}, json=body
    )


def _transition(w: TableWorld, c: Caller) -> httpx.Response:
    status = _site(w).ok("GET", f"/api/editions/{w.pub}")["status"]
    to = "review" if status == "draft" else "draft"
    return c.post(f"/api/editions/{w.pub}/transition", json={"to": to, "reason": "probe"})


def _appoint(w: TableWorld, c: Caller) -> httpx.Response:
    url = f"/api/editions/{w.pub}/members/{user_of('spare')}"
    r = c.put(url, json={"role": "administrator"})
    if r.is_success:  # back to reader, for the next column's probes
        _site(w).ok("PUT", url, json={"role": "reader"})
    return r


def _framework(c: Caller) -> httpx.Response:
    raw = yaml.safe_load((ROOT / "src/natrisk/frameworks/nl-2019.yaml").read_text())
    raw["id"] = f"probe-{uuid.uuid4().hex[:8]}"
    return c.post("/api/frameworks", content=yaml.safe_dump(raw))


SCEN = "/api/editions/{pub}/scenarios/" + SCENARIO
Probe = Callable[[TableWorld, Caller, str], httpx.Response]
PROBES: dict[str, Probe] = {
    "read": lambda w, c, _: c.get(f"/api/editions/{w.pub}"),
    "comment": lambda w, c, _: c.post(SCEN.format(pub=w.pub) + "/comments", json={"body": "probe"}),
    "judge": lambda w, c, _: c.put(
        SCEN.format(pub=w.pub) + "/judgements/3.2", json={"class": "B", "rationale": "probe"}
    ),
    "edit": lambda w, c, _: c.put(
        SCEN.format(pub=w.pub) + "/scores/3.2",
        json={"value": "C", "version": _score_version(w), "reason": "probe"},
    ),
    "invite": lambda w, c, _: c.post(
        f"/api/editions/{w.pub}/invitations",
        json={"expert": user_of("expert"), "scenarios": [SCENARIO]},
    ),
    "transition": lambda w, c, _: _transition(w, c),
    "manage": lambda w, c, _: c.put(
        f"/api/editions/{w.pub}/members/{user_of('spare')}", json={"role": "reader"}
    ),
    "measure": lambda w, c, col: _measure_put(
        w, c, "m-ministry" if col == "contributor" else "m-org1"
    ),
    "measure-any": lambda w, c, _: _measure_put(w, c, "m-third"),
    "run": lambda w, c, _: c.post(f"/api/editions/{w.pub}/sensitivity", json={"samples": 20}),
    "signal": lambda w, c, col: c.post(
        f"/api/editions/{w.pub}/signals",
        json={
            "title": f"Probe signal of {col}",
            "observed": "2026-01-15",
            "themes": ["cyber"],
            "horizon": "short",
        },
    ),
    "appoint": lambda w, c, _: _appoint(w, c),
    "import": lambda w, c, _: c.post(
        "/api/editions", json=small_raw(f"probe-{uuid.uuid4().hex[:8]}", "Probe")
    ),
    "users": lambda w, c, _: c.get("/api/users"),
    "audit": lambda w, c, _: c.get("/api/audit/verify"),
    "frameworks": lambda w, c, _: _framework(c),
}


def test_every_documented_permission_has_a_probe() -> None:
    assert set(PROBES) == set(documented())


@pytest.mark.parametrize("column", COLUMNS)
def test_every_cell_of_the_role_table_holds_on_the_api(
    table_world: TableWorld, column: str
) -> None:
    w = table_world
    caller = w.as_(user_of(column))
    found, odd = {}, {}
    for row, probe in PROBES.items():
        r = probe(w, caller, column)
        found[row] = r.is_success
        if not r.is_success and r.status_code != 403:
            odd[row] = (r.status_code, r.text[:300])  # a probe that fails for another reason
    assert not odd, f"{column}: refused otherwise than with 403: {odd}"
    expected = {row: cells[column] for row, cells in documented().items()}
    assert found == expected, {
        row: f"API {'allows' if found[row] else 'refuses'}, docs say {'yes' if expected[row] else 'no'}"
        for row in expected
        if found[row] != expected[row]
    }
