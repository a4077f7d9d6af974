"""A throw-away PostgreSQL cluster for the tests: Debian's server, 127.0.0.1, a free port.

PostgreSQL refuses to run as root, so when the tests run as root (as CI does) the cluster
is created and run as the 'postgres' system user that Debian's package adds.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def new_identity(url: str) -> None:
    """Give a copied database the identity and key a migration gives each new database."""
    import secrets
    import uuid

    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE instance SET uid = :uid, secret = :secret"),
            {"uid": uuid.uuid4().hex, "secret": secrets.token_urlsafe(48)},
        )
    engine.dispose()


class Cluster:
    """initdb, start, create a database; stop and delete on close."""

    def __init__(self) -> None:
        bindir = _bindir()
        if bindir is None:
            raise RuntimeError(
                "PostgreSQL is not installed; `make test` installs it (Debian package postgresql)"
            )
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="natrisk-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_user = "postgres" if os.geteuid() == 0 else None
        if self.as_user:
            pw = pwd.getpwnam(self.as_user)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "natrisk",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-w",
            "-t",
            "60",
            "start",
            "-o",
            f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off -c max_connections=200",
        )
        self.databases = 0
        self._template: str | None = None

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bindir / tool), *args]
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=self.root)
        if result.returncode != 0:
            log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
            raise RuntimeError(f"{tool} failed: {result.stderr or result.stdout}\n{log}")

    def _createdb(self, name: str, *options: str) -> None:
        self._run(
            "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "natrisk", *options, name
        )

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://natrisk@127.0.0.1:{self.port}/{name}"

    def new_database(self, migrated: bool = False) -> str:
        """A fresh database, empty or (``migrated``) at the newest schema; its SQLAlchemy URL.

        A migrated one is a copy of a template migrated once per run (``createdb -T``), with
        an identity and key of its own, as a freshly migrated database would have.
        """
        self.databases += 1
        name = f"t{self.databases}"
        self._createdb(name, *(("-T", self._migrated_template()) if migrated else ()))
        url = self.url(name)
        if migrated:
            new_identity(url)
        return url

    def _migrated_template(self) -> str:
        if self._template is None:
            from natrisk.store.database import Database

            name = "natrisk_template"
            self._createdb(name)
            Database(self.url(name)).close()
            self._template = name
        return self._template

    def close(self) -> None:
        """Stop the server and remove its files."""
        for _ in range(2):
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
                break
            except RuntimeError:
                time.sleep(0.5)
        shutil.rmtree(self.root, ignore_errors=True)
