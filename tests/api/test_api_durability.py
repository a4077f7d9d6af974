"""An acknowledged write is stored: before the answer is sent, and through a crash.

Security review, finding 3: the request's transaction used to be committed in the exit of
a dependency that FastAPI runs after the response has gone out. A client could read its
own write and not find it, and ``kill -9`` could lose a write that had been answered 200.
These tests run the real server (uvicorn in a subprocess, an SQLite file or PostgreSQL),
and, in process, make the commit itself fail to show that the failure is the answer.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import Http, assert_error
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from tests.pg import Cluster
from tests.served import PASSWORD, Seeded, Served, body, seed

from natrisk.api.app import create_app
from natrisk.services.editing import score_key
from natrisk.store.database import Database
from natrisk.store.models import AuditEntry, Comment

CRITERION = "1.2"  # a class-scored criterion of the bundled framework


@pytest.fixture(params=["sqlite", "postgresql"])
def served_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database of each kind for a served natrisk."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'natrisk.db'}"
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database()


@pytest.fixture
def served(served_url: str, tmp_path: Path) -> Iterator[tuple[Served, Seeded]]:
    """The seeded database behind a running ``natrisk serve``."""
    seeded = seed(served_url, analysts=6)
    server = Served(served_url, tmp_path / "home")
    yield server, seeded
    server.stop()


def _scenarios(c: httpx.Client, edition: int) -> list[dict[str, Any]]:
    r = c.get(f"/api/editions/{edition}/scenarios")
    assert r.status_code == 200, r.text
    return list(r.json())


def _version(c: httpx.Client, edition: int, slug: str) -> int:
    r = c.get(f"/api/editions/{edition}/scenarios/{slug}")
    assert r.status_code == 200, r.text
    score = r.json()["scores"].get(CRITERION)
    return int(score["version"]) if score else 0


# ------------------------------------------------------------------ read your own writes


def test_an_answered_write_is_there_when_the_client_reads_it(
    served: tuple[Served, Seeded],
) -> None:
    server, seeded = served
    e = seeded.edition
    writer, reader = server.client("analyst0"), server.client("analyst1")
    with writer, reader:
        slug = _scenarios(writer, e)[0]["id"]
        missing: list[str] = []
        for i in range(40):
            r = writer.post(f"/api/editions/{e}/scenarios/{slug}/comments", json={"body": f"c{i}"})
            assert r.status_code == 201, r.text
            seen = reader.get(f"/api/editions/{e}/scenarios/{slug}/comments").json()
            if r.json()["id"] not in {c["id"] for c in seen}:
                missing.append(f"comment {r.json()['id']}")
        version = _version(writer, e, slug)
        url = f"/api/editions/{e}/scenarios/{slug}/scores/{CRITERION}"
        for i in range(40):
            value = {"class": "BD"[i % 2], "rationale": f"change {i}"}
            r = writer.put(url, json={"value": value, "version": version})
            assert r.status_code == 200, r.text
            version = r.json()["version"]
            got = reader.get(f"/api/editions/{e}/scenarios/{slug}").json()["scores"][CRITERION]
            if (got["version"], got["rationale"]) != (version, f"change {i}"):
                missing.append(f"score version {version} (read {got['version']})")
    assert not missing, f"{len(missing)} of 80 answered writes not readable at once: {missing}"


# ------------------------------------------------------------------ kill -9 during a burst


@dataclass
class Ledger:
    """Every write the server acknowledged, shared by the writer threads.

    The thread whose answer makes ``kill_at`` acknowledgements sends ``kill -9`` at once:
    the moment at which a commit that follows the answer would still be pending.
    """

    kill: Callable[[], None]
    kill_at: int
    scores: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # slug: (version, why)
    comments: dict[int, tuple[str, str]] = field(default_factory=dict)  # id: (slug, body)
    refused: list[str] = field(default_factory=list)  # answers that were neither ack nor 409
    killed: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        return sum(map(len, self.scores.values())) + len(self.comments)

    def score(self, slug: str, version: int, why: str) -> None:
        with self.lock:
            self.scores.setdefault(slug, []).append((version, why))
            self._maybe_kill()

    def comment(self, cid: int, slug: str, text: str) -> None:
        with self.lock:
            self.comments[cid] = (slug, text)
            self._maybe_kill()

    def _maybe_kill(self) -> None:
        if self.count() >= self.kill_at and not self.killed.is_set():
            self.kill()
            self.killed.set()


def _writer(server: Served, user: str, edition: int, slug: str, ledger: Ledger) -> None:
    """Change one score (by version) and comment on its scenario until the server dies."""
    tag = itertools.count()
    url = f"/api/editions/{edition}/scenarios/{slug}"
    try:
        with server.client(user, timeout=10) as c:
            version = _version(c, edition, slug)
            while not ledger.killed.is_set():
                why = f"{user}-{next(tag)}"
                value = {"class": "BCD"[len(why) % 3], "rationale": why}
                r = c.put(f"{url}/scores/{CRITERION}", json={"value": value, "version": version})
                if r.status_code == 200:
                    version = r.json()["version"]
                    assert r.json()["rationale"] == why
                    ledger.score(slug, version, why)
                elif r.status_code == 409:  # the other writer of this score was first
                    version = _version(c, edition, slug)
                else:
                    ledger.refused.append(f"{r.status_code} {body(r)}")
                r = c.post(f"{url}/comments", json={"body": f"comment {why}"})
                if r.status_code == 201:
                    ledger.comment(r.json()["id"], slug, f"comment {why}")
                else:
                    ledger.refused.append(f"{r.status_code} {body(r)}")
    except httpx.TransportError:
        return  # the server was killed: what is in flight has no answer, so no promise


def _burst_and_kill(server: Served, seeded: Seeded, slugs: list[str], writes: int) -> Ledger:
    """Writers on several threads; ``kill -9`` once ``writes`` of them were acknowledged."""
    ledger = Ledger(kill=server.signal_kill, kill_at=writes)
    # two writers share the first score, so versions race as well as queue
    targets = [slugs[0], *slugs[: len(seeded.analysts) - 1]]
    threads = [
        threading.Thread(
            target=_writer, args=(server, user, seeded.edition, slug, ledger), daemon=True
        )
        for user, slug in zip(seeded.analysts, targets, strict=True)
    ]
    for t in threads:
        t.start()
    ledger.killed.wait(timeout=30)
    with ledger.lock:
        count = ledger.count()
    server.kill()  # waits for the process (and kills it if the writers never got there)
    for t in threads:
        t.join(timeout=30)
    assert count >= writes, f"only {count} writes in 30 s:\n{server.log()}"
    return ledger


def _check_after_restart(server: Served, seeded: Seeded, ledger: Ledger) -> None:
    """Every acknowledged write is stored, and audited in an intact chain."""
    e = seeded.edition
    with server.client("admin") as c:
        for slug, acks in ledger.scores.items():
            stored = c.get(f"/api/editions/{e}/scenarios/{slug}").json()["scores"][CRITERION]
            acked = dict(acks)
            top = max(acked)
            assert stored["version"] >= top, (slug, stored["version"], sorted(acked))
            if stored["version"] in acked:  # else a later write committed but was not answered
                assert stored["rationale"] == acked[stored["version"]], (slug, stored)
        stored_comments: dict[int, str] = {}
        for slug in {s for s, _ in ledger.comments.values()}:
            listed = c.get(f"/api/editions/{e}/scenarios/{slug}/comments").json()
            stored_comments |= {x["id"]: x["body"] for x in listed}
        lost = {i: b for i, (_, b) in ledger.comments.items() if stored_comments.get(i) != b}
        assert not lost, f"{len(lost)} acknowledged comments lost: {lost}"
    db = Database(server.url, upgrade=False)
    try:
        with db.session(write=False) as s:
            for slug, acks in ledger.scores.items():
                key = score_key(e, slug, CRITERION)
                entries = s.scalars(select(AuditEntry).where(AuditEntry.key == key))
                audited = {(x.new or {}).get("rationale") for x in entries}
                unaudited = [why for _, why in acks if why not in audited]
                assert not unaudited, f"{slug}: acknowledged but not audited: {unaudited}"
            assert s.scalar(select(Comment.id).limit(1)) is not None
    finally:
        db.close()
    verified = server.cli("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_kill_9_during_a_burst_loses_no_acknowledged_write(
    served: tuple[Served, Seeded],
) -> None:
    server, seeded = served
    with server.client("admin") as c:
        slugs = [x["id"] for x in _scenarios(c, seeded.edition)]
    acknowledged = 0
    for round_ in range(3):  # each round: a burst, kill -9, a restart on the same database
        ledger = _burst_and_kill(server, seeded, slugs[round_ * 6 :], writes=60)
        server.start()
        _check_after_restart(server, seeded, ledger)
        assert not ledger.refused, ledger.refused[:5]
        acknowledged += ledger.count()
    assert acknowledged >= 180


# ------------------------------------------------------------------ the commit itself fails


def _failing_commits(db: Database, error: Exception) -> Any:
    """Make every write session's commit fail with ``error`` (as the database would)."""

    def fail(_session: Any) -> None:
        raise error

    event.listen(db.sessions, "before_commit", fail)
    return lambda: event.remove(db.sessions, "before_commit", fail)


@pytest.mark.parametrize(
    ("error", "status", "kind"),
    [
        (
            StaleDataError("UPDATE statement on table 'scores' expected to update 1 row"),
            409,
            "Conflict",
        ),
        (
            OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked")),
            503,
            "Unavailable",
        ),
    ],
    ids=["lost-race", "database-locked"],
)
def test_a_failed_commit_is_the_answer_never_a_200(
    database: Database, error: Exception, status: int, kind: str
) -> None:
    seeded = seed(str(database.engine.url.render_as_string(hide_password=False)), analysts=1)
    http = Http(create_app(database))
    try:
        login = http.client().post(
            "/api/login", json={"username": "analyst0", "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        analyst = http.client(login.json()["token"])
        e = seeded.edition
        url = f"/api/editions/{e}/scenarios/coastal-flood"
        before = analyst.get(url).json()
        version = before["scores"][CRITERION]["version"]
        restore = _failing_commits(database, error)
        try:
            r = analyst.put(
                f"{url}/scores/{CRITERION}",
                json={"value": {"class": "E", "rationale": "lost"}, "version": version},
            )
            err = assert_error(r, status)
            assert err["type"] == kind, err
            assert "nothing was stored" in err["message"], err
            if status == 503:
                assert r.headers["retry-after"].isdigit()
            r = analyst.post(f"{url}/comments", json={"body": "lost comment"})
            assert_error(r, status)
            # the page of the same form: an error page with the status, not the redirect
            page = http.client()
            page.raw.cookies.update(login.cookies)
            r = page.post(
                f"/editions/{e}/scenarios/coastal-flood/comments",
                data={"body": "lost page comment"},
                headers={"X-CSRF-Token": login.json()["csrf_token"]},
            )
            assert r.status_code == status, (r.status_code, r.text[:300])
            assert "text/html" in r.headers["content-type"]
        finally:
            restore()
        after = analyst.get(url).json()
        assert after == before  # nothing of the three was stored
        assert analyst.get(f"{url}/comments").json() == []
    finally:
        http.close()
