"""Every route of the OpenAPI schema: refused to the anonymous, and to every role too small.

The table ROUTES says, for each route, how to call it with a valid request on the example
edition and which users may do so. The first test makes the table complete: a route added
to the app and not to the table fails it, so no endpoint escapes these checks.
"""

from __future__ import annotations

import pytest
from api_support import (
    ADMIN_ONLY_GETS,
    ADMINS,
    READER_POSTS,
    ROUTES,
    World,
    assert_error,
    call,
    openapi_routes,
    snapshot,
)


def test_the_table_knows_every_route(shared_world: World) -> None:
    found = openapi_routes(shared_world)
    unknown = found - set(ROUTES)
    gone = set(ROUTES) - found
    assert not unknown, (
        f"routes this test does not know how to call; add them to ROUTES: {sorted(unknown)}"
    )
    assert not gone, f"routes in ROUTES that the app no longer has: {sorted(gone)}"
    assert len(found) >= 31


def test_the_table_gives_the_reader_no_write_and_no_admin_route() -> None:
    for key, route in ROUTES.items():
        if key[0] != "GET" and key not in READER_POSTS and key != ("POST", "/api/login"):
            assert "reader" not in route.allowed, key
        if key in ADMIN_ONLY_GETS:
            assert route.allowed == ADMINS, key


def test_anonymous_requests_are_refused_on_every_route(shared_world: World) -> None:
    w = shared_world
    before = snapshot(w.db)
    for key in sorted(openapi_routes(w)):
        if key == ("POST", "/api/login"):
            continue
        r = call(w, w.anon, key)
        err = assert_error(r, 401)
        assert err["type"] == "Unauthorized", (key, err)
    assert snapshot(w.db) == before


def test_login_is_the_one_anonymous_route(shared_world: World) -> None:
    r = call(shared_world, shared_world.anon, ("POST", "/api/login"))
    assert r.status_code == 200, r.text
    assert r.json()["token"]


@pytest.mark.parametrize(
    "name", ["reader", "reviewer", "expert", "analyst", "coord", "admin1", "admin2"]
)
def test_every_role_is_refused_where_it_is_too_small(shared_world: World, name: str) -> None:
    w = shared_world
    before = snapshot(w.db)
    caller = w.as_(name)
    refused = []
    for key in sorted(openapi_routes(w)):
        if name in ROUTES[key].allowed:
            continue
        r = call(w, caller, key)
        err = assert_error(r, r.status_code)
        assert r.status_code in (403, 404), (key, name, r.status_code, err)
        refused.append(key)
    assert snapshot(w.db) == before, f"a refused request of {name} changed data"
    if name == "reader":  # the lowest role is refused on every write but the exempt ones
        writes = {k for k in ROUTES if k[0] != "GET"} - READER_POSTS - {("POST", "/api/login")}
        assert writes <= set(refused)
        assert set(refused) >= ADMIN_ONLY_GETS


def test_the_reader_may_read_what_it_is_allowed(shared_world: World) -> None:
    w = shared_world
    before = snapshot(w.db)
    for key in sorted(openapi_routes(w)):
        if key[0] == "GET" and "reader" in ROUTES[key].allowed and ROUTES[key].present:
            r = call(w, w.as_("reader"), key)
            assert r.status_code == 200, (key, r.status_code, r.text[:300])
    assert snapshot(w.db) == before


def test_a_reader_may_not_start_a_sensitivity_run(shared_world: World) -> None:
    """A run costs the server minutes: it needs the "run" permission (analysts and up)."""
    w = shared_world
    before = snapshot(w.db)
    key = ("POST", "/api/editions/{edition_id}/sensitivity")
    err = assert_error(call(w, w.as_("reader"), key), 403)
    assert "(run)" in err["message"], err
    assert snapshot(w.db) == before
    # the reader still reads a run on what they may see
    run = w.as_("reader").ok("GET", f"/api/runs/{w.run_id}")
    assert run["status"] == "done", run
