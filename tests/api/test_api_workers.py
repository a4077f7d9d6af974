"""``natrisk serve --workers 2``: several web processes on one database stay one system.

A real server with two web processes (SQLite file and PostgreSQL). Every request goes over a
kept-alive connection whose server end is held by a known process (tests/served.py finds it
in /proc), so each check is made on each process in turn:

- a write answered by one process is read by every process (views, the assessment, the
  compact picture and their ETags are keyed on the edition's version in the database);
- a session opened on one process works on every process, bearer token and cookie with its
  CSRF token alike, and ending it on one ends it on all;
- the sign-in limit is counted in the database: guesses spread over the processes, one by
  one or all at once, are stopped after the same number as on one process.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.pg import Cluster
from tests.served import PASSWORD, Seeded, Served, call, seed

from natrisk.services.accounts import MAX_FAILURES

CRITERION = "1.2"  # a class-scored criterion of the bundled framework
WORKERS = 2


@pytest.fixture(params=["sqlite", "postgresql"])
def served_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'natrisk.db'}"
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database()


@pytest.fixture
def served(served_url: str, tmp_path: Path) -> Iterator[tuple[Served, Seeded]]:
    seeded = seed(served_url, analysts=2)
    server = Served(served_url, tmp_path / "home", workers=WORKERS)
    yield server, seeded
    server.stop()


@pytest.fixture
def pinned(served: tuple[Served, Seeded]) -> Iterator[dict[int, http.client.HTTPConnection]]:
    server, _ = served
    conns = server.pinned()
    assert len(conns) == WORKERS and len(server.web_processes()) == WORKERS
    yield conns
    for conn in conns.values():
        conn.close()


def _login(
    conn: http.client.HTTPConnection, user: str, password: str = PASSWORD
) -> tuple[int, dict]:  # type: ignore[type-arg]
    status, data, _ = call(conn, "POST", "/api/login", {"username": user, "password": password})
    return status, data


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_write_in_one_process_is_read_by_every_process(
    served: tuple[Served, Seeded], pinned: dict[int, http.client.HTTPConnection]
) -> None:
    server, seeded = served
    e = seeded.edition
    pids = list(pinned)
    status, login = _login(pinned[pids[0]], "analyst0")
    assert status == 200, login
    h = _bearer(login["token"])
    status, listing, _ = call(pinned[pids[0]], "GET", f"/api/editions/{e}/scenarios", headers=h)
    slug = listing[0]["id"]
    # every process has the picture cached, with its tag, before the write
    before: dict[int, tuple[str, str]] = {}
    for pid, conn in pinned.items():
        tags = []
        for path in ("assessment", "picture"):
            status, _, headers = call(conn, "GET", f"/api/editions/{e}/{path}", headers=h)
            assert status == 200
            tags.append(headers["etag"])
        before[pid] = (tags[0], tags[1])
        assert server.answering(conn) == pid  # still the same process
    for round_, value in enumerate(["E", "A", "C"]):
        writer = pids[round_ % len(pids)]  # each process writes in turn
        status, scen, _ = call(
            pinned[writer], "GET", f"/api/editions/{e}/scenarios/{slug}", headers=h
        )
        version = scen["scores"].get(CRITERION, {}).get("version", 0)
        status, saved, _ = call(
            pinned[writer],
            "PUT",
            f"/api/editions/{e}/scenarios/{slug}/scores/{CRITERION}",
            {"value": value, "version": version, "reason": "served by one process"},
            h,
        )
        assert status == 200, saved
        for pid, conn in pinned.items():
            status, got, _ = call(conn, "GET", f"/api/editions/{e}/scenarios/{slug}", headers=h)
            assert got["scores"][CRITERION]["class"] == value, (pid, got["scores"][CRITERION])
            tag, picture_tag = before[pid]
            status, result, headers = call(
                conn, "GET", f"/api/editions/{e}/assessment", headers={**h, "If-None-Match": tag}
            )
            assert status == 200, f"process {pid} answered {status} for a stale copy"
            row = next(r for r in result["scenarios"] if r["id"] == slug)
            assert row["criteria"][CRITERION] == value, (pid, row["criteria"][CRITERION])
            status, _, pic_headers = call(
                conn,
                "GET",
                f"/api/editions/{e}/picture",
                headers={**h, "If-None-Match": picture_tag},
            )
            assert status == 200, f"process {pid} answered {status} for a stale picture"
            before[pid] = (headers["etag"], pic_headers["etag"])
        # after the write every process agrees on the tag, and answers 304 to it
        assert len({tag for tag, _ in before.values()}) == 1
        for pid, conn in pinned.items():
            tag = before[pid][0]
            status, _, _ = call(
                conn, "GET", f"/api/editions/{e}/assessment", headers={**h, "If-None-Match": tag}
            )
            assert status == 304, pid


def test_a_session_is_valid_in_every_process(
    served: tuple[Served, Seeded], pinned: dict[int, http.client.HTTPConnection]
) -> None:
    server, seeded = served
    e = seeded.edition
    pids = list(pinned)
    status, login = _login(pinned[pids[0]], "analyst1")
    assert status == 200
    token, csrf = login["token"], login["csrf_token"]
    cookie = {"Cookie": f"natrisk_session={token}"}
    for pid, conn in pinned.items():
        status, me, _ = call(conn, "GET", "/api/me", headers=_bearer(token))
        assert status == 200 and me["username"] == "analyst1", (pid, me)
        status, me, _ = call(conn, "GET", "/api/me", headers=cookie)
        assert status == 200, (pid, me)
        # a write with the cookie needs the session's CSRF token, in every process
        status, listing, _ = call(conn, "GET", f"/api/editions/{e}/scenarios", headers=cookie)
        slug = listing[1]["id"]
        version = listing[1]["scores"].get(CRITERION, {}).get("version", 0)
        url = f"/api/editions/{e}/scenarios/{slug}/scores/{CRITERION}"
        change = {"value": "B" if version % 2 else "D", "version": version}
        status, refused, _ = call(conn, "PUT", url, change, cookie)
        assert status == 403, (pid, refused)
        status, saved, _ = call(conn, "PUT", url, change, {**cookie, "X-CSRF-Token": csrf})
        assert status == 200, (pid, saved)
        status, refused, _ = call(
            conn,
            "PUT",
            url,
            {**change, "version": saved["version"]},
            {**cookie, "X-CSRF-Token": csrf[:-2] + "xx"},
        )
        assert status == 403, (pid, refused)
    # signing out in one process ends the session in all of them
    status, _, _ = call(pinned[pids[-1]], "POST", "/api/logout", headers=_bearer(token))
    assert status == 200
    for pid, conn in pinned.items():
        status, _, _ = call(conn, "GET", "/api/me", headers=_bearer(token))
        assert status == 401, pid
    assert all(server.answering(conn) == pid for pid, conn in pinned.items())


def test_the_sign_in_limit_holds_across_processes_one_by_one(
    served: tuple[Served, Seeded], pinned: dict[int, http.client.HTTPConnection]
) -> None:
    pids = list(pinned)
    statuses = []
    for i in range(MAX_FAILURES + 3):
        conn = pinned[pids[i % len(pids)]]  # the guesses alternate between the processes
        statuses.append(_login(conn, "analyst0", f"wrong-guess-{i:04d}")[0])
    assert statuses == [401] * MAX_FAILURES + [429] * 3, statuses
    for pid, conn in pinned.items():  # the right password is refused too, everywhere
        status, data = _login(conn, "analyst0")
        assert status == 429 and "token" not in data, (pid, data)
    for pid, conn in pinned.items():  # another account is not affected
        assert _login(conn, "analyst1")[0] == 200, pid


def test_the_sign_in_limit_holds_against_guesses_at_the_same_moment(
    served: tuple[Served, Seeded],
) -> None:
    server, _ = served
    guesses = 16
    conns: list[http.client.HTTPConnection] = []
    seen: set[int] = set()
    while len(conns) < guesses or len(seen) < WORKERS:  # spread over both processes
        more = server.pinned()
        seen |= set(more)
        conns += list(more.values())
    owners = {server.answering(c) for c in conns}
    assert len(owners) == WORKERS
    start = threading.Barrier(len(conns))
    statuses: list[int] = []
    lock = threading.Lock()

    def guess(i: int, conn: http.client.HTTPConnection) -> None:
        start.wait()
        status = _login(conn, "analyst1", f"parallel-guess-{i:04d}")[0]
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=guess, args=(i, c)) for i, c in enumerate(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for c in conns:
        c.close()
    assert len(statuses) == len(conns)
    # exactly as many guesses were checked as one process would check; the rest were refused
    assert statuses.count(401) == MAX_FAILURES, sorted(statuses)
    assert statuses.count(429) == len(conns) - MAX_FAILURES, sorted(statuses)
