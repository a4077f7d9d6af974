"""Horizon scanning on a served natrisk (a real uvicorn, SQLite and PostgreSQL).

The path of the issue: a ministry's contributor submits a signal; an analyst judges it, sees
it next to its near-duplicate, clusters and escalates it; it shows in the Atom feed and the
CAP export (tokens, no browser session); the coordinator adopts the autumn scan, whose threat
picture shows what changed since spring and flags the scenarios touched. Then: a signal above
the reader's clearance is absent everywhere, and every bad input gets a clear, located error
with nothing stored.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from cap_structure import problems as cap_problems
from tests.pg import Cluster
from tests.served import PASSWORD, Served

from natrisk.io.files import read_bytes
from natrisk.io.signals import load_signals, parse_located
from natrisk.io.workbook import load_workbook
from natrisk.services import accounts, workspace
from natrisk.services.access import Actor
from natrisk.services.signal_files import import_file
from natrisk.store.database import Database

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "nl-2026.yaml"
SIGNALS = ROOT / "examples" / "signals-2026.yaml"
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
ATOM = "{http://www.w3.org/2005/Atom}"
DV = "Departementaal Vertrouwelijk"
# a near-duplicate of the example's s081 (North Sea infrastructure), as a ministry sends it
NEW = {
    "title": "Suspicious vessels near North Sea cables and pipelines (ministry report)",
    "description": "The coastguard observed vessels loitering above undersea cables and "
    "pipelines with their transponders switched off.",
    "observed": "2026-11-28",
    "themes": ["critical-infrastructure"],
    "scenarios": ["north-sea-infrastructure-sabotage"],
    "horizon": "short",
    "sources": [{"reference": "Coastguard situation report", "organisation": "kustwacht"}],
}
PEOPLE = {  # name: (organisation, clearance, role on the example)
    "admin": ("example", "Staatsgeheim Geheim", None),
    "coord": ("example", DV, "coordinator"),
    "analyst": ("example", DV, "analyst"),
    "ministry": ("min-jenv", "Openbaar", "contributor"),
    "reader": ("example", "Openbaar", "reader"),
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Served, int]]:
    """natrisk served on a database with the example edition and its signals."""
    home = tmp_path_factory.mktemp("signals")
    if request.param == "sqlite":
        url = f"sqlite:///{home / 'natrisk.db'}"
    else:
        cluster: Cluster = request.getfixturevalue("pg_cluster")
        url = cluster.new_database()
    saved = accounts.HASHER
    accounts.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    db = Database(url)
    try:
        with db.session() as s:
            users = {
                name: accounts.add_user(s, name, PASSWORD, org, level, name == "admin")
                for name, (org, level, _) in PEOPLE.items()
            }
            admin = Actor.of(users["admin"])
            edition = workspace.import_workbook(s, EXAMPLE, load_workbook(EXAMPLE), admin).id
            for name, (_, _, role) in PEOPLE.items():
                if role:
                    accounts.set_role(s, admin, edition, name, role)
            doc, locate = parse_located(read_bytes(SIGNALS), str(SIGNALS))
            import_file(s, admin, edition, doc, locate)
    finally:
        db.close()
        accounts.HASHER = saved
    served = Served(url, home / "home")
    yield served, edition
    served.stop()


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text[:2000]
    return r.json() if "json" in r.headers.get("content-type", "") else r.content


def test_the_path_from_a_ministry_signal_to_the_adopted_threat_picture(
    server: tuple[Served, int],
) -> None:
    srv, ed = server
    base = f"/api/editions/{ed}"
    with srv.client("ministry") as ministry, srv.client("analyst") as analyst:
        with srv.client("reader") as reader:
            assert reader.post(f"{base}/signals", json=NEW).status_code == 403
        sig = ok(ministry.post(f"{base}/signals", json=NEW), 201)
        sid = sig["id"]
        assert sig["status"] == "new" and sig["organisation"] == "min-jenv"
        assert (
            ministry.post(
                f"{base}/signals/{sid}/assessment",
                json={"strength": "strong", "direction": "rising", "version": sig["version"]},
            ).status_code
            == 403
        )

        seen = ok(analyst.get(f"{base}/signals/{sid}"))
        dups = [d["id"] for d in seen["near_duplicates"]]
        assert "s081-critical-1a" in dups

        judged = ok(
            analyst.post(
                f"{base}/signals/{sid}/assessment",
                json={"strength": "strong", "direction": "rising", "version": seen["version"]},
            )
        )
        assert (judged["status"], judged["strength"], judged["direction"]) == (
            "assessed",
            "strong",
            "rising",
        )
        stale = analyst.post(
            f"{base}/signals/{sid}/status", json={"to": "escalated", "version": seen["version"]}
        )
        assert stale.status_code == 409

        cluster = ok(
            analyst.post(
                f"{base}/clusters",
                json={"signals": [sid, *dups], "label": "Activity near North Sea infrastructure"},
            ),
            201,
        )
        assert sid in cluster["signals"] and "s081-critical-1a" in cluster["signals"]
        proposed = ok(analyst.get(f"{base}/clusters/proposed"))
        assert any(sid in g["signals"] and g["confirmed"] for g in proposed)
        assert ok(analyst.get(f"{base}/signals/{sid}"))["cluster"] == cluster["id"]

        current = ok(analyst.get(f"{base}/signals/{sid}"))
        up = ok(
            analyst.post(
                f"{base}/signals/{sid}/status",
                json={"to": "escalated", "version": current["version"]},
            )
        )
        assert up["status"] == "escalated"
        history = ok(analyst.get(f"{base}/signals/{sid}/history"))
        assert [h["reason"] for h in history][:2] == ["submitted", "assessed"]
        assert history[-1]["new"]["status"] == "escalated"

        token = ok(analyst.post("/api/feed-tokens", json={"label": "alert desk"}), 201)["token"]
    # feeds need no browser session: a token in the address or a bearer header
    atom = httpx.get(
        f"{srv.base}/api/feeds/{ed}/themes/critical-infrastructure.atom", params={"token": token}
    )
    assert atom.status_code == 200 and atom.headers["content-type"].startswith(
        "application/atom+xml"
    )
    feed = ET.fromstring(atom.content)
    assert NEW["title"] in [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    cap = httpx.get(
        f"{srv.base}/api/feeds/{ed}/escalated.cap", headers={"Authorization": f"Bearer {token}"}
    )
    assert cap.status_code == 200
    assert cap.headers["content-type"].startswith("application/atom+xml")
    alerts = cap_alerts(cap.content)
    assert len({a.findtext(f"{CAP}identifier") for a in alerts.values()}) == len(alerts)
    for title, one in alerts.items():  # one alert per escalated signal, each valid CAP 1.2
        assert cap_problems(one) == [], title
        assert len(one.findall(f"{CAP}info")) == 1
    mine = alerts[NEW["title"]]
    info = mine.find(f"{CAP}info")
    assert info is not None
    assert (mine.findtext(f"{CAP}status"), mine.findtext(f"{CAP}msgType")) == ("Actual", "Alert")
    assert mine.findtext(f"{CAP}identifier") == f"natrisk-{ed}-{sid}"
    assert [info.findtext(f"{CAP}{x}") for x in ("category", "urgency", "severity", "certainty")] == [
        "Infra", "Future", "Severe", "Likely"
    ]  # fmt: skip
    reread = cap_alerts(
        httpx.get(f"{srv.base}/api/feeds/{ed}/escalated.cap", params={"token": token}).content
    )[NEW["title"]]
    assert ET.tostring(reread) == ET.tostring(mine)  # the same alert on every read
    with srv.client("analyst") as analyst:  # a change after escalation: an Update
        current = ok(analyst.get(f"{base}/signals/{sid}"))
        ok(
            analyst.patch(
                f"{base}/signals/{sid}",
                json={"description": "Seen again off IJmuiden.", "version": current["version"]},
            )
        )
    updated = cap_alerts(
        httpx.get(f"{srv.base}/api/feeds/{ed}/escalated.cap", params={"token": token}).content
    )[NEW["title"]]
    assert cap_problems(updated) == []
    assert updated.findtext(f"{CAP}msgType") == "Update"
    assert updated.findtext(f"{CAP}identifier") != mine.findtext(f"{CAP}identifier")
    assert updated.findtext(f"{CAP}references") == ",".join(
        mine.findtext(f"{CAP}{x}") or "" for x in ("sender", "identifier", "sent")
    )
    assert httpx.get(f"{srv.base}/api/feeds/{ed}/escalated.cap").status_code == 401

    with srv.client("coord") as coord, srv.client("analyst") as analyst:
        autumn = next(x for x in ok(coord.get(f"{base}/scans")) if x["id"] == "autumn-2026")
        assert (
            analyst.post(
                f"{base}/scans/autumn-2026/adopt", json={"version": autumn["version"]}
            ).status_code
            == 403
        )
        adopted = ok(
            coord.post(f"{base}/scans/autumn-2026/adopt", json={"version": autumn["version"]})
        )
        assert adopted["status"] == "adopted" and adopted["adopted_by"] == "coord"
        picture = ok(coord.get(f"{base}/scans/autumn-2026/picture"))
        assert picture["previous"] == "spring-2026"
        assert sid in [c["id"] for c in picture["changes"]["new"]]
        assert picture["changes"]["escalated"] and picture["changes"]["faded"]
        flags = {f["id"]: f["reason"] for f in picture["flags"]}
        assert "strong rising" in flags["north-sea-infrastructure-sabotage"]
        assert "bear" in flags["north-sea-infrastructure-sabotage"]
        radar = picture["radar"]
        assert radar["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
        points = [
            v
            for layer in radar["layer"]
            for v in layer.get("data", {}).get("values", [])
            if "shape" in v
        ]
        assert NEW["title"] in {p["title"] for p in points}

        pdf = coord.get(f"{base}/scans/autumn-2026/report", params={"format": "pdf"})
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        nl = coord.get(f"{base}/scans/autumn-2026/report", params={"lang": "nl"}).text
        assert "Dreigingsbeeld" in nl and "Wat is veranderd sinds de vorige scan" in nl
        assert "Opnieuw te beoordelen scenario" in nl and NEW["title"] in nl
        # after adoption the scan is read-only, and later changes do not rewrite it
        again = coord.patch(
            f"{base}/scans/autumn-2026", json={"title": "x", "version": adopted["version"]}
        )
        assert again.status_code == 409


def _hidden() -> dict[str, str]:
    """The example's signals classified above Openbaar: id -> title (the title only where no
    public signal has the same one, as near-duplicates may)."""
    signals = load_signals(SIGNALS).signals
    public = {s.title for s in signals if not s.classification}
    return {s.id: s.title if s.title not in public else s.id for s in signals if s.classification}


def test_a_signal_above_the_readers_clearance_is_absent_everywhere(
    server: tuple[Served, int],
) -> None:
    srv, ed = server
    base = f"/api/editions/{ed}"
    hidden = _hidden()
    assert hidden
    with srv.client("ministry") as low, srv.client("analyst") as high:
        all_low = ok(low.get(f"{base}/signals", params={"per_page": 500}))
        all_high = ok(high.get(f"{base}/signals", params={"per_page": 500}))
        assert all_high["total"] - all_low["total"] >= len(hidden)
        assert not set(hidden) & {s["id"] for s in all_low["signals"]}
        sid, title = next((k, v) for k, v in hidden.items() if v != k)
        word = title.split()[0]
        found = ok(low.get(f"{base}/signals", params={"q": word, "per_page": 500}))
        assert sid not in {s["id"] for s in found["signals"]}
        missing = low.get(f"{base}/signals/{sid}")
        never = low.get(f"{base}/signals/no-such-signal")
        assert missing.status_code == never.status_code == 404
        assert missing.json()["error"]["message"].replace(sid, "X") == never.json()["error"][
            "message"
        ].replace("no-such-signal", "X")
        assert low.get(f"{base}/signals/{sid}/history").status_code == 404

        outputs = {
            "proposed": low.get(f"{base}/clusters/proposed").text,
            "clusters": low.get(f"{base}/clusters").text,
            "picture": low.get(f"{base}/scans/autumn-2026/picture").text,
            "spring": low.get(f"{base}/scans/spring-2026/picture").text,
            "report": low.get(f"{base}/scans/autumn-2026/report").text,
            "export": low.get(f"{base}/signals-file", params={"format": "yaml"}).text,
            "csv": low.get(f"{base}/signals-file", params={"format": "csv"}).text,
            "inbox": low.get(f"/editions/{ed}/signals", params={"q": word}).text,
            "scan page": low.get(f"/editions/{ed}/scans/autumn-2026").text,
        }
        token = ok(low.post("/api/feed-tokens", json={}), 201)["token"]
        high_token = ok(high.post("/api/feed-tokens", json={}), 201)["token"]
    themes = {t for s in load_signals(SIGNALS).signals if s.id in hidden for t in s.themes}
    for theme in themes:
        outputs[f"atom {theme}"] = httpx.get(
            f"{srv.base}/api/feeds/{ed}/themes/{theme}.atom", params={"token": token}
        ).text
    outputs["cap"] = httpx.get(
        f"{srv.base}/api/feeds/{ed}/escalated.cap", params={"token": token}
    ).text
    for name, text in outputs.items():
        for hid, htitle in hidden.items():
            assert hid not in text and htitle not in text, (name, hid)
    # the cleared reader does see them, in the same places
    seen_high = httpx.get(
        f"{srv.base}/api/feeds/{ed}/escalated.cap", params={"token": high_token}
    ).text
    escalated_hidden = [
        s.title
        for s in load_signals(SIGNALS).signals
        if s.classification and s.status == "escalated"
    ]
    assert all(t in seen_high for t in escalated_hidden)
    scopes_high = {a.findtext(f"{CAP}scope") for a in cap_alerts(seen_high.encode()).values()}
    assert "Restricted" in scopes_high or not escalated_hidden
    assert {a.findtext(f"{CAP}scope") for a in cap_alerts(outputs["cap"].encode()).values()} == {
        "Public"
    }


def cap_alerts(body: bytes) -> dict[str, ET.Element]:
    """The CAP alerts of the escalated signals' Atom feed, by their event (the signal's title)."""
    feed = ET.fromstring(body)
    assert feed.tag == f"{ATOM}feed"
    out = {}
    for entry in feed.iter(f"{ATOM}entry"):
        content = entry.find(f"{ATOM}content")
        assert content is not None and content.get("type") == "application/cap+xml"
        [one] = list(content)
        out[one.findtext(f"{CAP}info/{CAP}event") or ""] = one
    return out


def problems(r: httpx.Response) -> dict[str, str]:
    return {p["field"]: p["message"] for p in r.json()["error"]["problems"]}


def test_bad_input_is_refused_by_field_and_nothing_is_stored(server: tuple[Served, int]) -> None:
    srv, ed = server
    base = f"/api/editions/{ed}"
    with srv.client("analyst") as c:
        before = ok(c.get(f"{base}/signals"))["total"]
        r = c.post(f"{base}/signals", json={})
        assert r.status_code == 400 and {"title", "observed", "themes", "horizon"} <= set(
            problems(r)
        )
        r = c.post(f"{base}/signals", json=NEW | {"description": "x" * 10_000_000})
        assert r.status_code == 400 and "20000" in problems(r)["description"]
        r = c.post(
            f"{base}/signals", json=NEW | {"themes": ["weather"], "scenarios": ["no-such-scenario"]}
        )
        assert r.status_code == 400
        assert (
            "weather" in problems(r)["themes.0"]
            and "no-such-scenario" in problems(r)["scenarios.0"]
        )
        r = c.post(f"{base}/signals", json=NEW | {"observed": "2099-01-01"})
        assert r.status_code == 400 and "future" in problems(r)["observed"]
        fresh = ok(c.post(f"{base}/signals", json=NEW | {"title": "A fresh signal"}), 201)
        r = c.post(
            f"{base}/signals/{fresh['id']}/status",
            json={"to": "escalated", "version": fresh["version"]},
        )
        assert r.status_code == 409 and "cannot become escalated" in r.json()["error"]["message"]
        r = c.post(
            f"{base}/signals/{fresh['id']}/status",
            json={"to": "dismissed", "version": fresh["version"]},
        )
        assert r.status_code == 400 and "reason" in problems(r)
        r = c.post(
            f"{base}/signals/{fresh['id']}/status",
            json={"to": "dismissed", "reason": "duplicate", "version": fresh["version"]},
        )
        assert r.status_code == 200 and r.json()["status"] == "dismissed"
        r = c.post(
            f"{base}/signals/{fresh['id']}/status",
            json={"to": "watch", "version": r.json()["version"]},
        )
        assert r.status_code == 409 and "final" in r.json()["error"]["message"]
        token = ok(c.post("/api/feed-tokens", json={}), 201)["token"]
        r = httpx.get(f"{srv.base}/api/feeds/{ed}/themes/weather.atom", params={"token": token})
        assert r.status_code == 404 and "weather" in r.json()["error"]["message"]

        rows = ["id,title,observed,themes,horizon"]
        rows += [f"bulk-{i},Bulk signal {i},2026-02-01,cyber,short" for i in range(100_000)]
        rows[70_001] = "bulk-70000,Bulk signal,2026-02-01,weather,short"
        rows[80_001] = "bulk-80000,Bulk signal,2099-02-01,cyber,short"
        data = ("\n".join(rows) + "\n").encode()
        r = c.post(
            f"{base}/signals/upload", files={"file": ("bulk.csv", data, "text/csv")}, timeout=600
        )
        assert r.status_code == 400, r.text[:500]
        places = {(p["where"], p["field"]) for p in r.json()["error"]["problems"]}
        assert places == {
            ("line 80002, signal bulk-80000", "observed"),
            ("line 70002, signal bulk-70000", "themes.0"),
        }
        assert ok(c.get(f"{base}/signals"))["total"] == before + 1  # only the fresh one
