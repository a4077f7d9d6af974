"""natrisk served for real: a seeded database and ``natrisk serve`` in a subprocess.

Used by the tests that need what only a real server has: a uvicorn process that answers
over TCP and can be killed (``kill -9``) in the middle of a burst, then started again on
the same database.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher

from natrisk.io.workbook import load_workbook
from natrisk.services import accounts, workspace
from natrisk.services.access import Actor
from natrisk.store.database import Database

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "nl-2026.yaml"
SECRET_KEY = "natrisk-served-tests-signing-key-0123456789abcdef"
PASSWORD = "served-correct-horse-battery"
SG = "Staatsgeheim Geheim"


@dataclass(frozen=True)
class Seeded:
    """What was stored before the server started: the edition and the analysts' names."""

    edition: int
    analysts: tuple[str, ...]


def seed(url: str, analysts: int = 4) -> Seeded:
    """An administrator, ``analysts`` analysts and the bundled example edition (38 scenarios)."""
    saved = accounts.HASHER
    # cheap hashes (the server verifies them all the same): sign-ins stay quick
    accounts.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    db = Database(url)
    names = tuple(f"analyst{i}" for i in range(analysts))
    try:
        with db.session() as s:
            admin = accounts.add_user(s, "admin", PASSWORD, "example", SG, True)
            for name in names:
                accounts.add_user(s, name, PASSWORD, "example", SG)
            actor = Actor.of(admin)
            edition = workspace.import_workbook(s, EXAMPLE, load_workbook(EXAMPLE), actor).id
            for name in names:
                accounts.set_role(s, actor, edition, name, "analyst")
    finally:
        db.close()
        accounts.HASHER = saved
    return Seeded(edition, names)


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """``python -m natrisk serve`` on 127.0.0.1 in a subprocess (``workers`` web processes)."""

    def __init__(self, url: str, home: Path, workers: int = 1) -> None:
        self.url = url
        self.home = home
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.starts = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def env(self) -> dict[str, str]:
        """The server's environment (its signing key; never the user's own data folder)."""
        env = {
            **os.environ,
            "NATRISK_SECRET_KEY": SECRET_KEY,
            "XDG_DATA_HOME": str(self.home / "data"),
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("NATRISK_DATABASE_URL", None)
        return env

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``natrisk ARGS --database URL`` with the server's environment."""
        return subprocess.run(
            [sys.executable, "-m", "natrisk", *args, "--database", self.url],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )

    def start(self, timeout: float = 60.0) -> None:
        """Start the server (again, on the same database and port) and wait until it answers."""
        self.starts += 1
        self.home.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "natrisk", "serve", "--port", str(self.port)]
        if self.workers > 1:
            cmd += ["--workers", str(self.workers)]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [*cmd, "--database", self.url],
                env=self.env(),
                cwd=self.home,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server stopped:\n{self.log()}")
            try:
                if httpx.get(self.base + "/login", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the server did not answer within {timeout} s:\n{self.log()}")

    @property
    def log_path(self) -> Path:
        return self.home / "server.log"

    def log(self) -> str:
        """What the server printed (all its starts)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def signal_kill(self) -> None:
        """Send ``kill -9`` and return at once: no shutdown, no finishing of requests in flight."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)

    def kill(self) -> None:
        """``kill -9`` (unless the process is gone already) and wait until it is gone."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.signal_kill()
        self.proc.wait(timeout=15)

    def stop(self) -> None:
        """Stop the server politely (SIGTERM), or kill it if it does not go."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def client(self, user: str, timeout: float = 30.0) -> httpx.Client:
        """An HTTP client signed in as ``user``: a bearer token, and the session cookie for pages."""
        r = httpx.post(
            self.base + "/api/login", json={"username": user, "password": PASSWORD}, timeout=30
        )
        assert r.status_code == 200, r.text
        token = r.json()["token"]
        return httpx.Client(
            base_url=self.base,
            headers={"Authorization": f"Bearer {token}"},
            cookies=r.cookies,
            timeout=timeout,
        )

    def web_processes(self) -> list[int]:
        """The process ids of the web processes (the server itself when it has one)."""
        assert self.proc is not None
        if self.workers == 1:
            return [self.proc.pid]
        return children_of(self.proc.pid)

    def pinned(self, timeout: float = 60.0) -> dict[int, http.client.HTTPConnection]:
        """One kept-alive connection to each web process, by its process id.

        The kernel hands a new connection to whichever process accepts it first; a
        connection stays with that process, so a request on it is answered by it.
        """
        found: dict[int, http.client.HTTPConnection] = {}
        spare: list[http.client.HTTPConnection] = []
        deadline = time.monotonic() + timeout
        while len(found) < self.workers and time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                conn.request("GET", "/login")
                conn.getresponse().read()
            except OSError:
                conn.close()
                time.sleep(0.1)
                continue
            pid = self.answering(conn)
            if pid is not None and pid not in found:
                found[pid] = conn
            else:
                spare.append(conn)  # kept open a while: the next connection goes elsewhere
        for conn in spare:
            conn.close()
        if len(found) < self.workers:
            raise RuntimeError(f"reached {len(found)} of {self.workers} web processes")
        return found

    def answering(self, conn: http.client.HTTPConnection) -> int | None:
        """The web process that holds the server's end of ``conn``."""
        assert conn.sock is not None
        inode = _server_inode(self.port, conn.sock.getsockname()[1])
        for pid in self.web_processes():
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            for fd in fds:
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                        return pid
                except OSError:
                    continue
        return None


def children_of(pid: int) -> list[int]:
    """The web processes uvicorn started for ``pid`` (not job workers, not multiprocessing's
    resource tracker)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"multiprocessing.spawn" in cmdline:
            out.append(int(entry))
    return sorted(out)


def _server_inode(server_port: int, client_port: int) -> str:
    """The socket inode of the server's end of the TCP connection from ``client_port``."""
    want_local, want_remote = f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == want_local and fields[2] == want_remote:
            return fields[9]
    raise RuntimeError(f"no connection from port {client_port} to {server_port}")


def call(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, dict[str, str]]:
    """One request on a kept-alive connection: status, parsed JSON (or text), headers."""
    data = json.dumps(body).encode() if body is not None else None
    sent = {**({"Content-Type": "application/json"} if data is not None else {}), **(headers or {})}
    conn.request(method, path, body=data, headers=sent)
    r = conn.getresponse()
    raw = r.read()
    try:
        parsed: Any = json.loads(raw)
    except ValueError:
        parsed = raw.decode(errors="replace")
    return r.status, parsed, {k.lower(): v for k, v in r.getheaders()}


def body(r: httpx.Response) -> Any:
    """The parsed JSON of a response, or its text when it is not JSON."""
    try:
        return r.json()
    except ValueError:
        return r.text
