"""Forwarded headers are believed only from configured proxies (security review finding 9).

uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise, so a client on the
proxy's host could choose the address the sign-in limit counts. ``natrisk serve`` believes
it only from the addresses in NATRISK_TRUSTED_PROXIES (or --trusted-proxies).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.served import PASSWORD, Served, seed


class ServedBehind(Served):
    """``natrisk serve`` with a list of trusted proxies."""

    def __init__(self, url: str, home: Path, proxies: str) -> None:
        self.proxies = proxies
        super().__init__(url, home)

    def env(self) -> dict[str, str]:
        return {**super().env(), "NATRISK_TRUSTED_PROXIES": self.proxies}


@pytest.fixture(params=["", "127.0.0.1"], ids=["no-proxy", "trusted-proxy"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServedBehind]:
    url = f"sqlite:///{tmp_path / 'natrisk.db'}"
    seed(url, analysts=1)
    served = ServedBehind(url, tmp_path / "home", request.param)
    yield served
    served.stop()


def _login(server: Served, name: str, password: str, forwarded: str) -> int:
    r = httpx.post(
        server.base + "/api/login",
        json={"username": name, "password": password},
        headers={"x-forwarded-for": forwarded},
        timeout=30,
    )
    return r.status_code


def test_the_sign_in_limit_counts_the_real_address(server: ServedBehind) -> None:
    # 20 failures spread over 5 names (under the per-account limit), each from a new
    # 'forwarded' address: only a trusted proxy may say where a request came from
    for i in range(20):
        assert _login(server, f"ghost-{i % 5}", "wrong-guess-000000", f"10.0.{i}.1") == 401
    status = _login(server, "admin", PASSWORD, "10.99.99.99")
    if server.proxies:
        assert status == 200  # the proxy's word is taken: each guess came from elsewhere
    else:
        assert status == 429  # every guess came from 127.0.0.1, whatever the header said
