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

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bindir / tool), *args]
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=self.root)
        if result.returncode != 0:
            log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
            raise RuntimeError(f"{tool} failed: {result.stderr or result.stdout}\n{log}")

    def new_database(self) -> str:
        """A fresh, empty database; its SQLAlchemy URL."""
        self.databases += 1
        name = f"t{self.databases}"
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "natrisk", name)
        return f"postgresql+psycopg://natrisk@127.0.0.1:{self.port}/{name}"

    def close(self) -> None:
        """Stop the server and remove its files."""
        for _ in range(2):
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
                break
            except RuntimeError:
                time.sleep(0.5)
        shutil.rmtree(self.root, ignore_errors=True)
