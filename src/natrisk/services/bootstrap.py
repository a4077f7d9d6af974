"""First start of the shared system: an administrator and the bundled example."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from natrisk.io.workbook import load_workbook
from natrisk.security import levels
from natrisk.services.access import Actor
from natrisk.services.accounts import add_user
from natrisk.services.workspace import import_workbook
from natrisk.store.database import Database
from natrisk.store.models import User

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
EXAMPLE = EXAMPLES / "nl-2026.yaml"
BASELINE = EXAMPLES / "nl-2023.yaml"  # the picture the example strategy started from
PLAN = EXAMPLES / "nl-plan-2026.yaml"
REGIONS = EXAMPLES / "regions"  # illustrative regional profiles that roll up into the example
TRENDS = EXAMPLES / "trends-2026.yaml"  # strategic foresight, read against TRENDS_BASELINE
TRENDS_BASELINE = EXAMPLES / "trends-2023.yaml"
DEEPDIVE = EXAMPLES / "deepdive-2026.yaml"
SIGNALS = EXAMPLES / "signals-2026.yaml"  # two illustrative horizon scans of 2026


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
            actor = Actor.of(user)
            baseline = None
            if BASELINE.exists():
                baseline = import_workbook(
                    s, BASELINE, load_workbook(BASELINE), actor, "bundled example"
                )
            regions = sorted(REGIONS.glob("*.yaml")) if REGIONS.is_dir() else []
            for path in regions:
                import_workbook(s, path, load_workbook(path), actor, "bundled example")
            if PLAN.exists():
                from natrisk.io.plan import load_plan
                from natrisk.services.plan_store import import_plan

                plan = import_plan(s, actor, edition.id, load_plan(PLAN))
                imported += f" with its plan {plan.id}"
            imported += _signals(s, actor, edition.id)
            imported += _foresight(s, actor, edition.id, baseline.id if baseline else None)
            if regions:
                imported += (
                    f", and {len(regions)} illustrative regional profiles that roll up into it"
                )
    return (
        f"first start: created administrator 'admin' with password {password!r}{imported}. "
        "Change it, or create your own accounts with: natrisk users add"
    )


def _signals(s: Any, actor: Actor, edition: int) -> str:
    """The example's signals and its spring and autumn scans (before the deep-dive, which
    may name signals)."""
    from natrisk.io.files import read_bytes
    from natrisk.io.signals import parse_located
    from natrisk.services.signal_files import import_file

    if not SIGNALS.exists():
        return ""
    doc, locate = parse_located(read_bytes(SIGNALS), str(SIGNALS))
    done = import_file(s, actor, edition, doc, locate)
    return f", {done.signals} signals in {done.scans} horizon scans"


def _foresight(s: Any, actor: Actor, edition: int, baseline: int | None) -> str:
    """The example's trends (and their baseline, on the baseline edition) and its deep-dive."""
    from natrisk.io.deepdive import load_deepdive
    from natrisk.io.trends import load_trends
    from natrisk.services.deepdives import import_deepdive
    from natrisk.services.trends import import_set

    if not TRENDS.exists():
        return ""
    if baseline is not None and TRENDS_BASELINE.exists():
        import_set(s, actor, baseline, load_trends(TRENDS_BASELINE))
    import_set(s, actor, edition, load_trends(TRENDS))
    if DEEPDIVE.exists():
        dd, where = load_deepdive(DEEPDIVE)
        import_deepdive(s, actor, edition, dd, where, str(DEEPDIVE))
    return ", its trends and a deep-dive"
