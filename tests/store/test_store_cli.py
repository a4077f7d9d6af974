"""The shared-system commands as a user runs them: users add, db import/export, diff."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import func, select
from store_support import EXAMPLE, PASSWORD, counts, run_cli

from natrisk.domain.edition import Score
from natrisk.io.workbook import load_workbook, write_workbook
from natrisk.store.database import Database
from natrisk.store.models import User


def test_users_import_export_diff_round_trip(
    database: Database, db_url: str, tmp_path: Path
) -> None:
    db = ("--database", db_url)
    made = run_cli(
        "users", "add", "alice", "--organisation", "org1", "--clearance", "Openbaar",
        "--admin", "--password", PASSWORD, *db, cwd=tmp_path,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "created user alice" in made.stderr

    imported = run_cli("db", "import", EXAMPLE, "--user", "alice", *db, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "as id 1" in imported.stderr

    out = tmp_path / "tmp" / "x.yaml"
    out.parent.mkdir()
    exported = run_cli("db", "export", "1", "--out", out, "--user", "alice", *db, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert load_workbook(out) == load_workbook(EXAMPLE)
    before = counts(database)

    bad = tmp_path / "bad.yaml"
    bad_text = EXAMPLE.read_text(encoding="utf-8").replace("id: nl-example-2026", "id: bad-2026")
    bad_text = bad_text.replace('"1.2": {class: "A"', '"9.9": {class: "A"', 1)
    assert '"9.9"' in bad_text
    bad.write_text(bad_text, encoding="utf-8")
    # three refusals at once: each must exit 2 with a message and change nothing
    with ThreadPoolExecutor(3) as pool:
        refused_import = pool.submit(
            run_cli, "db", "import", bad, "--user", "alice", *db, cwd=tmp_path
        )
        refused_export = pool.submit(
            run_cli, "db", "export", "99", "--out", tmp_path / "none.yaml", "--user", "alice",
            *db, cwd=tmp_path,
        )  # fmt: skip
        refused_user = pool.submit(
            run_cli, "users", "add", "alice", "--organisation", "org1", "--password", PASSWORD,
            *db, cwd=tmp_path,
        )  # fmt: skip
    for result, expected in (
        (refused_import.result(), "9.9"),
        (refused_export.result(), "no edition 99"),
        (refused_user.result(), "already exists"),
    ):
        assert result.returncode == 2, (result.args, result.stderr)
        assert expected in result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "none.yaml").exists()
    assert counts(database) == before

    # the next cycle: a changed copy, imported, and the difference shown
    book = load_workbook(out)
    book.edition.id = "nl-example-2027"
    river = next(s for s in book.scenarios if s.id == "river-flood")
    river.impacts["4.1"] = Score.model_validate({"class": "E", "rationale": "worse"})
    changed = tmp_path / "changed.json"
    write_workbook(book, changed)
    second = run_cli("db", "import", changed, "--user", "alice", *db, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "as id 2" in second.stderr

    diff = run_cli("diff", "1", "2", "--user", "alice", *db, cwd=tmp_path)
    assert diff.returncode == 0, diff.stderr
    d = json.loads(diff.stdout)
    assert (d["from"]["id"], d["to"]["id"]) == (1, 2)
    assert d["added"] == [] and d["removed"] == []
    assert [c["id"] for c in d["scores_changed"]] == ["river-flood"]
    assert d["scores_changed"][0]["criteria"]["4.1"]["to"] == "E"
    assert "river-flood" in [m["id"] for m in d["moved"]]


def test_refusals_on_an_empty_database_store_nothing(
    database: Database, db_url: str, tmp_path: Path
) -> None:
    db = ("--database", db_url)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "format: natrisk/1\n"
        "edition: {id: e1, title: E, framework: nl-2019}\n"
        "scenarios:\n"
        "  - {id: s1, title: S, theme: cyber, likelihood: B, impacts: {'5.1': C}}\n"
        "  - {id: s2, title: T, theme: cyber, likelihood: Q, impacts: {'5.1': C}}\n",
        encoding="utf-8",
    )
    calls = {
        "short password": (
            ["users", "add", "carol", "--organisation", "org1", "--password", "short"],
            "12 characters",
        ),
        "unknown clearance": (
            ["users", "add", "carol", "--organisation", "org1", "--password", PASSWORD,
             "--clearance", "Topgeheim"],
            "unknown classification",
        ),
        "unknown user": (["db", "import", str(bad), "--user", "nobody"], "no active user"),
    }  # fmt: skip
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = {
            name: pool.submit(run_cli, *args, *db, cwd=tmp_path)
            for name, (args, _) in calls.items()
        }
    for name, (_, message) in calls.items():
        result = futures[name].result()
        assert result.returncode == 2, (name, result.stderr)
        assert message in result.stderr, (name, result.stderr)
        assert "Traceback" not in result.stderr
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 0

    made = run_cli(
        "users", "add", "bob", "--organisation", "org1", "--password", PASSWORD, *db,
        cwd=tmp_path,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    result = run_cli("db", "import", bad, "--user", "bob", *db, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "invalid" in result.stderr and "Q" in result.stderr
    assert "Traceback" not in result.stderr
    assert counts(database) == {
        "editions": 0,
        "scenarios": 0,
        "scores": 0,
        "memberships": 0,
        "audit": 0,
        "frameworks": 0,
    }
