"""GET /api/search: the search of the header's box, in the API, on both databases.

The planted world (api_support) holds a scenario classified Staatsgeheim Geheim with marker
words; whoever is not cleared for it must find none of them and count none.
"""

from __future__ import annotations

from api_support import M_DESC, M_TITLE, World

from natrisk.services.search import KINDS


def test_finds_what_the_caller_may_see_with_counts_and_marks(world: World) -> None:
    found = world.as_("reader").ok("GET", "/api/search", params={"q": "flood"})
    urls = [r["url"] for r in found["results"]]
    assert f"/editions/{world.pub}/scenarios/coastal-flood" in urls
    assert found["total"] == sum(found["counts"].values()) == len(found["results"])
    assert set(found["counts"]) == set(KINDS)
    hit = found["results"][0]
    start, end = hit["marks"][0]
    assert hit["snippet"][start:end].lower().startswith("flood")
    assert hit["edition"]["id"] == world.pub


def test_classified_material_is_neither_shown_nor_counted(world: World) -> None:
    word = M_DESC
    admin = world.as_("admin1").ok("GET", "/api/search", params={"q": word})
    assert admin["total"] >= 1
    for name in ("reader", "analyst", "expert"):
        found = world.as_(name).ok("GET", "/api/search", params={"q": word})
        assert found["total"] == 0, name
        assert found["counts"] == dict.fromkeys(KINDS, 0)
        assert found["results"] == []
    title = world.as_("reader").ok("GET", "/api/search", params={"q": M_TITLE})
    assert title["total"] == 0


def test_other_organisations_find_nothing_of_ours(world: World) -> None:
    found = world.as_("admin2").ok("GET", "/api/search", params={"q": "flood"})
    assert all(r["edition"]["id"] == world.org2 for r in found["results"])


def test_paging_and_kinds(world: World) -> None:
    reader = world.as_("reader")
    first = reader.ok("GET", "/api/search", params={"q": "flood", "per_page": 1})
    assert first["per_page"] == 1 and len(first["results"]) == 1
    assert first["pages"] == first["total"] >= 2
    second = reader.ok("GET", "/api/search", params={"q": "flood", "per_page": 1, "page": 2})
    assert second["results"][0]["url"] != first["results"][0]["url"]
    only = reader.ok("GET", "/api/search", params={"q": "flood", "kind": "scenario"})
    assert {r["kind"] for r in only["results"]} == {"scenario"}


def test_bad_input_gets_a_located_message(world: World) -> None:
    reader = world.as_("reader")
    r = reader.get("/api/search", params={"q": "flood", "kind": "planet"})
    assert r.status_code == 400 and "unknown kind 'planet'" in r.json()["error"]["message"]
    assert reader.get("/api/search", params={"q": "x" * 201}).status_code == 422
    assert reader.get("/api/search", params={"q": "flood", "page": 0}).status_code == 422
    assert reader.get("/api/search").status_code == 422  # q is required
    assert world.anon.get("/api/search", params={"q": "flood"}).status_code == 401
    odd = reader.ok("GET", "/api/search", params={"q": '" OR * NEAR( & | !'})
    assert odd["total"] >= 0
