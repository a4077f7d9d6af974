"""A 5,000-digit number sent to a real server: 400 in the error shape, and the connection kept.

``natrisk serve`` runs in a subprocess on a seeded SQLite file; one HTTP/1.1 connection
(http.client) carries every request, so a crash (a bare 500 that closes the connection)
shows as a new socket. Workbooks and plans in YAML, JSON and XLSX, a JSON request body and
the browser's import page all go through it.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import yaml
from api_support import EXAMPLE
from tests.io.long_number_inputs import (
    EXAMPLE_PLAN,
    HUGE_LINE,
    huge_json,
    huge_plan_yaml,
    huge_workbook_yaml,
    plan_xlsx,
    workbook_xlsx,
)

from natrisk.io.workbook import load_workbook
from natrisk.services import accounts, workspace
from natrisk.services.access import Actor
from natrisk.store.database import Database

PASSWORD = "huge-numbers-correct-horse"
KEY = "natrisk-huge-number-tests-signing-key-0123456789"


@dataclass
class Live:
    """A server, one open connection to it, and the administrator's credentials."""

    conn: http.client.HTTPConnection
    token: str
    cookie: str
    csrf: str
    edition: int
    tmp: Path

    def send(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        self.conn.request(method, path, body=body, headers=headers)
        r = self.conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()


def _port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    home = tmp_path_factory.mktemp("huge")
    url = f"sqlite:///{home / 'natrisk.db'}"
    db = Database(url)
    with db.session() as s:
        admin = accounts.add_user(s, "admin", PASSWORD, "org1", "Staatsgeheim Geheim", True)
        edition = workspace.import_workbook(s, EXAMPLE, load_workbook(EXAMPLE), Actor.of(admin)).id
    db.close()
    port = _port()
    env = {**os.environ, "NATRISK_SECRET_KEY": KEY, "XDG_DATA_HOME": str(home / "xdg")}
    env.pop("NATRISK_DATABASE_URL", None)
    log = (home / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "natrisk", "serve", "--port", str(port), "--database", url],
        env=env,
        cwd=home,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        conn = _connect(port, proc, home)
        conn.request(
            "POST",
            "/api/login",
            body=json.dumps({"username": "admin", "password": PASSWORD}),
            headers={"content-type": "application/json"},
        )
        r = conn.getresponse()
        body = json.loads(r.read())
        assert r.status == 200, body
        jar = SimpleCookie()
        for header in r.headers.get_all("set-cookie") or []:
            jar.load(header)
        cookie = "; ".join(f"{k}={m.value}" for k, m in jar.items())
        yield Live(conn, body["token"], cookie, body["csrf_token"], edition, home)
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


def _connect(port: int, proc: subprocess.Popen[bytes], home: Path) -> http.client.HTTPConnection:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((home / "server.log").read_text(errors="replace"))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request("GET", "/openapi.json")
            conn.getresponse().read()
            return conn
        except OSError:
            conn.close()
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = f"natrisk-{uuid.uuid4().hex}"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return (
        head + data + f"\r\n--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )


def _plan_raw() -> object:
    return yaml.safe_load(EXAMPLE_PLAN.read_text(encoding="utf-8"))


def _book_raw() -> object:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


# name -> (path, the file's name, its bytes)
UPLOADS: dict[str, tuple[str, str, Callable[[Path], bytes]]] = {
    "workbook.yaml": ("/api/editions/upload", "book.yaml", lambda _: huge_workbook_yaml().encode()),
    "workbook.json": (
        "/api/editions/upload",
        "book.json",
        lambda _: huge_json(_book_raw()).encode(),
    ),
    "workbook.xlsx": ("/api/editions/upload", "book.xlsx", workbook_xlsx),
    "plan.yaml": (
        "/api/editions/{edition}/plans",
        "plan.yaml",
        lambda _: huge_plan_yaml().encode(),
    ),
    "plan.json": (
        "/api/editions/{edition}/plans",
        "plan.json",
        lambda _: huge_json(_plan_raw()).encode(),
    ),
    "plan.xlsx": ("/api/editions/{edition}/plans", "plan.xlsx", lambda _: plan_xlsx()),
}


def assert_kept(live: Live, sock: object) -> None:
    """The connection that carried the refusal is the one that answers next."""
    status, _, body = live.send("GET", "/api/me", b"", {"authorization": f"Bearer {live.token}"})
    assert status == 200, body[:300]
    assert live.conn.sock is sock, "the server closed the connection"


@pytest.mark.parametrize("name", sorted(UPLOADS))
def test_an_upload_with_a_huge_number_is_a_located_400(live: Live, name: str) -> None:
    path, filename, make = UPLOADS[name]
    body, kind = multipart(filename, make(live.tmp))
    sock = live.conn.sock
    status, headers, raw = live.send(
        "POST",
        path.format(edition=live.edition),
        body,
        {"authorization": f"Bearer {live.token}", "content-type": kind},
    )
    assert status == 400, raw[:500]
    assert headers["content-type"].startswith("application/json"), headers
    assert headers.get("connection", "").lower() != "close", headers
    err = json.loads(raw)["error"]
    assert (err["status"], err["type"]) == (400, "WorkbookError"), err
    [problem] = err["problems"]
    assert problem["file"] == filename, problem
    assert problem["where"].startswith(("line ", "sheet ")), problem
    assert "5,000 digits" in problem["message"], problem
    assert "scientific notation" in problem["message"], problem
    assert_kept(live, sock)


def test_a_json_body_with_a_huge_number_is_a_400(live: Live) -> None:
    raw = _book_raw()
    sock = live.conn.sock
    status, headers, body = live.send(
        "POST",
        "/api/editions",
        huge_json(raw).encode(),
        {"authorization": f"Bearer {live.token}", "content-type": "application/json"},
    )
    assert status == 400, body[:500]
    err = json.loads(body)["error"]
    assert (err["status"], err["type"]) == (400, "InputError"), err
    assert "too long" in err["message"] and "scientific notation" in err["message"], err
    assert_kept(live, sock)


def test_the_browser_import_of_a_huge_number_shows_its_place(live: Live) -> None:
    body, kind = multipart("book.yaml", huge_workbook_yaml().encode())
    sock = live.conn.sock
    status, headers, page = live.send(
        "POST",
        "/import",
        body,
        {"cookie": live.cookie, "x-csrf-token": live.csrf, "content-type": kind},
    )
    assert status == 400, page[:500]
    assert headers["content-type"].startswith("text/html"), headers
    text = page.decode()
    assert f"line {HUGE_LINE}" in text and "5,000 digits" in text, text[-2000:]
    assert_kept(live, sock)
