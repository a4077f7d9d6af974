"""Fixtures of the API tests: a signing key, a cheap password hash, and the world on both databases.

The world (see api_support) is built through the services on a real database of each kind.
``world`` is fresh for every test (for tests that change data); ``shared_world`` is built
once per module and database (for tests that only read, or that prove nothing changed).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import World, build_world
from argon2 import PasswordHasher

from natrisk.services import accounts
from natrisk.store.database import Database

# Argon2 with its default cost takes ~0.1 s per hash; the world creates eight users per
# test on two databases. The tests check behaviour, not the cost, so they hash cheaply.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(scope="module", autouse=True)
def api_environment() -> Iterator[None]:
    """A fixed signing key (never the user's own key file) and a cheap hash, per module."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NATRISK_SECRET_KEY", "natrisk-api-tests-signing-key-0123456789")
        mp.setattr(accounts, "HASHER", CHEAP_HASHER)
        yield


def forget_cached_views() -> None:
    """Empty the process-wide caches of views and assessments.

    They are keyed by (edition id, version, clearance) without the database, so the same
    key in the SQLite and the PostgreSQL world would share an entry (see
    test_api_clearance.py::test_cached_views_do_not_cross_databases). Emptying them between
    tests keeps every other test independent of that bug.
    """
    from natrisk.services import analysis, workspace

    for module, name in ((workspace, "_VIEWS"), (analysis, "_RESULTS")):
        cache = getattr(module, name, None)
        if cache is not None:
            cache.clear()


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    forget_cached_views()
    yield
    forget_cached_views()


@pytest.fixture
def world(database: Database, api_environment: None) -> Iterator[World]:
    """A fresh world on a fresh database of each kind."""
    w = build_world(database)
    yield w
    w.wait_for_runs()
    w.http.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """One database of each kind for a whole module."""
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('api')) / 'natrisk.db'}"
    else:
        url = request.getfixturevalue("pg_cluster").new_database()
    db = Database(url)
    yield db
    db.close()


@pytest.fixture(scope="module")
def shared_world(shared_database: Database, api_environment: None) -> Iterator[World]:
    """The world built once per module and database, with a copy and a finished run of the reader."""
    w = build_world(shared_database, with_copy=True, with_run=True)
    yield w
    w.wait_for_runs()
    w.http.close()
