"""Shared fixtures: real databases (an SQLite file and a PostgreSQL server)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from natrisk.store.database import Database
from tests.pg import Cluster, new_identity


@pytest.fixture(scope="session", autouse=True)
def audit_key_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One audit key file for the run, as an operator would configure for server and CLI
    alike (the default, one key file per database in the user's data folder, is tested too)."""
    import os

    path = tmp_path_factory.mktemp("keys") / "audit.key"
    before = os.environ.get("NATRISK_AUDIT_KEY_FILE")
    os.environ["NATRISK_AUDIT_KEY_FILE"] = str(path)
    yield path
    if before is None:
        os.environ.pop("NATRISK_AUDIT_KEY_FILE", None)
    else:
        os.environ["NATRISK_AUDIT_KEY_FILE"] = before


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One PostgreSQL server for the whole run, stopped at the end."""
    cluster = Cluster()
    yield cluster
    cluster.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated once per run, copied for each test that wants a migrated one."""
    path = tmp_path_factory.mktemp("template") / "natrisk.db"
    Database(f"sqlite:///{path}").close()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database of each kind: an SQLite file, and a new PostgreSQL database.

    It is empty, unless the test also asks for ``database``: then it is already at the newest
    schema (a copy of a template migrated once per run, with its own identity and key), so
    the migrations run once per run instead of once per test. The migration tests ask for
    ``db_url`` alone and get an empty database.
    """
    migrated = "database" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "natrisk.db"
        url = f"sqlite:///{path}"
        if migrated:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
            new_identity(url)
        return url
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database(migrated=migrated)


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    """A migrated database of each kind, closed after the test."""
    db = Database(db_url)
    yield db
    db.close()


@pytest.fixture
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters for tests that create many users (the hashes stay argon2)."""
    from argon2 import PasswordHasher

    from natrisk.services import accounts

    monkeypatch.setattr(
        accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    """Empty the per-process caches of edition views and assessments before and after a test.

    They are keyed by edition id, which every fresh test database starts again at 1.
    """
    from natrisk.services import analysis, workspace

    def clear() -> None:
        for module, name in ((workspace, "_VIEWS"), (analysis, "_RESULTS")):
            cache = getattr(module, name, None)
            if cache is not None:
                cache.clear()

    clear()
    yield
    clear()


def pytest_configure(config: pytest.Config) -> None:
    # registered here too, so a run without pytest-xdist knows the mark
    config.addinivalue_line("markers", "xdist_group(name): run these tests in one process")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`make test` runs the suite in two processes (pytest-xdist, ``--dist loadgroup``).

    Each test file is one unit, so its module fixtures start once. The browser tests are one
    unit together: Playwright's synchronous API leaves an event loop in its process, which
    the API tests' clients cannot share, and they keep the order they were written in. In
    several processes that unit, the longest, goes first; in one it stays last.
    """
    web = Path(__file__).parent.resolve() / "web"
    browser: list[pytest.Item] = []
    rest: list[pytest.Item] = []
    for item in items:
        in_browser = web in Path(str(item.path)).resolve().parents
        group = "browser" if in_browser else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))
        (browser if in_browser else rest).append(item)
    if getattr(config.option, "dist", "no") != "no":
        items[:] = browser + rest
