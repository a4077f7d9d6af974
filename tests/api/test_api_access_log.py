"""The access log of a real ``natrisk serve`` (issue 14: "the server logs no requests"):
one line per request with the user, and no password, token, cookie or query value."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.served import PASSWORD, Served, seed

SECRET_QUERY = "find-me-not-7c1e"
RESET_TOKEN = "reset-token-that-must-not-be-logged-0a9f"


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Served, Path]]:
    url = f"sqlite:///{tmp_path / 'natrisk.db'}"
    seeded = seed(url, analysts=1)
    log = tmp_path / "access.log"
    monkeypatch.setenv("NATRISK_ACCESS_LOG", str(log))
    server = Served(url, tmp_path / "home")
    try:
        yield server, log
    finally:
        server.stop()
    assert seeded.edition


def _lines(log: Path, needle: str, timeout: float = 10.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text() if log.exists() else ""
        if needle in text:
            return text.splitlines()
        time.sleep(0.1)
    raise AssertionError(f"{needle!r} not in the access log:\n{text}")


def test_every_request_is_logged_with_its_user_and_without_secrets(
    served: tuple[Served, Path],
) -> None:
    server, log = served
    with server.client("analyst0") as analyst:
        token = analyst.headers["Authorization"].split()[1]
        assert analyst.get("/api/editions").status_code == 200
        assert analyst.get("/api/editions", params={"q": SECRET_QUERY}).status_code == 200
    assert httpx.get(f"{server.base}/reset/{RESET_TOKEN}").status_code in (200, 400, 404)
    assert httpx.get(f"{server.base}/api/editions").status_code == 401
    lines = _lines(log, '"GET /api/editions" 401')
    text = "\n".join(lines)
    signed_in = [ln for ln in lines if '"GET /api/editions' in ln and " analyst0 " in ln]
    assert len(signed_in) == 2, text
    assert re.search(r'^\S+Z 127\.0\.0\.1 analyst0 "GET /api/editions" 200 \d+ms$', signed_in[0])
    assert '"GET /api/editions?q=…" 200' in signed_in[1]
    assert re.search(r' - "GET /api/editions" 401 ', text), text
    assert re.search(r' - "POST /api/login" 200 ', text), text
    assert '"GET /reset/…"' in text
    for secret in (PASSWORD, token, SECRET_QUERY, RESET_TOKEN, "Bearer", "natrisk_session"):
        assert secret not in text, secret
    assert server.log().count('"GET /api/editions') == 0  # to the file it was told, only


def test_the_access_log_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'natrisk.db'}"
    seed(url, analysts=1)
    monkeypatch.setenv("NATRISK_ACCESS_LOG", "off")
    server = Served(url, tmp_path / "home")
    try:
        with server.client("analyst0") as analyst:
            assert analyst.get("/api/editions").status_code == 200
    finally:
        server.stop()
    assert '"GET /api/editions' not in server.log()
