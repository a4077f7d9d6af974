"""Foresight on a served natrisk (a real uvicorn over TCP, SQLite and PostgreSQL): the first
start imports the example's trends, their baseline and the deep-dive; the analysis finds the
baseline by itself; the report is downloaded; a scenario made from the deep-dive keeps its
origin across a restart, and a restart imports nothing twice."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.pg import Cluster
from tests.served import Served


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'natrisk.db'}"
    else:
        cluster: Cluster = request.getfixturevalue("pg_cluster")
        url = cluster.new_database()
    server = Served(url, tmp_path / "home")  # an empty database: the first start bootstraps
    yield server
    server.stop()


def _admin(server: Served) -> httpx.Client:
    found = re.search(r"administrator 'admin' with password '([^']+)'", server.log())
    assert found, server.log()
    r = httpx.post(
        server.base + "/api/login",
        json={"username": "admin", "password": found.group(1)},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return httpx.Client(
        base_url=server.base + "/api",
        headers={"Authorization": f"Bearer {r.json()['token']}"},
        timeout=120,
    )


def test_first_start_serves_the_foresight_of_the_example(served: Served) -> None:
    assert "its trends and a deep-dive" in served.log()
    with _admin(served) as c:
        sets = c.get("/editions/1/trend-sets").json()
        assert [s["slug"] for s in sets] == ["nl-trends-2026"]
        current = sets[0]["id"]
        analysis = c.get(f"/trend-sets/{current}/analysis").json()
        assert analysis["baseline"] == "nl-trends-2023"  # found by the id the set names
        assert {ln["id"]: ln["advice"] for ln in analysis["lines"]}["al-09"] == "intensify"
        pdf = c.get(f"/trend-sets/{current}/report", params={"format": "pdf", "lang": "nl"})
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        [dd] = c.get("/editions/1/deepdives").json()
        made = c.post(f"/deepdives/{dd['id']}/scenarios/vector-borne-outbreak")
        assert made.status_code == 201, made.text
    served.stop()
    served.start()
    assert served.log().count("first start") == 1
    with _admin(served) as c:
        assert len(c.get("/editions/1/trend-sets").json()) == 1
        origin = c.get("/editions/1/scenarios/vector-borne-outbreak/origin").json()
        assert origin[0]["deepdive"]["slug"] == "climate-and-health-2026"
        assert [s["id"] for s in origin[0]["signals"]] == ["s005-climate-2a"]
