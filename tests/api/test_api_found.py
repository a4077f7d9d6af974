"""What a new user stumbled on, through the API (issue 14, item 7): uploads list every problem
in the file's order; analysts and coordinators import; a taken id is named with a free one."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from api_support import World, assert_error, small_raw, snapshot

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from test_cli_found import FOUR, four_xlsx  # noqa: E402


def _upload(w: World, who: str, name: str, data: bytes, **form: str) -> object:
    return w.as_(who).post(
        "/api/editions/upload", files={"file": (name, data, "application/octet-stream")}, data=form
    )


def test_an_upload_lists_every_problem_in_the_order_of_the_file(
    world: World, tmp_path: Path
) -> None:
    w = world
    before = snapshot(w.db)
    err = assert_error(_upload(w, "analyst", "four.yaml", FOUR.encode()), 400)
    found = [(p["where"], p["field"]) for p in err["problems"]]
    assert [where.split(",")[0] for where, _ in found] == [
        "line 9",
        "line 11",
        "line 13",
        "line 14",
    ]
    assert [field for _, field in found] == ["theme", "likelihood", "impacts.9.9", "impacts.5.3"]
    assert err["message"] == "four.yaml: 4 problems"
    data = four_xlsx(tmp_path / "four.xlsx").read_bytes()
    err = assert_error(_upload(w, "coord", "four.xlsx", data), 400)
    wheres = [p["where"].split(", scenario")[0] for p in err["problems"]]
    assert wheres == [
        "sheet scenarios, row 4",
        "sheet impacts, row 2",
        "sheet impacts, row 3",
        "sheet impacts, row 4",
    ]
    assert snapshot(w.db) == before


def test_analysts_and_coordinators_import_readers_do_not(world: World) -> None:
    w = world
    for who in ("analyst", "coord"):
        text = yaml.safe_dump(small_raw(f"by-{who}", f"Imported by {who}")).encode()
        made = w.as_(who).ok(
            "POST",
            "/api/editions/upload",
            201,
            files={"file": ("e.yaml", text, "application/yaml")},
        )
        assert made["your_role"] == "coordinator"
    before = snapshot(w.db)
    text = yaml.safe_dump(small_raw("by-reader", "Reader")).encode()
    for who in ("reader", "reviewer", "expert"):
        assert_error(_upload(w, who, "e.yaml", text), 403)
    assert snapshot(w.db) == before


def test_a_taken_id_names_a_free_one_and_imports_under_it(world: World) -> None:
    w = world
    text = yaml.safe_dump(small_raw("twice", "Twice")).encode()
    first = w.as_("analyst").ok(
        "POST", "/api/editions/upload", 201, files={"file": ("e.yaml", text, "text/yaml")}
    )
    err = assert_error(_upload(w, "analyst", "e.yaml", text), 409)
    assert f"(id {first['id']})" in err["message"] and "'twice-2'" in err["message"]
    err = assert_error(_upload(w, "analyst", "e.yaml", text, new_id="bad id!"), 400)
    assert err["problems"][0]["field"] == "id"
    second = w.as_("analyst").ok(
        "POST",
        "/api/editions/upload",
        201,
        files={"file": ("e.yaml", text, "text/yaml")},
        data={"new_id": "twice-2"},
    )
    assert second["slug"] == "twice-2" and second["id"] != first["id"]
