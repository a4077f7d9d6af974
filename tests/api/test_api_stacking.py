"""Stacking threats through the API of a served natrisk (uvicorn over TCP), on SQLite and
PostgreSQL: cascades, one scenario's butterfly, variants, compounds, the roll-up of stored
regional editions and the charts, under roles and clearance.

The world: the bundled example edition with a secret scenario (Staatsgeheim Geheim) planted
in it and two links that touch it; the three illustrative regional profiles; a fourth
regional edition that maps only onto the secret scenario; a reader (Openbaar) on all of
them and a user of the same organisation with no role at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from tests.served import PASSWORD, SG, Served

from natrisk.io.workbook import dump_workbook, load_workbook, parse_workbook
from natrisk.services import accounts, workspace
from natrisk.services.access import Actor
from natrisk.services.assessment import assess, resolve_settings
from natrisk.services.edition import open_edition
from natrisk.services.stacking import analyse
from natrisk.store.database import Database

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "nl-2026.yaml"
REGIONS = sorted((ROOT / "examples" / "regions").glob("*.yaml"))
SECRET = "MARKER-STACKING-SECRET-9q1"
SECRET_TITLE = "MARKER-STACKING-SECRET-TITLE-9q1"
SECRET_REGION = "MARKER-STACKING-REGION-9q1"
BLACKOUT = "national-power-blackout"


def _national_raw() -> dict[str, Any]:
    raw = dump_workbook(load_workbook(EXAMPLE))
    raw["edition"]["id"] = "national-2026"
    raw["scenarios"].append(
        {
            "id": SECRET,
            "title": SECRET_TITLE,
            "theme": "critical-infrastructure",
            "malicious": True,
            "classification": SG,
            "likelihood": "C",
            "impacts": {"2.1": 5000, "3.1": "E", "5.3": "E"},
        }
    )
    raw["links"] += [
        {"from": SECRET, "to": "drinking-water-disruption", "probability": 0.9},
        {"from": BLACKOUT, "to": SECRET, "probability": "1-10%"},
    ]
    return raw


def _secret_region_raw() -> dict[str, Any]:
    raw = dump_workbook(load_workbook(REGIONS[0]))
    raw["edition"]["id"] = "region-secret-2026"
    raw["region"] = {
        "id": SECRET_REGION,
        "name": SECRET_REGION,
        "mapping": [{"scenario": raw["scenarios"][0]["id"], "national": SECRET}],
    }
    return raw


def _seed(url: str) -> dict[str, int]:
    saved = accounts.HASHER
    accounts.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    db = Database(url)
    ids: dict[str, int] = {}
    try:
        with db.session() as s:
            admin = accounts.add_user(s, "admin", PASSWORD, "example", SG, True)
            accounts.add_user(s, "reader", PASSWORD, "example", "Openbaar")
            accounts.add_user(s, "outsider", PASSWORD, "example", SG)
            actor = Actor.of(admin)
            ids["national"] = workspace.import_workbook(
                s, None, parse_workbook(_national_raw(), {}, "national"), actor
            ).id
            for path in REGIONS:
                ids[path.stem] = workspace.import_workbook(s, path, load_workbook(path), actor).id
            secret_region = parse_workbook(_secret_region_raw(), {}, "secret region")
            ids["secret-region"] = workspace.import_workbook(s, REGIONS[0], secret_region, actor).id
            for edition in ids.values():
                accounts.set_role(s, actor, edition, "reader", "reader")
    finally:
        db.close()
        accounts.HASHER = saved
    return ids


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Served, dict[str, int]]]:
    home = tmp_path_factory.mktemp(f"stacking-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{home / 'natrisk.db'}"
    else:
        url = request.getfixturevalue("pg_cluster").new_database()
    ids = _seed(url)
    server = Served(url, home / "home")
    try:
        yield server, ids
    finally:
        server.stop()


@pytest.fixture(scope="module")
def clients(served: tuple[Served, dict[str, int]]) -> Iterator[dict[str, httpx.Client]]:
    server, _ = served
    out = {name: server.client(name, timeout=120) for name in ("admin", "reader", "outsider")}
    yield out
    for c in out.values():
        c.close()


def _get(client: httpx.Client, url: str, status: int = 200) -> Any:
    r = client.get(url)
    assert r.status_code == status, f"{url}: {r.status_code} {r.text[:400]}"
    return r.json() if r.headers["content-type"].startswith("application/json") else r


def test_the_blackout_cascades_through_drinking_water_and_payments(
    served: tuple[Served, dict[str, int]], clients: dict[str, httpx.Client]
) -> None:
    _, ids = served
    data = _get(clients["reader"], f"/api/editions/{ids['national']}/cascades")
    assert data["samples"] == 5000 and data["seed"] == 0
    row = next(r for r in data["scenarios"] if r["id"] == BLACKOUT)
    assert row["cascaded_mean"] > row["direct_score"]
    assert row["cascaded_p5"] <= row["cascaded_median"] <= row["cascaded_p95"]
    assert row["cascaded_position"] > row["direct_position"]
    assert 0 < row["share_from_others"] <= 1
    effects = {e["id"]: e["share"] for e in row["effects"]}
    assert {"drinking-water-disruption", "payment-system-outage"} <= set(list(effects)[:2])
    assert abs(sum(effects.values()) - 1) < 1e-9
    assert abs(sum(c["share"] for c in row["causes"]) - 1) < 1e-9
    assert {"x_direct", "x_cascaded", "direct_reading", "cascaded_reading"} <= set(row)


def test_links_to_a_hidden_scenario_are_absent_with_their_contribution(
    served: tuple[Served, dict[str, int]], clients: dict[str, httpx.Client]
) -> None:
    _, ids = served
    url = f"/api/editions/{ids['national']}/cascades"
    r = clients["reader"].get(url)
    assert r.status_code == 200
    assert SECRET not in r.text and SECRET_TITLE not in r.text
    seen = r.json()
    assert seen["links_not_shown"] == 2
    full = _get(clients["admin"], url)
    assert full["links_not_shown"] == 0
    assert len(full["links"]) == len(seen["links"]) + 2
    # the reader's picture is the example's own: the secret links add nothing to it
    ed = open_edition(EXAMPLE)
    a = assess(ed.table, ed.book, resolve_settings(ed.framework, "weighted-sum"))
    plain = analyse(a, 5000, 0).to_json()
    mine = {r["id"]: r for r in seen["scenarios"]}
    for want in plain["scenarios"]:
        got = mine[want["id"]]
        assert got["cascaded_mean"] == pytest.approx(want["cascaded_mean"])
        assert got["probability_total"] == pytest.approx(want["probability_total"])
    water_admin = next(r for r in full["scenarios"] if r["id"] == "drinking-water-disruption")
    water_reader = mine["drinking-water-disruption"]
    assert SECRET in {c["id"] for c in water_admin["causes"]}
    assert water_admin["probability_total"] > water_reader["probability_total"]


def test_one_scenario_and_a_hidden_one(
    served: tuple[Served, dict[str, int]], clients: dict[str, httpx.Client]
) -> None:
    _, ids = served
    base = f"/api/editions/{ids['national']}/cascades"
    row = _get(clients["reader"], f"{base}/{BLACKOUT}")
    assert row["id"] == BLACKOUT and row["links_not_shown"] == 2
    assert row["effects"] and row["causes"]
    hidden = _get(clients["reader"], f"{base}/{SECRET}", 404)
    missing = _get(clients["reader"], f"{base}/no-such-scenario", 404)
    assert hidden["error"]["message"].replace(SECRET, "X") == missing["error"]["message"].replace(
        "no-such-scenario", "X"
    )
    assert _get(clients["admin"], f"{base}/{SECRET}")["id"] == SECRET


def test_whoever_may_read_the_edition_may_read_its_cascades(
    served: tuple[Served, dict[str, int]], clients: dict[str, httpx.Client]
) -> None:
    _, ids = served
    for route in ("cascades", "variants", "compounds", "rollup", "cascades-diagram.json"):
        url = f"/api/editions/{ids['national']}/{route}"
        body = _get(clients["outsider"], url, 404)
        assert body["error"]["message"] == f"no edition {ids['national']}"
        assert httpx.get(clients["reader"].base_url.join(url)).status_code == 401


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("samples=20001", "at most 20,000"),
        ("samples=0", "at least 1"),
        ("samples=many", "samples"),
        ("seed=-1", "seed"),
        ("method=sum", "method"),
        ("lang=de", "lang"),
    ],
)
def test_bad_requests_are_refused_clearly(
    served: tuple[Served, dict[str, int]],
    clients: dict[str, httpx.Client],
    query: str,
    message: str,
) -> None:
    _, ids = served
    r = clients["reader"].get(f"/api/editions/{ids['national']}/cascades?{query}")
    assert r.status_code in (400, 422), r.text
    assert message in json.dumps(r.json()["error"])


def test_samples_and_seed_are_the_callers(
    served: tuple[Served, dict[str, int]], clients: dict[str, httpx.Client]
) -> None:
    _, ids = served
    url = f"/api/editions/{ids['national']}/cascades?samples=800&seed=7"
    one, two = _get(clients["reader"], url), _get(clients["reader"], url)
    assert one["samples"] == 800 and one["seed"] == 7 and one == two


def test_variants_name_the_dominating_one(
    served: tuple[Served, dict[str, int]], clients: dict[str, httpx.Client]
) -> None:
    _, ids = served
    data = _get(clients["reader"], f"/api/editions/{ids['national']}/variants?lang=nl")
    assert len(data["risks"]) >= 5 and "dominant" in data["rule"]
    for risk in data["risks"]:
        names = [v["id"] for v in risk["variants"]]
        assert risk["dominating"] in names
        top = max(risk["variants"], key=lambda v: v["score"])
        pool = [v for v in risk["variants"] if v["dominant_risk"]] or risk["variants"]
        assert risk["dominating"] == max(pool, key=lambda v: v["score"])["id"]
        assert top["score"] >= 0
    readings = [v["reading"] for r in data["risks"] for v in r["variants"]]
    assert any(" tot " in x for x in readings)  # Dutch readings


def test_compounds_given_and_found(
    served: tuple[Served, dict[str, int]], clients: dict[str, httpx.Client]
) -> None:
    _, ids = served
    data = _get(clients["reader"], f"/api/editions/{ids['national']}/compounds")
    given = [c for c in data["compounds"] if c["given"]]
    found = [c for c in data["compounds"] if not c["given"]]
    assert len(given) == 2 and found
    for c in data["compounds"]:
        assert len(c["scenarios"]) >= 2 and c["reading"] and 0 <= c["probability"] <= 1


def test_the_rollup_takes_the_regional_editions_the_reader_may_see(
    served: tuple[Served, dict[str, int]], clients: dict[str, httpx.Client]
) -> None:
    _, ids = served
    url = f"/api/editions/{ids['national']}/rollup"
    r = clients["reader"].get(url)
    assert r.status_code == 200 and SECRET not in r.text and SECRET_REGION not in r.text
    data = r.json()
    assert {reg["edition_id"] for reg in data["regions"]} == {ids[p.stem] for p in REGIONS}
    blackout = next(row for row in data["rows"] if row["target"] == BLACKOUT)
    assert len(blackout["regions"]) == 3 and blackout["national"]["id"] == BLACKOUT
    assert any(reg["differences"] for row in data["rows"] for reg in row["regions"])
    heat = data["heat"]
    assert heat["regions"] == data["regions"]
    assert all(len(row["cells"]) == len(heat["regions"]) for row in heat["rows"])
    assert data["left_out"] == [] and "region" in data["rule"]
    admin = _get(clients["admin"], url)
    assert SECRET_REGION in {reg["id"] for reg in admin["regions"]}
    assert SECRET in {row["target"] for row in admin["rows"]}


def test_a_regional_edition_rolls_up_only_into_its_own_national_edition(
    served: tuple[Served, dict[str, int]], clients: dict[str, httpx.Client]
) -> None:
    _, ids = served
    data = _get(clients["reader"], f"/api/editions/{ids['utrecht']}/rollup")
    assert data["rows"] == [] and data["regions"] == []


def test_charts(served: tuple[Served, dict[str, int]], clients: dict[str, httpx.Client]) -> None:
    _, ids = served
    base = f"/api/editions/{ids['national']}"
    c = clients["reader"]
    svg = c.get(f"{base}/cascades-diagram.svg")
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert "Cascades in the risk diagram" in svg.text and SECRET_TITLE not in svg.text
    spec = _get(c, f"{base}/cascades-diagram.json")
    assert spec["datasets"]["moves"] and spec["datasets"]["variants"]
    assert spec["datasets"]["compounds"]
    bf = c.get(f"{base}/cascades/{BLACKOUT}/butterfly.svg")
    assert bf.status_code == 200 and "Drinking water" in bf.text
    assert _get(c, f"{base}/cascades/{BLACKOUT}/butterfly.png", 400)["error"]["message"]
    heat = _get(c, f"{base}/rollup-heatmap.json")
    assert {cell["column"] for cell in heat["datasets"]["cells"]} >= {"Zeeland", "Utrecht"}
    assert _get(c, f"/api/editions/{ids['zeeland']}/rollup-heatmap.svg", 404)


def test_the_openapi_schema_documents_the_routes(
    served: tuple[Served, dict[str, int]], clients: dict[str, httpx.Client]
) -> None:
    paths = _get(clients["reader"], "/openapi.json")["paths"]
    for path in (
        "/api/editions/{edition_id}/cascades",
        "/api/editions/{edition_id}/cascades/{slug}",
        "/api/editions/{edition_id}/variants",
        "/api/editions/{edition_id}/compounds",
        "/api/editions/{edition_id}/rollup",
    ):
        assert "get" in paths[path], path
        assert paths[path]["get"]["description"] or paths[path]["get"]["summary"]


def test_the_report_holds_the_chapter(
    served: tuple[Served, dict[str, int]], clients: dict[str, httpx.Client]
) -> None:
    _, ids = served
    r = clients["reader"].get(f"/api/editions/{ids['national']}/report.html?samples=200")
    assert r.status_code == 200
    html = r.text
    assert (
        "Cascades and stacking" in html and "Causes and effects: Large-scale power blackout" in html
    )
    assert "2 links not shown" in html and "Regions × national scenarios" in html
    assert SECRET_TITLE not in html and SECRET not in html
    admin = clients["admin"].get(f"/api/editions/{ids['national']}/report.html?samples=200")
    assert "links not shown" not in admin.text and SECRET_TITLE in admin.text


def test_a_change_to_the_edition_is_seen_at_once(
    served: tuple[Served, dict[str, int]], clients: dict[str, httpx.Client]
) -> None:
    server, ids = served
    url = f"/api/editions/{ids['utrecht']}/cascades?samples=300"
    before = _get(clients["admin"], url)
    row = next(r for r in before["scenarios"] if r["id"] == "ut-river-flood")
    db = Database(server.url)
    try:
        from natrisk.services.editing import set_score
        from natrisk.store.models import User

        with db.session() as s:
            admin = Actor.of(s.query(User).filter_by(username="admin").one())
            from natrisk.services.access import edition_for, scenario_for

            edition, _ = edition_for(s, admin, ids["utrecht"])
            scen = scenario_for(s, admin, edition, "ut-river-flood")
            score = next(x for x in scen.scores if x.criterion == "5.3")
            set_score(s, admin, ids["utrecht"], "ut-river-flood", "5.3", "E", score.version, "t")
    finally:
        db.close()
    after = _get(clients["admin"], url)
    row2 = next(r for r in after["scenarios"] if r["id"] == "ut-river-flood")
    assert row2["direct_score"] > row["direct_score"]
