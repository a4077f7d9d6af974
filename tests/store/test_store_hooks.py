"""The search index's listener is loaded with the first database, not with every command.

Each case runs in a fresh interpreter: what a process has imported is the thing under test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

WRITE_AND_SEARCH = """
from pathlib import Path
from natrisk.io.workbook import load_workbook
from natrisk.services.access import Actor
from natrisk.services.accounts import add_user
from natrisk.services.workspace import import_workbook
from natrisk.store.models import ScenarioRecord, SearchEntry
from sqlalchemy import func, select
with db.session() as s:
    admin = Actor.of(add_user(s, "admin", "a-long-password-1", "nctv", 3, is_admin=True))
    path = Path({example!r})
    import_workbook(s, path, load_workbook(path), admin)
with db.session(write=False) as s:
    entries = select(func.count()).select_from(SearchEntry).where(SearchEntry.kind == "scenario")
    print(s.scalar(entries), s.scalar(select(func.count()).select_from(ScenarioRecord)))
"""


def _run(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


def test_reading_a_workbook_loads_no_database_layer() -> None:
    code = (
        "import sys\n"
        "from natrisk.services.scoring import resolve\n"
        "from natrisk.services.frameworks import load_framework\n"
        "print('sqlalchemy' in sys.modules, 'natrisk.services.search' in sys.modules)"
    )
    assert _run(code) == "False False"


@pytest.mark.parametrize("services_first", [True, False], ids=["services-first", "database-first"])
def test_the_index_follows_writes_whichever_is_imported_first(
    tmp_path: Path, services_first: bool
) -> None:
    from natrisk.store.database import Database

    example = ROOT / "examples" / "nl-2026.yaml"
    url = f"sqlite:///{tmp_path / 'natrisk.db'}"
    Database(url).close()  # migrated here: the migrations would load the index themselves
    open_db = (
        f"from natrisk.store.database import Database\ndb = Database({url!r}, upgrade=False)\n"
    )
    services = "import natrisk.services\n"
    prefix = services + open_db if services_first else open_db + services
    entries, scenarios = map(
        int, _run(prefix + WRITE_AND_SEARCH.format(example=str(example))).split()
    )
    assert entries == scenarios > 0
