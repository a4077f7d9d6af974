"""Horizon scanning from the command line: the same path as in the browser, on a real SQLite
database through ``python -m natrisk``, and the files-only threat picture of ``make demo``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from natrisk.io.workbook import load_workbook
from natrisk.services import accounts, workspace
from natrisk.services.access import Actor
from natrisk.store.database import Database

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "nl-2026.yaml"
SIGNALS = ROOT / "examples" / "signals-2026.yaml"


def natrisk(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_DATA_HOME": str(home / "data"), "COLUMNS": "200"}
    env.pop("NATRISK_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "natrisk", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=home,
    )


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Path, str, int]:
    url = f"sqlite:///{tmp_path / 'natrisk.db'}"
    saved = accounts.HASHER
    accounts.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    db = Database(url)
    try:
        with db.session() as s:
            admin = accounts.add_user(s, "admin", "pw-correct-horse", "example", 3, True)
            for name, org, level in (("coord", "example", 1), ("analyst", "example", 1)):
                accounts.add_user(s, name, "pw-correct-horse", org, level)
            accounts.add_user(s, "ministry", "pw-correct-horse", "min-jenv", 0)
            actor = Actor.of(admin)
            ed = workspace.import_workbook(s, EXAMPLE, load_workbook(EXAMPLE), actor).id
            for name, role in (("coord", "coordinator"), ("analyst", "analyst")):
                accounts.set_role(s, actor, ed, name, role)
            accounts.set_role(s, actor, ed, "ministry", "contributor")
    finally:
        db.close()
        accounts.HASHER = saved
    return tmp_path, url, ed


def test_the_path_on_the_command_line(stored: tuple[Path, str, int]) -> None:
    home, url, ed = stored
    db = ("--database", url)
    e = ("--edition", str(ed))
    r = natrisk(home, "signals", "import", str(SIGNALS), *e, "--user", "analyst", *db)
    assert r.returncode == 0, r.stderr
    assert "imported 90 signals, 2 scans" in r.stderr

    r = natrisk(
        home, "signals", "submit", *e, "--user", "ministry", *db,
        "--title", "Drones over the LNG terminal", "--theme", "critical-infrastructure",
        "--scenario", "gas-supply-shortage", "--observed", "2026-11-27", "--horizon", "short",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "submitted signal 'drones-over-the-lng-terminal' (version 1)" in r.stderr
    sid = "drones-over-the-lng-terminal"
    r = natrisk(home, "signals", "assess", sid, *e, "--user", "ministry", *db,
                "--strength", "strong", "--direction", "rising", "--version", "1")  # fmt: skip
    assert r.returncode == 2 and "does not allow this (edit)" in r.stderr
    r = natrisk(home, "signals", "step", sid, *e, "--user", "analyst", *db,
                "--to", "escalated", "--version", "1")  # fmt: skip
    assert r.returncode == 2 and "a new signal cannot become escalated" in r.stderr
    r = natrisk(home, "signals", "assess", sid, *e, "--user", "analyst", *db,
                "--strength", "strong", "--direction", "rising", "--version", "1")  # fmt: skip
    assert r.returncode == 0 and "assessed, strong, rising (version 2)" in r.stderr
    r = natrisk(home, "signals", "step", sid, *e, "--user", "analyst", *db,
                "--to", "escalated", "--version", "2")  # fmt: skip
    assert r.returncode == 0 and "escalated" in r.stderr

    r = natrisk(
        home, "signals", "list", *e, "--user", "ministry", *db, "--status", "escalated", "--json"
    )
    listed = json.loads(r.stdout)
    assert sid in [s["id"] for s in listed["signals"]]
    assert all(s["classification"] == "Openbaar" for s in listed["signals"])
    r = natrisk(home, "signals", "duplicates", *e, "--user", "analyst", *db, "--json")
    assert ["s081-critical-1a", "s082-critical-1b"] in [
        [p["a"], p["b"]] for p in json.loads(r.stdout)
    ]

    r = natrisk(home, "scan", "list", *e, "--user", "coord", *db)
    assert "autumn-2026" in r.stdout and "open" in r.stdout
    r = natrisk(
        home, "scan", "adopt", "autumn-2026", *e, "--user", "analyst", *db, "--version", "1"
    )
    assert r.returncode == 2 and "(transition)" in r.stderr
    r = natrisk(home, "scan", "adopt", "autumn-2026", *e, "--user", "coord", *db, "--version", "1")
    assert r.returncode == 0, r.stderr
    out = home / "threat"
    r = natrisk(home, "scan", "report", "autumn-2026", *e, "--user", "coord", *db,
                "--out", str(out), "--format", "html", "--lang", "nl")  # fmt: skip
    assert r.returncode == 0, r.stderr
    html = (out / "threat-picture-nl.html").read_text()
    assert "Drones over the LNG terminal" in html and "Wat is veranderd" in html
    assert "Departementaal Vertrouwelijk".upper() in html  # marked: holds DV signals
    spec = json.loads((out / "radar-nl.vl.json").read_text())
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")

    r = natrisk(home, "feeds", "token", "--user", "ministry", *db)
    assert r.returncode == 0 and r.stdout.strip().startswith("nrf_")
    export = home / "back.xlsx"
    r = natrisk(home, "signals", "export", *e, "--user", "ministry", *db, "--out", str(export))
    assert r.returncode == 0 and export.exists()


def test_bad_files_are_refused_with_every_problem_and_nothing_stored(
    stored: tuple[Path, str, int],
) -> None:
    home, url, ed = stored
    bad = home / "bad.csv"
    bad.write_text(
        "id,title,observed,themes,horizon,scenarios\n"
        "a,Fine,2026-01-01,cyber,short,\n"
        "b,,2026-01-01,cyber,short,\n"
        "c,Unknown theme,2026-01-01,weather,short,\n"
        "d,Missing scenario,2026-01-01,cyber,short,no-such-scenario\n"
        "e,Future,2099-01-01,cyber,short,\n"
    )
    r = natrisk(home, "signals", "import", str(bad), "--edition", str(ed), "--user", "analyst",
                "--database", url)  # fmt: skip
    assert r.returncode == 2
    for place in ("line 3, signal b: title", "line 4, signal c: themes.0",
                  "line 5, signal d: scenarios.0", "line 6, signal e: observed"):  # fmt: skip
        assert place in r.stderr, r.stderr
    assert "nothing was imported" in r.stderr
    r = natrisk(home, "signals", "list", "--edition", str(ed), "--user", "analyst",
                "--database", url, "--json")  # fmt: skip
    assert json.loads(r.stdout)["total"] == 0


def test_the_demo_threat_picture_from_files(tmp_path: Path) -> None:
    r = natrisk(tmp_path, "signals", "check", str(SIGNALS), "--workbook", str(EXAMPLE))
    assert r.returncode == 0 and "90 signals, 2 scans" in r.stderr
    r = natrisk(tmp_path, "scan", "report", "autumn-2026", "--signals", str(SIGNALS),
                "--workbook", str(EXAMPLE), "--out", str(tmp_path / "o"))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "o" / "threat-picture-en.pdf").read_bytes().startswith(b"%PDF")
    html = (tmp_path / "o" / "threat-picture-en.html").read_text()
    assert "What changed since the previous scan" in html and "Horizon scan spring 2026" in html
    r = natrisk(tmp_path, "scan", "report", "winter", "--signals", str(SIGNALS),
                "--workbook", str(EXAMPLE), "--out", str(tmp_path / "w"))  # fmt: skip
    assert r.returncode == 2 and "no scan 'winter'" in r.stderr and not (tmp_path / "w").exists()
    r = natrisk(tmp_path, "signals", "cluster", str(SIGNALS), "--json")
    groups = json.loads(r.stdout)
    assert [
        "s081-critical-1a",
        "s082-critical-1b",
        "s083-critical-1c",
        "s084-critical-1d",
    ] in groups
