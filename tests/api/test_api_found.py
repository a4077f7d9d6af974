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


def test_a_comment_on_an_unknown_criterion_is_refused_and_none_on_a_published_edition(
    world: World,
) -> None:
    w = world
    url = f"/api/editions/{w.pub}/scenarios/coastal-flood/comments"
    before = snapshot(w.db)
    err = assert_error(w.as_("reviewer").post(url, json={"body": "hm", "criterion": "9.9"}), 400)
    assert err["problems"][0]["field"] == "criterion" and "'9.9'" in err["problems"][0]["message"]
    assert snapshot(w.db) == before
    w.as_("reviewer").ok("POST", url, 201, json={"body": "fine", "criterion": "2.1"})
    for to in ("review", "adopted", "published"):
        w.as_("coord").ok("POST", f"/api/editions/{w.pub}/transition", json={"to": to})
    before = snapshot(w.db)
    err = assert_error(w.as_("reviewer").post(url, json={"body": "too late"}), 409)
    assert "the review is closed" in err["message"]
    assert snapshot(w.db) == before


def test_a_role_for_someone_cleared_below_the_edition_comes_with_a_warning(world: World) -> None:
    w = world  # the example edition holds scores classified Departementaal Vertrouwelijk
    r = w.as_("coord").ok("PUT", f"/api/editions/{w.pub}/members/reader", json={"role": "reviewer"})
    assert "reader's clearance (Openbaar) is below" in r["warning"], r
    r = w.as_("coord").ok(
        "PUT", f"/api/editions/{w.pub}/members/analyst2", json={"role": "analyst"}
    )
    assert "warning" not in r


def test_the_dutch_report_writes_numbers_methods_and_profiles_in_dutch(world: World) -> None:
    """The Dutch PDF read "2,000 Monte Carlo-trekkingen" and the ids weighted-sum, equal."""
    r = world.as_("reader").get(
        f"/api/editions/{world.pub}/report.html", params={"lang": "nl", "samples": 2000}
    )
    assert r.status_code == 200
    text = r.text
    assert "2.000 Monte Carlo-trekkingen" in text
    assert "2,000" not in text
    assert "<td>Gewogen som</td>" in text and "<td>weighted-sum</td>" not in text
    assert "methode Gewogen som" in text or "Gewogen som-methode" in text or "Gewogen som" in text


def test_a_pdf_report_is_named_by_edition_language_and_date(world: World) -> None:
    import datetime as dt

    r = world.as_("reader").get(
        f"/api/editions/{world.pub}/report.pdf", params={"lang": "nl", "samples": 100}
    )
    assert r.status_code == 200
    today = dt.date.today().isoformat()
    assert (
        f'filename="nl-example-2026-risk-picture-nl-{today}.pdf"'
        in r.headers["content-disposition"]
    )


def test_an_expert_gets_a_score_through_the_api_only_after_judging_it(world: World) -> None:
    w = world
    w.as_("coord").ok(
        "POST",
        f"/api/editions/{w.pub}/invitations",
        201,
        json={"expert": "expert", "scenarios": ["coastal-flood"]},
    )
    url = f"/api/editions/{w.pub}/scenarios/coastal-flood"
    hidden = {"hidden_until_judged": True}
    mine = set(w.as_("expert").ok("GET", f"{url}/judgements"))  # judged before this test
    scores = w.as_("expert").ok("GET", url)["scores"]
    waiting = [k for k in scores if k not in mine]
    assert waiting and all(scores[k] == hidden for k in waiting), scores
    assert all(scores[k] != hidden for k in mine)
    judged = waiting[0]
    w.as_("expert").ok(
        "PUT", f"{url}/judgements/{judged}", json={"class": "C", "rationale": "mine"}
    )
    scores = w.as_("expert").ok("GET", url)["scores"]
    assert scores[judged] != hidden
    assert all(scores[k] == hidden for k in waiting[1:])
    analyst = w.as_("analyst").ok("GET", url)["scores"]
    assert all(v != hidden for v in analyst.values())
