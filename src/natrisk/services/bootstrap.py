"""First start of the shared system: an administrator and the bundled example."""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy import func, select

from natrisk.io.workbook import load_workbook
from natrisk.security import levels
from natrisk.services.access import Actor
from natrisk.services.accounts import add_user
from natrisk.services.workspace import import_workbook
from natrisk.store.database import Database
from natrisk.store.models import User

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "nl-2026.yaml"


def bootstrap(db: Database) -> str | None:
    """On an empty database: create 'admin' with a random password and import the example."""
    with db.session() as s:
        if (s.scalar(select(func.count()).select_from(User)) or 0) > 0:
            return None
        password = secrets.token_urlsafe(12)
        user = add_user(
            s,
            "admin",
            password,
            "example",
            len(levels()) - 1,
            is_admin=True,
            display_name="Administrator",
        )
        imported = ""
        if EXAMPLE.exists():
            edition = import_workbook(
                s, EXAMPLE, load_workbook(EXAMPLE), Actor.of(user), "bundled example"
            )
            imported = f" and imported the bundled example as edition {edition.id}"
    return (
        f"first start: created administrator 'admin' with password {password!r}{imported}. "
        "Change it, or create your own accounts with: natrisk users add"
    )
