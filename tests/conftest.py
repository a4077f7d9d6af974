"""Shared fixtures: real databases (an SQLite file and a PostgreSQL server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from natrisk.store.database import Database
from tests.pg import Cluster


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


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind: an SQLite file, and a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'natrisk.db'}"
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database()


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
