"""Helpers of the API tests: a synchronous caller over httpx's ASGI transport, and the world.

The world is two organisations with users of every role, the bundled example edition with
classified material planted in it (unique marker strings in every classified field), a
secret edition, an edition of the other organisation, and a copy for diffs. Tests search
every response for the markers: a marker above the caller's clearance must never appear.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import functools
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import yaml
from sqlalchemy import select

from natrisk.api.app import create_app
from natrisk.domain.edition import Workbook
from natrisk.domain.plan import Plan
from natrisk.io.workbook import dump_workbook, load_workbook, parse_workbook
from natrisk.services import accounts, comment_threads, review, runs, workspace
from natrisk.services.access import Actor
from natrisk.services.editing import set_score
from natrisk.services.plan_store import import_plan
from natrisk.services.worker import Worker
from natrisk.store.database import Database
from natrisk.store.models import Base, Job, User

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "nl-2026.yaml"

SG = "Staatsgeheim Geheim"
DV = "Departementaal Vertrouwelijk"

# ---------------------------------------------------------------------------- markers
# Each marker is unique in the world and sits in one classified field. Those of level SG
# need clearance Staatsgeheim Geheim; those of level DV need Departementaal Vertrouwelijk;
# the ORG2 markers belong to the other organisation and no user of org1 may ever see them.
SECRET_SLUG = "MARKER-SLUG-7f3a"
M_TITLE = "MARKER-SECRET-TITLE-7f3a"
M_THEME = "MARKER-SECRET-THEME-7f3a"
M_DESC = "MARKER-SECRET-DESCRIPTION-7f3a"
M_ASSUMPTIONS = "MARKER-SECRET-ASSUMPTIONS-7f3a"
M_LIK_RATIONALE = "MARKER-SECRET-LIKELIHOOD-7f3a"
M_RATIONALE = "MARKER-SECRET-RATIONALE-7f3a"
M_SOURCE = "MARKER-SECRET-SOURCE-7f3a"
M_AUDIT_REASON = "MARKER-SECRET-AUDIT-REASON-7f3a"
M_EDIT_RATIONALE = "MARKER-SECRET-EDITED-RATIONALE-7f3a"
M_COMMENT = "MARKER-COMMENT-GEHEIM-88d0"
M_COMMENT_ON_SECRET = "MARKER-COMMENT-ON-SECRET-88d0"
M_REPLY = "MARKER-REPLY-GEHEIM-88d0"  # a classified reply to a public comment
M_EDITION_TITLE = "MARKER-EDITION-TITLE-0b9e"
M_EDITION_DESC = "MARKER-EDITION-DESCRIPTION-0b9e"
M_EDITION_SCENARIO = "MARKER-EDITION-SCENARIO-0b9e"
M_DV_RATIONALE = "MARKER-DV-RATIONALE-51c2"
M_DV_SOURCE = "MARKER-DV-SOURCE-51c2"
M_DV_EDIT = "MARKER-DV-EDITED-RATIONALE-51c2"
M_DV_REASON = "MARKER-DV-AUDIT-REASON-51c2"
M_ORG2_TITLE = "MARKER-ORG2-TITLE-c4d1"
M_ORG2_SCENARIO = "MARKER-ORG2-SCENARIO-c4d1"

SG_MARKERS = (
    SECRET_SLUG,
    M_TITLE,
    M_THEME,
    M_DESC,
    M_ASSUMPTIONS,
    M_LIK_RATIONALE,
    M_RATIONALE,
    M_SOURCE,
    M_AUDIT_REASON,
    M_EDIT_RATIONALE,
    M_COMMENT,
    M_COMMENT_ON_SECRET,
    M_REPLY,
    M_EDITION_TITLE,
    M_EDITION_DESC,
    M_EDITION_SCENARIO,
)
DV_MARKERS = (M_DV_RATIONALE, M_DV_SOURCE, M_DV_EDIT, M_DV_REASON)
ORG2_MARKERS = (M_ORG2_TITLE, M_ORG2_SCENARIO)
ALL_MARKERS = SG_MARKERS + DV_MARKERS + ORG2_MARKERS

# Text that would break a query built by string concatenation, or a page rendered unescaped.
SQL_PAYLOAD = "'; DROP TABLE scores; --"
SCRIPT_PAYLOAD = "<script>alert(1)</script>"
PAYLOAD = f'{SQL_PAYLOAD} {SCRIPT_PAYLOAD} " ) OR 1=1 -- \\ %s {{x}}'

# ---------------------------------------------------------------------------- users

PASSWORD_SUFFIX = "-correct-horse-battery"


@dataclass(frozen=True)
class Person:
    """A user of the world: name, organisation, clearance, administrator, role on org1's editions."""

    name: str
    org: str
    clearance: str
    admin: bool = False
    role: str | None = None

    @property
    def password(self) -> str:
        return self.name + PASSWORD_SUFFIX


PEOPLE = (
    Person("admin1", "org1", SG, admin=True),
    Person("coord", "org1", DV, role="coordinator"),
    Person("analyst", "org1", DV, role="analyst"),
    Person("analyst2", "org1", DV, role="analyst"),
    Person("expert", "org1", DV, role="expert"),
    Person("reviewer", "org1", DV, role="reviewer"),
    Person("reader", "org1", "Openbaar", role="reader"),
    Person("admin2", "org2", SG, admin=True),
)
PERSON = {p.name: p for p in PEOPLE}
ORG1 = tuple(p.name for p in PEOPLE if p.org == "org1")

# ---------------------------------------------------------------------------- workbooks


@functools.cache
def _example_raw() -> dict[str, Any]:
    return dump_workbook(load_workbook(EXAMPLE))


def example_raw() -> dict[str, Any]:
    """The bundled example as plain workbook data (a fresh copy)."""
    return copy.deepcopy(_example_raw())


EXAMPLE_SCENARIOS = 38  # scenarios in examples/nl-2026.yaml


def planted_book() -> Workbook:
    """The example edition with a secret scenario and a DV-classified rationale planted in it."""
    raw = example_raw()
    flood = next(s for s in raw["scenarios"] if s["id"] == "coastal-flood")
    flood["impacts"]["2.1"] = {
        "quantity": {"min": 400, "max": 3000},
        "rationale": f"Casualty estimate from {M_DV_RATIONALE}",
        "sources": [M_DV_SOURCE],
        "classification": DV,
    }
    raw["scenarios"].append(secret_scenario())
    return parse_workbook(raw, {}, "planted")


def secret_scenario() -> dict[str, Any]:
    """A scenario classified Staatsgeheim Geheim, scored so that it would top any ranking."""
    return {
        "id": SECRET_SLUG,
        "title": f"Operation {M_TITLE}",
        "theme": M_THEME,
        "malicious": True,
        "description": f"What happens: {M_DESC}",
        "assumptions": f"Assuming {M_ASSUMPTIONS}",
        "classification": SG,
        "likelihood": {"class": "E", "rationale": M_LIK_RATIONALE, "sources": [M_SOURCE]},
        "impacts": {
            "1.1": "E",
            "2.1": {
                "quantity": {"min": 10000, "max": 90000},
                "rationale": f"Because {M_RATIONALE}",
                "sources": [M_SOURCE],
                "classification": SG,
            },
            "2.2": "E",
            "3.1": "E",
            "3.2": "E",
            "5.1": "E",
            "5.3": "E",
        },
    }


def small_raw(slug: str, title: str, scenario_title: str = "Small scenario") -> dict[str, Any]:
    """A one-scenario workbook on nl-2019."""
    return {
        "format": "natrisk/1",
        "edition": {"id": slug, "title": title, "framework": "nl-2019"},
        "scenarios": [
            {
                "id": "small-scenario",
                "title": scenario_title,
                "theme": "major-accidents",
                "malicious": False,
                "likelihood": "C",
                "impacts": {"2.1": 30, "3.2": "B", "5.3": "B-C"},
            },
            {
                "id": "second-scenario",
                "title": "Second small scenario",
                "theme": "cyber",
                "malicious": True,
                "likelihood": {"probability": {"min": 0.01, "max": 0.04}},
                "impacts": {"2.2": 200, "3.1": {"min": 1.0e8, "max": 4.0e8}, "5.1": "B"},
            },
        ],
    }


def secret_edition_book() -> Workbook:
    """An edition classified Staatsgeheim Geheim as a whole."""
    raw = small_raw("secret-edition", f"Secret picture {M_EDITION_TITLE}", M_EDITION_SCENARIO)
    raw["edition"]["classification"] = SG
    raw["edition"]["description"] = M_EDITION_DESC
    return parse_workbook(raw, {}, "secret")


def org2_book() -> Workbook:
    """An ordinary public edition of the other organisation."""
    return parse_workbook(
        small_raw("org2-edition", f"Org2 picture {M_ORG2_TITLE}", M_ORG2_SCENARIO), {}, "org2"
    )


# ---------------------------------------------------------------------------- HTTP

T = TypeVar("T")


class Http:
    """Synchronous calls into the ASGI app through httpx's ASGI transport, on a private loop."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self._clients: list[httpx.AsyncClient] = []
        # runs are never executed by the app: a real worker polls the same database (the
        # worker process's loop, on a thread of the tests; tests/store/test_jobs_worker.py
        # runs `natrisk worker` processes)
        self.worker = Worker(app.state.db, name="tests-worker", poll=0.05)
        self._worker = threading.Thread(target=self.worker.poll_table, daemon=True)
        self._worker.start()

    def run(self, coro: Awaitable[T]) -> T:
        return self.loop.run_until_complete(coro)

    def gather(self, *calls: Awaitable[httpx.Response]) -> list[httpx.Response]:
        """Send several requests at the same time; their responses in order."""

        async def _all() -> list[httpx.Response]:
            return list(await asyncio.gather(*calls))

        return self.run(_all())

    def client(
        self,
        token: str | None = None,
        address: str = "127.0.0.1",
        headers: dict[str, str] | None = None,
    ) -> Caller:
        raw = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, client=(address, 50000)),
            base_url="http://test",
            headers={**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})},
        )
        self._clients.append(raw)
        return Caller(self, raw)

    def close(self) -> None:
        self.worker.stop()
        self._worker.join()
        for raw in self._clients:
            self.run(raw.aclose())
        self.run(self.loop.shutdown_asyncgens())
        self.loop.close()


class Caller:
    """One client (its own cookies and headers) of the app."""

    def __init__(self, http: Http, raw: httpx.AsyncClient) -> None:
        self.http = http
        self.raw = raw

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.http.run(self.raw.request(method, url, **kwargs))

    def arequest(self, method: str, url: str, **kwargs: Any) -> Awaitable[httpx.Response]:
        return self.raw.request(method, url, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def ok(self, method: str, url: str, status: int = 200, **kwargs: Any) -> Any:
        """The parsed JSON of a request that must succeed with ``status``."""
        r = self.request(method, url, **kwargs)
        assert r.status_code == status, f"{method} {url}: {r.status_code} {r.text[:500]}"
        return r.json()


# ---------------------------------------------------------------------------- the world


@dataclass
class World:
    """Everything a test needs: database, app, users with tokens, editions by name."""

    db: Database
    http: Http
    tokens: dict[str, str]
    user_ids: dict[str, int]
    pub: int  # the example edition with planted classified material (public as a whole)
    secret: int  # the edition classified Staatsgeheim Geheim
    org2: int  # the edition of the other organisation
    copy: int | None = None  # a copy of pub made by the coordinator, for diffs
    run_id: int | None = None  # a finished sensitivity run on pub's public view (see build_world)
    plan: int | None = None  # a small plan on pub with one measure owned by org1
    _callers: dict[str, Caller] = field(default_factory=dict)

    def as_(self, name: str) -> Caller:
        """A client signed in (bearer token) as the named user."""
        if name not in self._callers:
            self._callers[name] = self.http.client(self.tokens[name])
        return self._callers[name]

    @property
    def anon(self) -> Caller:
        if "" not in self._callers:
            self._callers[""] = self.http.client()
        return self._callers[""]

    def actor(self, name: str) -> Actor:
        with self.db.session() as s:
            user = s.get(User, self.user_ids[name])
            assert user is not None
            return Actor.of(user)

    def wait_for_runs(self, timeout: float = 120.0) -> None:
        """Wait until no run of this database is queued or running (the world's worker runs
        them; the app itself never does)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.db.session() as s:
                busy = s.scalars(select(Job.id).where(Job.status.in_(("queued", "running")))).all()
            if not busy:
                return
            time.sleep(0.05)
        raise AssertionError(f"runs still busy after {timeout} s")


def signed_in_browser(w: World, name: str) -> tuple[Caller, str]:
    """A client signed in through POST /api/login as a browser is (cookies), and its CSRF token."""
    c = w.http.client()
    r = c.post("/api/login", json={"username": name, "password": PERSON[name].password})
    assert r.status_code == 200, r.text
    return c, str(r.json()["csrf_token"])


def build_world(db: Database, with_copy: bool = False, with_run: bool = False) -> World:
    """Users, editions, roles and planted material, stored through the services."""
    ids: dict[str, int] = {}
    tokens: dict[str, str] = {}
    with db.session() as s:
        for p in PEOPLE:
            user = accounts.add_user(s, p.name, p.password, p.org, p.clearance, p.admin)
            ids[p.name] = user.id
            tokens[p.name] = accounts.issue_token(user)
    with db.session() as s:
        admin1 = Actor.of(s.get(User, ids["admin1"]))  # type: ignore[arg-type]
        admin2 = Actor.of(s.get(User, ids["admin2"]))  # type: ignore[arg-type]
        pub = workspace.import_workbook(s, None, planted_book(), admin1).id
        secret = workspace.import_workbook(s, None, secret_edition_book(), admin1).id
        org2 = workspace.import_workbook(s, None, org2_book(), admin2).id
        for edition in (pub, secret):
            for p in PEOPLE:
                if p.role:
                    accounts.set_role(s, admin1, edition, p.name, p.role)
    with db.session() as s:
        # a change to the secret scenario, with a classified reason and rationale
        set_score(
            s,
            admin1,
            pub,
            SECRET_SLUG,
            "5.2",
            {"class": "D", "rationale": M_EDIT_RATIONALE, "classification": SG},
            0,
            M_AUDIT_REASON,
        )
        # a public score given a DV-classified rationale, with a DV-classified reason
        set_score(
            s,
            admin1,
            pub,
            "coastal-flood",
            "2.3",
            {
                "quantity": {"people": 800000, "days": {"min": 7, "max": 30}},
                "rationale": M_DV_EDIT,
                "classification": DV,
            },
            1,
            M_DV_REASON,
        )
        review.add_comment(s, admin1, pub, "coastal-flood", f"Note {M_COMMENT}", "2.1", SG)
        review.add_comment(s, admin1, pub, SECRET_SLUG, M_COMMENT_ON_SECRET, None, None)
        remark = review.add_comment(s, admin1, pub, "coastal-flood", "A public remark", None, None)
        comment_threads.reply(s, admin1, pub, "coastal-flood", remark.id, f"Re {M_REPLY}", SG)
        review.invite(s, admin1, pub, "expert", ["coastal-flood", "river-flood"])
    with db.session() as s:
        expert = Actor.of(s.get(User, ids["expert"]))  # type: ignore[arg-type]
        analyst = Actor.of(s.get(User, ids["analyst"]))  # type: ignore[arg-type]
        review.judge(s, expert, pub, "coastal-flood", "2.1", "B-C", "Expert view, public")
        set_score(s, analyst, pub, "coastal-flood", "5.2", "B", 1, "a public change")
    with db.session() as s:
        plan_id = import_plan(s, admin1, pub, Plan.model_validate(plan_raw("world-plan"))).id
    world = World(db, Http(create_app(db)), tokens, ids, pub, secret, org2, plan=plan_id)
    if with_copy:
        coord = world.actor("coord")
        with db.session() as s:
            world.copy = workspace.copy_edition(s, coord, pub, "nl-example-2027", "Next cycle").id
            for p in PEOPLE:
                if p.role and p.name != "coord":
                    accounts.set_role(s, coord, world.copy, p.name, p.role)
    if with_run:
        # readers may not start runs; an analyst's run on the public view is one every
        # member of pub, the reader too, may read
        public = dataclasses.replace(world.actor("analyst"), clearance=0)
        with db.session() as s:
            run = runs.start(
                s,
                public,
                pub,
                {
                    "samples": 20,
                    "seed": 1,
                    "method": "weighted-sum",
                    "profile": None,
                    "weight_mode": "around",
                },
            )
            world.run_id = run.id
        world.wait_for_runs()
    return world


def plan_raw(plan_id: str, owner: str = "org1") -> dict[str, Any]:
    """A small valid plan for the example edition, with one measure owned by ``owner``."""
    return {
        "format": "natrisk-plan/1",
        "plan": {"id": plan_id, "title": "World plan", "edition": "nl-example-2026"},
        "security_issues": [
            {"id": "floods", "title": "Floods", "lead": "org1", "scenarios": ["coastal-flood"]}
        ],
        "tasks": [{"id": "evac", "title": "Evacuation", "scenarios": {"coastal-flood": 4}}],
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
                "lines": [{"id": "al-1", "title": "Water", "issues": ["floods"]}],
            }
        ],
        "measures": [
            {
                "id": "m1",
                "title": "Dikes",
                "line": "al-1",
                "owner": owner,
                "phase": "prevention",
                "status": "running",
                "indicators": [{"id": "i1", "title": "km", "target": 10}],
            }
        ],
    }


def _plan_file(_: World) -> dict[str, Any]:
    import uuid

    text = yaml.safe_dump(plan_raw(f"p-{uuid.uuid4().hex[:8]}"))
    return {"files": {"file": ("plan.yaml", text.encode(), "application/yaml")}}


def _new_measure(_: World) -> dict[str, Any]:
    import uuid

    return {
        "json": {
            "id": f"m-{uuid.uuid4().hex[:8]}",
            "title": "New",
            "line": "al-1",
            "owner": "org1",
            "phase": "prevention",
        }
    }


_WEIGHING = {
    "integrated": {"answer": True, "rationale": "r"},
    "sufficient": {"answer": False, "rationale": "r"},
}
_REPORT = {"id": "r1", "scope": {"line": "al-1"}, "date": "2026-01-01", "verdict": "adjust"}

# ---------------------------------------------------------------------------- the routes

ADMINS = frozenset({"admin1", "admin2"})
EVERYONE = frozenset(ORG1) | {"admin2"}
MEMBERS = frozenset(ORG1)  # every user of org1 has a role on the example edition
COORDINATORS = frozenset({"admin1", "coord"})
EDITORS = COORDINATORS | {"analyst", "analyst2"}
COMMENTERS = EDITORS | {"reviewer"}
JUDGES = frozenset({"expert"})

# POST routes that a reader may use: signing out ends one's own session. (A sensitivity run
# costs the server minutes: it needs the "run" permission, which readers do not have.)
READER_POSTS = {
    ("POST", "/api/logout"),
    ("POST", "/api/me/password"),
    ("DELETE", "/api/sessions/{sign_in_id}"),
    ("POST", "/api/editions/empty"),  # anyone starts an empty edition of their organisation
    ("POST", "/api/feed-tokens"),  # one's own feed token, to read feeds without a session
    ("DELETE", "/api/feed-tokens/{token_id}"),
}
ADMIN_ONLY_GETS = {("GET", "/api/users"), ("GET", "/api/audit/verify"), ("GET", "/api/frameworks")}


def _framework_document(_: World) -> dict[str, Any]:
    """The bundled nl-2019 framework under a new id, as a YAML body."""
    import uuid

    raw = yaml.safe_load((ROOT / "src" / "natrisk" / "frameworks" / "nl-2019.yaml").read_text())
    raw["id"] = f"fw-{uuid.uuid4().hex[:8]}"
    return {"content": yaml.safe_dump(raw), "headers": {"content-type": "application/yaml"}}


def _upload(_: World) -> dict[str, Any]:
    text = yaml.safe_dump(small_raw("intruder-upload", "Intruder upload"))
    return {"files": {"file": ("intruder.yaml", text.encode(), "application/yaml")}}


def _empty_edition(_: World) -> dict[str, Any]:
    import uuid

    slug = f"empty-{uuid.uuid4().hex[:8]}"
    return {"json": {"slug": slug, "title": "Empty", "framework": "nl-2019"}}


def _new_scenario(_: World) -> dict[str, Any]:
    return {
        "json": {
            "id": "intruder-scenario",
            "title": "Intruder",
            "theme": "cyber",
            "likelihood": "B",
        }
    }


@dataclass(frozen=True)
class Route:
    """How to call one route validly, and who may."""

    allowed: frozenset[str]
    body: Callable[[World], dict[str, Any]] = lambda _: {}
    fill: dict[str, str] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    # False where the world holds no such object (a signal, a scan, a trend set, a deep-dive,
    # a feed token): the sweep then proves refusals only; the kind's own tests read it
    present: bool = True


SIGNALERS = MEMBERS - {"reader"}  # the "signal" permission: any role but reader
GONE = "2147483647"  # an id no object has


def _signal(_: World) -> dict[str, Any]:
    return {
        "json": {
            "id": "intruder-signal",
            "title": "Intruder signal",
            "description": "x",
            "observed": "2026-11-01",
            "themes": ["cyber"],
            "horizon": "short",
        }
    }


ROUTES: dict[tuple[str, str], Route] = {
    ("POST", "/api/login"): Route(
        EVERYONE,
        lambda _: {"json": {"username": "reader", "password": PERSON["reader"].password}},
    ),
    ("POST", "/api/logout"): Route(EVERYONE),
    ("GET", "/api/me"): Route(EVERYONE),
    ("GET", "/api/search"): Route(EVERYONE, query={"q": "flood"}),
    ("GET", "/api/sessions"): Route(EVERYONE),
    # one's own session only: another user's id is 'not found', so a valid call needs the
    # caller's own session id (tests that end sessions make their own)
    ("DELETE", "/api/sessions/{sign_in_id}"): Route(EVERYONE, fill={"sign_in_id": "2147483647"}),
    ("POST", "/api/me/password"): Route(
        EVERYONE,
        lambda _: {"json": {"current_password": "not-the-password-x", "new_password": "x" * 12}},
    ),
    ("GET", "/api/users"): Route(ADMINS),
    ("POST", "/api/users"): Route(
        ADMINS,
        lambda _: {
            "json": {
                "username": "intruder-user",
                "password": "intruder-password-123",
                "clearance": "Openbaar",
            }
        },
    ),
    ("GET", "/api/organisations"): Route(EVERYONE),
    ("GET", "/api/editions"): Route(EVERYONE),
    ("POST", "/api/editions"): Route(
        ADMINS | EDITORS, lambda _: {"json": small_raw("intruder-edition", "Intruder")}
    ),
    ("POST", "/api/editions/upload"): Route(ADMINS | EDITORS, _upload),
    ("POST", "/api/editions/{edition_id}/replace"): Route(EDITORS, _upload),
    ("GET", "/api/editions/{edition_id}"): Route(MEMBERS),
    ("GET", "/api/editions/{edition_id}/export"): Route(MEMBERS, query={"format": "yaml"}),
    ("POST", "/api/editions/{edition_id}/transition"): Route(
        COORDINATORS, lambda _: {"json": {"to": "review", "reason": "intruder"}}
    ),
    ("POST", "/api/editions/{edition_id}/copy"): Route(
        COORDINATORS, lambda _: {"json": {"slug": "intruder-copy", "title": "Intruder copy"}}
    ),
    ("PUT", "/api/editions/{edition_id}/members/{username}"): Route(
        COORDINATORS, lambda _: {"json": {"role": "coordinator"}}, fill={"username": "reader"}
    ),
    ("GET", "/api/editions/{edition_id}/scenarios"): Route(MEMBERS),
    ("GET", "/api/editions/{edition_id}/scenarios/{slug}"): Route(MEMBERS),
    ("PUT", "/api/editions/{edition_id}/scenarios/{slug}/likelihood"): Route(
        EDITORS, lambda _: {"json": {"value": "E", "version": 1, "reason": "intruder"}}
    ),
    ("PUT", "/api/editions/{edition_id}/scenarios/{slug}/scores/{criterion}"): Route(
        EDITORS, lambda _: {"json": {"value": "E", "version": 1, "reason": "intruder"}}
    ),
    ("GET", "/api/editions/{edition_id}/scenarios/{slug}/scores/{criterion}/history"): Route(
        MEMBERS
    ),
    ("POST", "/api/editions/{edition_id}/invitations"): Route(
        COORDINATORS, lambda _: {"json": {"expert": "expert", "scenarios": ["heatwave-drought"]}}
    ),
    ("PUT", "/api/editions/{edition_id}/scenarios/{slug}/judgements/{criterion}"): Route(
        JUDGES, lambda _: {"json": {"class": "E", "rationale": "intruder"}}
    ),
    ("GET", "/api/editions/{edition_id}/scenarios/{slug}/judgements"): Route(MEMBERS),
    ("POST", "/api/editions/{edition_id}/scenarios/{slug}/comments"): Route(
        COMMENTERS, lambda _: {"json": {"body": "intruder comment"}}
    ),
    ("GET", "/api/editions/{edition_id}/scenarios/{slug}/comments"): Route(MEMBERS),
    # comment 3 is the world's public remark by admin1: a reviewer may answer it, but only
    # its author, an analyst or a coordinator resolves or reopens it
    ("POST", "/api/editions/{edition_id}/scenarios/{slug}/comments/{comment_id}/replies"): Route(
        COMMENTERS, lambda _: {"json": {"body": "intruder reply"}}, fill={"comment_id": "3"}
    ),
    ("POST", "/api/editions/{edition_id}/scenarios/{slug}/comments/{comment_id}/resolve"): Route(
        EDITORS, lambda _: {"json": {"version": 1}}, fill={"comment_id": "3"}
    ),
    ("POST", "/api/editions/{edition_id}/scenarios/{slug}/comments/{comment_id}/reopen"): Route(
        EDITORS, lambda _: {"json": {"version": 1}}, fill={"comment_id": "3"}
    ),
    ("GET", "/api/editions/{edition_id}/diff/{other_id}"): Route(MEMBERS),
    ("GET", "/api/editions/{edition_id}/assessment"): Route(MEMBERS, query={"method": "medal"}),
    ("GET", "/api/editions/{edition_id}/diagram.{fmt}"): Route(MEMBERS, fill={"fmt": "json"}),
    ("GET", "/api/editions/{edition_id}/picture"): Route(MEMBERS),
    ("POST", "/api/editions/{edition_id}/sensitivity"): Route(
        EDITORS, lambda _: {"json": {"samples": 20}}
    ),
    ("GET", "/api/runs/{run_id}"): Route(MEMBERS),
    ("GET", "/api/editions/{edition_id}/report.{fmt}"): Route(
        MEMBERS, fill={"fmt": "html"}, query={"samples": 100}
    ),
    ("GET", "/api/audit/verify"): Route(ADMINS),
    ("GET", "/api/frameworks"): Route(ADMINS),
    ("POST", "/api/frameworks"): Route(ADMINS, _framework_document),
    ("GET", "/api/editions/{edition_id}/plans"): Route(MEMBERS),
    ("POST", "/api/editions/{edition_id}/plans"): Route(EDITORS, _plan_file),
    ("GET", "/api/plans/{plan_id}"): Route(MEMBERS),
    ("GET", "/api/plans/{plan_id}/export.yaml"): Route(MEMBERS),
    ("GET", "/api/plans/{plan_id}/export.xlsx"): Route(MEMBERS),
    ("GET", "/api/plans/{plan_id}/analysis"): Route(MEMBERS),
    ("GET", "/api/plans/{plan_id}/capabilities/{capability}"): Route(MEMBERS),
    ("GET", "/api/plans/{plan_id}/coverage"): Route(MEMBERS),
    ("PUT", "/api/plans/{plan_id}/capabilities/{capability}/levels"): Route(
        EDITORS, lambda _: {"json": {"levels": {"people": 3}, "version": 1}}
    ),
    ("PUT", "/api/plans/{plan_id}/weighings/{issue}"): Route(
        EDITORS, lambda _: {"json": _WEIGHING}, query={"version": 1}
    ),
    ("POST", "/api/plans/{plan_id}/reports"): Route(
        EDITORS, lambda _: {"json": _REPORT}, query={"version": 1}
    ),
    ("GET", "/api/plans/{plan_id}/measures"): Route(MEMBERS),
    ("POST", "/api/plans/{plan_id}/measures"): Route(EDITORS, _new_measure),
    ("PUT", "/api/plans/{plan_id}/measures/{measure}"): Route(
        EDITORS,
        lambda _: {
            "json": {"title": "Dikes", "line": "al-1", "owner": "org1", "phase": "prevention"}
        },
        query={"version": 1},
    ),
    ("POST", "/api/plans/{plan_id}/measures/{measure}/progress"): Route(
        EDITORS, lambda _: {"json": {"status": "running", "note": "n", "version": 1}}
    ),
    ("GET", "/api/plans/{plan_id}/targets"): Route(MEMBERS),
    ("GET", "/api/plans/{plan_id}/calendar"): Route(MEMBERS),
    ("GET", "/api/plans/{plan_id}/strategies"): Route(MEMBERS),
    ("POST", "/api/plans/{plan_id}/next-cycle"): Route(
        COORDINATORS, lambda w: {"json": {"edition": w.secret, "slug": "next-plan"}}
    ),
    ("GET", "/api/plans/{plan_id}/review.{fmt}"): Route(MEMBERS, fill={"fmt": "html"}),
    ("POST", "/api/editions/empty"): Route(EVERYONE, _empty_edition),
    ("PATCH", "/api/editions/{edition_id}"): Route(
        COORDINATORS, lambda _: {"json": {"title": "Intruder title"}}
    ),
    ("GET", "/api/editions/{edition_id}/members"): Route(COORDINATORS),
    ("DELETE", "/api/editions/{edition_id}/members/{username}"): Route(
        COORDINATORS, fill={"username": "reader"}
    ),
    ("POST", "/api/editions/{edition_id}/scenarios"): Route(EDITORS, _new_scenario),
    ("PATCH", "/api/editions/{edition_id}/scenarios/{slug}"): Route(
        EDITORS, lambda _: {"json": {"title": "Intruder", "version": 1}}
    ),
    ("POST", "/api/editions/{edition_id}/scenarios/{slug}/duplicate"): Route(
        EDITORS, lambda _: {"json": {"id": "intruder-duplicate"}}
    ),
    ("POST", "/api/editions/{edition_id}/scenarios/{slug}/withdraw"): Route(
        EDITORS, lambda _: {"json": {"version": 1}}
    ),
    ("POST", "/api/editions/{edition_id}/scenarios/{slug}/restore"): Route(
        EDITORS, lambda _: {"json": {"version": 1}}
    ),
    ("GET", "/api/editions/{edition_id}/scenarios/{slug}/history"): Route(MEMBERS),
    ("PATCH", "/api/users/{username}"): Route(
        ADMINS, lambda _: {"json": {"active": False}}, fill={"username": "reader"}
    ),
    ("POST", "/api/users/{username}/reset"): Route(ADMINS, fill={"username": "reader"}),
    ("POST", "/api/organisations"): Route(
        ADMINS, lambda _: {"json": {"slug": "intruder-org", "name": "Intruder"}}
    ),
    # how threats combine (issue 12)
    ("GET", "/api/editions/{edition_id}/cascades"): Route(MEMBERS, query={"samples": 50}),
    ("GET", "/api/editions/{edition_id}/cascades/{slug}"): Route(MEMBERS, query={"samples": 50}),
    ("GET", "/api/editions/{edition_id}/cascades-diagram.{fmt}"): Route(
        MEMBERS, fill={"fmt": "json"}, query={"samples": 50}
    ),
    ("GET", "/api/editions/{edition_id}/cascades/{slug}/butterfly.{fmt}"): Route(
        MEMBERS, fill={"fmt": "json"}, query={"samples": 50}
    ),
    ("GET", "/api/editions/{edition_id}/variants"): Route(MEMBERS),
    ("GET", "/api/editions/{edition_id}/compounds"): Route(MEMBERS, query={"samples": 50}),
    ("GET", "/api/editions/{edition_id}/rollup"): Route(MEMBERS),
    ("GET", "/api/editions/{edition_id}/rollup-heatmap.{fmt}"): Route(
        MEMBERS,
        fill={"fmt": "json"},
        present=False,  # no regional edition in this world
    ),
    ("POST", "/api/editions/{edition_id}/cascade-runs"): Route(
        EDITORS, lambda _: {"json": {"samples": 20}}
    ),
    ("POST", "/api/editions/{edition_id}/report-runs"): Route(
        EDITORS, lambda _: {"json": {"format": "html", "samples": 100}}
    ),
    ("POST", "/api/import-runs"): Route(ADMINS | EDITORS, _upload),
    ("GET", "/api/runs"): Route(EVERYONE),
    ("GET", "/api/runs/{run_id}/output"): Route(MEMBERS, present=False),
    ("POST", "/api/runs/{run_id}/cancel"): Route(ADMINS, fill={"run_id": GONE}, present=False),
    ("POST", "/api/runs/{run_id}/retry"): Route(ADMINS, fill={"run_id": GONE}, present=False),
    # signals, scans and feeds (issue 11)
    ("GET", "/api/editions/{edition_id}/signals"): Route(MEMBERS),
    ("POST", "/api/editions/{edition_id}/signals"): Route(SIGNALERS, _signal),
    ("POST", "/api/editions/{edition_id}/signals/upload"): Route(SIGNALERS, _upload),
    ("GET", "/api/editions/{edition_id}/signals-file"): Route(MEMBERS, query={"format": "yaml"}),
    ("GET", "/api/editions/{edition_id}/signals/{slug}"): Route(MEMBERS, present=False),
    ("PATCH", "/api/editions/{edition_id}/signals/{slug}"): Route(
        SIGNALERS, lambda _: {"json": {"version": 1, "title": "Intruder"}}, present=False
    ),
    ("GET", "/api/editions/{edition_id}/signals/{slug}/history"): Route(MEMBERS, present=False),
    ("POST", "/api/editions/{edition_id}/signals/{slug}/assessment"): Route(
        EDITORS,
        lambda _: {"json": {"version": 1, "strength": "weak", "direction": "stable"}},
        present=False,
    ),
    ("POST", "/api/editions/{edition_id}/signals/{slug}/status"): Route(
        EDITORS, lambda _: {"json": {"version": 1, "to": "assessed"}}, present=False
    ),
    ("GET", "/api/editions/{edition_id}/clusters"): Route(MEMBERS),
    ("GET", "/api/editions/{edition_id}/clusters/proposed"): Route(MEMBERS),
    ("POST", "/api/editions/{edition_id}/clusters"): Route(
        EDITORS, lambda _: {"json": {"signals": ["a", "b"]}}, present=False
    ),
    ("POST", "/api/editions/{edition_id}/clusters/merge"): Route(
        EDITORS, lambda _: {"json": {"clusters": ["a", "b"]}}, present=False
    ),
    ("POST", "/api/editions/{edition_id}/clusters/{slug}/split"): Route(
        EDITORS, lambda _: {"json": {"signals": ["a"], "version": 1}}, present=False
    ),
    ("DELETE", "/api/editions/{edition_id}/clusters/{slug}"): Route(
        EDITORS, query={"version": 1}, present=False
    ),
    ("GET", "/api/editions/{edition_id}/scans"): Route(MEMBERS),
    ("POST", "/api/editions/{edition_id}/scans"): Route(
        EDITORS,
        lambda _: {
            "json": {
                "id": "intruder-scan",
                "title": "Intruder",
                "start": "2026-01-01",
                "end": "2026-06-30",
            }
        },
        present=False,
    ),
    ("PATCH", "/api/editions/{edition_id}/scans/{slug}"): Route(
        EDITORS, lambda _: {"json": {"version": 1, "title": "Intruder"}}, present=False
    ),
    ("POST", "/api/editions/{edition_id}/scans/{slug}/adopt"): Route(
        COORDINATORS, lambda _: {"json": {"version": 1}}, present=False
    ),
    ("GET", "/api/editions/{edition_id}/scans/{slug}/picture"): Route(MEMBERS, present=False),
    ("GET", "/api/editions/{edition_id}/scans/{slug}/report"): Route(MEMBERS, present=False),
    ("GET", "/api/feeds/{edition_id}/themes/{theme}.atom"): Route(MEMBERS, fill={"theme": "cyber"}),
    ("GET", "/api/feeds/{edition_id}/escalated.cap"): Route(MEMBERS),
    ("GET", "/api/feed-tokens"): Route(EVERYONE),
    ("POST", "/api/feed-tokens"): Route(
        EVERYONE, lambda _: {"json": {"label": "intruder"}}, present=False
    ),
    ("DELETE", "/api/feed-tokens/{token_id}"): Route(
        EVERYONE, fill={"token_id": GONE}, present=False
    ),
    # trends and deep-dives (issue 11)
    ("GET", "/api/editions/{edition_id}/trend-sets"): Route(MEMBERS),
    ("POST", "/api/editions/{edition_id}/trend-sets"): Route(
        EDITORS,
        lambda _: {
            "files": {
                "file": (
                    "trends.yaml",
                    (ROOT / "examples" / "trends-2026.yaml").read_bytes(),
                    "application/yaml",
                )
            }
        },
        present=False,
    ),
    ("GET", "/api/trend-sets/{set_id}"): Route(MEMBERS, fill={"set_id": GONE}, present=False),
    ("GET", "/api/trend-sets/{set_id}/analysis"): Route(
        MEMBERS, fill={"set_id": GONE}, present=False
    ),
    ("GET", "/api/trend-sets/{set_id}/export.{fmt}"): Route(
        MEMBERS, fill={"set_id": GONE, "fmt": "yaml"}, present=False
    ),
    ("GET", "/api/trend-sets/{set_id}/report"): Route(
        MEMBERS, fill={"set_id": GONE}, present=False
    ),
    ("PATCH", "/api/trend-sets/{set_id}/trends/{slug}"): Route(
        EDITORS,
        lambda _: {"json": {"version": 1, "changes": {"direction": "rising"}}},
        fill={"set_id": GONE},
        present=False,
    ),
    ("GET", "/api/editions/{edition_id}/deepdives"): Route(MEMBERS),
    ("POST", "/api/editions/{edition_id}/deepdives"): Route(
        EDITORS,
        lambda _: {"json": yaml.safe_load((ROOT / "examples" / "deepdive-2026.yaml").read_text())},
        present=False,
    ),
    ("GET", "/api/deepdives/{dd_id}"): Route(MEMBERS, fill={"dd_id": GONE}, present=False),
    ("PATCH", "/api/deepdives/{dd_id}"): Route(
        EDITORS,
        lambda _: {"json": {"version": 1, "changes": {"question": "x"}}},
        fill={"dd_id": GONE},
        present=False,
    ),
    ("POST", "/api/deepdives/{dd_id}/scenarios/{proposal}"): Route(
        EDITORS, fill={"dd_id": GONE, "proposal": "x"}, present=False
    ),
    ("GET", "/api/editions/{edition_id}/scenarios/{slug}/origin"): Route(MEMBERS),
}


SCENARIO_ROUTES = [key for key in ROUTES if "{slug}" in key[1]]
EDITION_ROUTES = [key for key in ROUTES if "{edition_id}" in key[1]]


def openapi_routes(world: World) -> set[tuple[str, str]]:
    """Every (method, path) the app's OpenAPI schema lists."""
    schema = world.anon.ok("GET", "/openapi.json")
    return {(m.upper(), path) for path, ops in schema["paths"].items() for m in ops}


def call(world: World, caller: Caller, key: tuple[str, str], **values: Any) -> httpx.Response:
    """Send the route's valid request (on the example edition unless ``values`` say otherwise)."""
    method, path = key
    route = ROUTES[key]
    fill = {
        "edition_id": world.pub,
        "slug": "coastal-flood",
        "criterion": "1.2",
        "username": "analyst2",
        "other_id": world.copy,
        "run_id": world.run_id,
        "plan_id": world.plan,
        "capability": "buses",
        "issue": "floods",
        "measure": "m1",
        **route.fill,
        **values,
    }
    url = path.format(**fill)
    return caller.request(method, url, params=route.query, **route.body(world))


# ---------------------------------------------------------------------------- checks


def snapshot(
    db: Database, skip: Iterable[str] = ("login_attempts", "sign_ins", "sign_in_limits")
) -> dict[str, list[Any]]:
    """Every row of every table (but sign-in bookkeeping), to prove that nothing changed."""
    out: dict[str, list[Any]] = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(r) for r in rows]
    return out


def assert_error(r: httpx.Response, status: int) -> dict[str, Any]:
    """The response is the API's one error shape with this status; its error object."""
    assert r.status_code == status, f"expected {status}, got {r.status_code}: {r.text[:500]}"
    assert r.headers["content-type"].startswith("application/json"), r.headers
    body = r.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert {"status", "type", "message"} <= set(err), err
    assert set(err) <= {"status", "type", "message", "problems"}, err
    assert err["status"] == status, err
    assert isinstance(err["type"], str) and err["type"], err
    assert isinstance(err["message"], str) and err["message"].strip(), err
    return err


def markers_in(data: bytes, markers: Iterable[str]) -> list[str]:
    """The markers found in a response body (also in JSON's escaped form)."""
    return [m for m in markers if m.encode() in data]
