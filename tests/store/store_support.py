"""Helpers for the storage tests: users, actors, workbooks and counts in a real database.

Every helper works on a ``natrisk.store.database.Database`` (the ``database`` fixture, an
SQLite file or a PostgreSQL database) and does its work in its own transaction, as a request
of the web API would.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

from natrisk.domain.edition import Workbook
from natrisk.io.workbook import load_workbook
from natrisk.security import DEFAULT_LEVELS
from natrisk.services import workspace
from natrisk.services.access import Actor, edition_for
from natrisk.services.accounts import add_user, set_role
from natrisk.store.database import Database
from natrisk.store.models import (
    AuditEntry,
    Edition,
    FrameworkRecord,
    Membership,
    ScenarioRecord,
    ScoreRecord,
    User,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "nl-2026.yaml"
PASSWORD = "a-long-password-1"
OPENBAAR, DEPV, STGCONF, STGGEHEIM = DEFAULT_LEVELS
TOP = len(DEFAULT_LEVELS) - 1
CLI_TIMEOUT = 180

# A small edition on the bundled nl-2019 yardstick: class, range and quantity scores.
SMALL: dict[str, Any] = {
    "format": "natrisk/1",
    "edition": {"id": "small-2026", "title": "Small edition", "framework": "nl-2019"},
    "scenarios": [
        {
            "id": "flood-coast",
            "title": "Coastal flood",
            "theme": "climate-and-natural-disasters",
            "malicious": False,
            "description": "A storm surge breaches a dike.",
            "likelihood": "B",
            "impacts": {
                "2.1": 350,
                "3.1": {"min": 5.0e9, "max": 2.0e10},
                "5.1": {"class": "B-C", "rationale": "Evacuation for days.", "sources": ["s1"]},
                "1.1": "X",
            },
        },
        {
            "id": "cyber-grid",
            "title": "Cyber attack on the power grid",
            "theme": "cyber",
            "malicious": True,
            "likelihood": "C",
            "impacts": {"3.1": {"min": 1.0e8, "max": 1.0e9}, "5.1": "C", "5.3": "B"},
        },
        {
            "id": "pandemic",
            "title": "Pandemic",
            "theme": "infectious-diseases",
            "likelihood": {"probability": {"min": 0.01, "max": 0.05}},
            "impacts": {"2.1": {"min": 1000, "max": 10000}, "5.1": "D", "5.3": "C-D"},
        },
    ],
}


def small_doc(slug: str = "small-2026", **edition: Any) -> dict[str, Any]:
    """A fresh copy of the small workbook (as a plain document), with edition fields set."""
    doc = copy.deepcopy(SMALL)
    doc["edition"]["id"] = slug
    doc["edition"].update(edition)
    return doc


def classified_doc(slug: str = "classified-2026") -> dict[str, Any]:
    """The small workbook with a classification on the edition, a scenario and a rationale."""
    doc = small_doc(slug, classification=DEPV)
    doc["scenarios"][2]["classification"] = STGCONF
    doc["scenarios"][0]["impacts"]["5.1"] = {
        "class": "B-C",
        "rationale": "Evacuation plan details.",
        "sources": ["internal memo 12"],
        "classification": STGGEHEIM,
    }
    doc["scenarios"][1]["impacts"]["5.3"] = {
        "class": "B",
        "rationale": "Departmental view.",
        "classification": DEPV,
    }
    return doc


def write_doc(doc: dict[str, Any], path: Path) -> Path:
    """Write a workbook document as YAML."""
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def load_doc(doc: dict[str, Any], tmp_path: Path, name: str = "book.yaml") -> tuple[Path, Workbook]:
    """Write a document and load it the way every file is loaded."""
    path = write_doc(doc, tmp_path / name)
    return path, load_workbook(path)


def new_actor(
    db: Database,
    username: str,
    organisation: str = "org1",
    clearance: str | int = TOP,
    admin: bool = False,
) -> Actor:
    """Create a user (in its own transaction) and return the actor for it."""
    with db.session() as s:
        return Actor.of(add_user(s, username, PASSWORD, organisation, clearance, admin))


def actor_of(db: Database, username: str) -> Actor:
    """The actor of an existing user."""
    with db.session() as s:
        return Actor.of(s.scalars(select(User).where(User.username == username)).one())


def grant(db: Database, manager: Actor, edition_id: int, username: str, role: str) -> None:
    """Give a user a role on an edition."""
    with db.session() as s:
        set_role(s, manager, edition_id, username, role)


def import_book(db: Database, actor: Actor, book: Workbook, path: Path | None = None) -> int:
    """Import a workbook as a new draft edition; its id."""
    with db.session() as s:
        return workspace.import_workbook(s, path, book, actor).id


def import_example(db: Database, actor: Actor) -> int:
    """Import the bundled example; its edition id."""
    return import_book(db, actor, load_workbook(EXAMPLE), EXAMPLE)


def view(
    db: Database, actor: Actor, edition_id: int, clearance: int | None = None
) -> tuple[Workbook, dict[str, Any]]:
    """What the actor sees of an edition (as an export gives it)."""
    with db.session() as s:
        edition, _ = edition_for(s, actor, edition_id)
        return workspace.workbook_view(
            s, edition, actor.clearance if clearance is None else clearance
        )


def score_row(db: Database, edition_id: int, slug: str, cid: str) -> ScoreRecord | None:
    """The stored row of one score (read directly, whatever anyone's clearance)."""
    with db.session() as s:
        return s.scalars(
            select(ScoreRecord)
            .join(ScenarioRecord, ScenarioRecord.id == ScoreRecord.scenario_id)
            .where(
                ScenarioRecord.edition_id == edition_id,
                ScenarioRecord.slug == slug,
                ScoreRecord.criterion == cid,
            )
        ).first()


def edition_row(db: Database, edition_id: int) -> Edition | None:
    """The stored row of an edition."""
    with db.session() as s:
        return s.get(Edition, edition_id)


def counts(db: Database) -> dict[str, int]:
    """How many rows the tables an import writes to hold."""
    tables = {
        "editions": Edition,
        "scenarios": ScenarioRecord,
        "scores": ScoreRecord,
        "memberships": Membership,
        "audit": AuditEntry,
        "frameworks": FrameworkRecord,
    }
    with db.session() as s:
        return {
            name: s.scalar(select(func.count()).select_from(model)) or 0
            for name, model in tables.items()
        }


def run_cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m natrisk ARGS`` as a user would, in a clean environment."""
    # the operator's audit key file is configuration the CLI shares with the server
    keep = ("NATRISK_AUDIT_KEY_FILE",)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NATRISK_") or k in keep}
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    if cwd is not None:
        env["XDG_DATA_HOME"] = str(cwd / "xdg")
    return subprocess.run(
        [sys.executable, "-m", "natrisk", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=CLI_TIMEOUT,
        check=False,
    )
