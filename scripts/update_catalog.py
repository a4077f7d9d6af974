"""Extract translatable strings and update the Dutch catalogue (keeps existing translations).

Run: .venv/bin/python scripts/update_catalog.py   (after editing user-facing text)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "src/natrisk/locale/nl/LC_MESSAGES/natrisk.po"
# strings chosen at run time (stability verdicts, framework status) that extraction cannot see
DYNAMIC = [
    "stable",
    "moderate",
    "uncertain",
    "verified",
    "provisional",
    "draft",
    "review",
    "adopted",
    "published",  # edition statuses
    "reader",
    "reviewer",
    "expert",
    "analyst",
    "coordinator",
    "administrator",  # roles
    "queued",
    "running",
    "done",
    "failed",  # sensitivity runs
    # capability plan (web/templates/{plan,capability,issue,coverage,calendar,measure}.html,
    # report/templates/progress.html): data values shown through _(x)
    "people",
    "material",
    "knowledge",
    "skills",
    "procedures",  # capability dimensions
    "pro-action",
    "prevention",
    "preparation",
    "response",
    "aftercare",  # chain phases
    "national",
    "regional",
    "private",
    "international",  # capability owners
    "policy",
    "legislation",
    "practical",  # instruments
    "planned",
    "stalled",
    "cancelled",  # measure statuses (running, done above)
    "late",
    "due",
    "upcoming",
    "unrecorded",  # calendar statuses (done above)
    "risk-assessment",
    "horizon-scan",
    "cabinet",
    "midterm-review",
    "next-strategy",
    "milestone",
    "custom",  # calendar event kinds
    "contributor",  # role
    # the cycle's own calendar events (services/followup.py)
    "Horizon scan (spring)",
    "Horizon scan (autumn)",
    "Cabinet informed (first half)",
    "Cabinet informed (second half)",
    "National risk assessment",
    "Midterm review",
    "Next strategy adopted",
]


def main() -> None:
    pot = ROOT / "build" / "natrisk.pot"
    pot.parent.mkdir(exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-o",
            str(pot),
            "--no-location",
            "--omit-header",
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fh:
        template = read_po(fh)
    for msg in DYNAMIC:
        template.add(msg)
    old = Catalog(locale="nl")
    if PO.exists():
        with PO.open("rb") as fh:
            old = read_po(fh, locale="nl")
    new = Catalog(locale="nl", project="natrisk")
    for m in template:
        if m.id:
            prev = old.get(m.id)
            new.add(m.id, prev.string if prev else "")
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as fh:
        write_po(fh, new, omit_header=False, width=100)
    missing = [m.id for m in new if m.id and not m.string]
    print(f"{PO}: {len(new)} messages, {len(missing)} untranslated")
    for m in missing:
        print("  -", m)


if __name__ == "__main__":
    main()
