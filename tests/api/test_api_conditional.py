"""Conditional reads (ETag, If-None-Match, 304), compression, and the compact risk picture.

A 304 says "your copy is still right"; it must never say that to a reader whose copy is
stale (another request wrote in between) or whose copy came from someone of a higher
clearance, and never to someone who may not read the edition at all.
"""

from __future__ import annotations

import gzip
import json

import pytest
from api_support import SECRET_SLUG, World, assert_error, signed_in_browser

from natrisk.api.headers import HEADERS

READS = [
    "/api/editions/{e}/assessment",
    "/api/editions/{e}/picture",
    "/api/editions/{e}/export",
    "/api/editions/{e}/diagram.json",
]


def _url(path: str, w: World) -> str:
    return path.format(e=w.pub)


@pytest.mark.parametrize("path", READS)
def test_a_current_copy_is_answered_with_304(world: World, path: str) -> None:
    c = world.as_("analyst")
    first = c.get(_url(path, world))
    assert first.status_code == 200, first.text
    tag = first.headers["etag"]
    assert tag.startswith('W/"') and tag.endswith('"'), tag
    assert first.headers["cache-control"] == "private, no-cache"
    again = c.get(_url(path, world), headers={"If-None-Match": tag})
    assert again.status_code == 304, again.text
    assert again.content == b""
    assert again.headers["etag"] == tag
    for name, value in HEADERS.items():  # a 304 is a response like any other
        assert again.headers[name] == value
    assert "content-security-policy" in again.headers
    # a list of tags, one of them current; or a tag sent as strong
    listed = c.get(_url(path, world), headers={"If-None-Match": f'W/"old", {tag}'})
    assert listed.status_code == 304
    strong = c.get(_url(path, world), headers={"If-None-Match": tag.removeprefix("W/")})
    assert strong.status_code == 304


@pytest.mark.parametrize("path", READS)
def test_a_write_makes_the_old_tag_stale(world: World, path: str) -> None:
    c = world.as_("analyst")
    first = c.get(_url(path, world))
    tag = first.headers["etag"]
    scen = c.ok("GET", f"/api/editions/{world.pub}/scenarios/river-flood")
    version = scen["scores"]["5.2"]["version"] if "5.2" in scen["scores"] else 0
    value = "E" if scen["scores"].get("5.2", {}).get("class") != "E" else "A"
    c.ok(
        "PUT",
        f"/api/editions/{world.pub}/scenarios/river-flood/scores/5.2",
        json={"value": value, "version": version, "reason": "conditional test"},
    )
    after = c.get(_url(path, world), headers={"If-None-Match": tag})
    assert after.status_code == 200, after.text
    assert after.headers["etag"] != tag
    assert after.content != first.content


def test_a_tag_of_a_higher_clearance_is_no_use_to_a_lower_one(world: World) -> None:
    url = f"/api/editions/{world.pub}/assessment"
    high = world.as_("admin1").get(url)
    assert SECRET_SLUG in high.text
    low = world.as_("reader").get(url, headers={"If-None-Match": high.headers["etag"]})
    assert low.status_code == 200
    assert SECRET_SLUG not in low.text
    assert low.headers["etag"] != high.headers["etag"]
    # the compact picture too
    url = f"/api/editions/{world.pub}/picture"
    high = world.as_("admin1").get(url)
    low = world.as_("reader").get(url, headers={"If-None-Match": high.headers["etag"]})
    assert low.status_code == 200 and SECRET_SLUG not in low.text
    assert SECRET_SLUG in high.text


def test_parameters_are_part_of_the_tag(world: World) -> None:
    c = world.as_("analyst")
    url = f"/api/editions/{world.pub}/assessment"
    plain = c.get(url)
    medal = c.get(url, params={"method": "medal"}, headers={"If-None-Match": plain.headers["etag"]})
    assert medal.status_code == 200
    assert medal.json()["settings"]["method"] == "medal"
    yaml_ = c.get(f"/api/editions/{world.pub}/export", params={"format": "yaml"})
    json_ = c.get(f"/api/editions/{world.pub}/export")
    assert yaml_.headers["etag"] != json_.headers["etag"]


def test_no_304_for_someone_who_may_not_read(world: World) -> None:
    url = f"/api/editions/{world.secret}/assessment"
    tag = world.as_("admin1").get(url).headers["etag"]
    # admin2 is of another organisation: the edition does not exist for them
    r = world.as_("admin2").get(url, headers={"If-None-Match": tag})
    assert_error(r, 404)
    r = world.anon.get(url, headers={"If-None-Match": "*"})
    assert_error(r, 401)


def test_large_answers_are_gzipped_and_small_ones_are_not(world: World) -> None:
    c = world.as_("analyst")
    url = f"/api/editions/{world.pub}/assessment"
    zipped = c.get(url, headers={"Accept-Encoding": "gzip"})
    plain = c.get(url, headers={"Accept-Encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert zipped.json() == plain.json()  # httpx undid the gzip
    assert int(zipped.headers["content-length"]) < len(plain.content) / 3
    assert zipped.headers["etag"] == plain.headers["etag"]
    assert "Accept-Encoding" in zipped.headers["vary"]
    small = c.get("/api/me", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers
    # answers of other routes are compressed by the middleware, with the security headers
    listing = c.get(f"/api/editions/{world.pub}/scenarios", headers={"Accept-Encoding": "gzip"})
    assert listing.headers["content-encoding"] == "gzip"
    for name, value in HEADERS.items():
        assert listing.headers[name] == value
        assert zipped.headers[name] == value


def test_the_raw_gzip_body_is_valid(world: World) -> None:
    c = world.as_("analyst")

    async def raw() -> tuple[dict[str, str], bytes]:
        req = c.raw.build_request(
            "GET", f"/api/editions/{world.pub}/picture", headers={"Accept-Encoding": "gzip"}
        )
        resp = await c.raw.send(req, stream=True)
        body = b"".join([part async for part in resp.aiter_raw()])
        await resp.aclose()
        return dict(resp.headers), body

    headers, body = c.http.run(raw())
    assert headers["content-encoding"] == "gzip"
    assert json.loads(gzip.decompress(body))["edition"] == world.pub


def test_the_compact_picture_holds_what_the_diagram_draws(world: World) -> None:
    c = world.as_("analyst")
    pic = c.ok("GET", f"/api/editions/{world.pub}/picture")
    full = c.ok("GET", f"/api/editions/{world.pub}/assessment")
    assert [s["id"] for s in pic["scenarios"]] == [s["id"] for s in full["scenarios"]]
    assert pic["edition"] == world.pub and pic["method"] == "weighted-sum"
    assert pic["impact_classes"][0] == "0" or pic["impact_classes"][1] == "A"
    by_id = {s["id"]: s for s in full["scenarios"]}
    numbers = sorted(s["n"] for s in pic["scenarios"])
    assert numbers == list(range(1, len(numbers) + 1))
    for row in pic["scenarios"]:
        assert set(row) == {"id", "n", "title", "theme", "likelihood", "impact", "bars"}
        assert row["impact"] == by_id[row["id"]]["impact_class_position"]
        lo, hi = row["bars"]["impact"]
        assert lo <= row["impact"] <= hi
        lo, hi = row["bars"]["likelihood"]
        assert lo <= row["likelihood"] <= hi
    ranged = [r for r in pic["scenarios"] if r["bars"]["impact"][0] < r["bars"]["impact"][1]]
    assert ranged, "the example has class ranges: some impact bars have a length"
    # far smaller than the full assessment
    assert len(json.dumps(pic)) < len(json.dumps(full)) / 3
    medal = c.ok("GET", f"/api/editions/{world.pub}/picture", params={"method": "medal"})
    assert medal["method"] == "medal"
    assert_error(c.get(f"/api/editions/{world.pub}/picture", params={"method": "x"}), 400)


def test_the_compact_picture_is_in_the_openapi_schema(world: World) -> None:
    schema = world.anon.ok("GET", "/openapi.json")
    op = schema["paths"]["/api/editions/{edition_id}/picture"]["get"]
    ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/Picture")
    props = schema["components"]["schemas"]["PictureScenario"]["properties"]
    assert {"id", "title", "theme", "likelihood", "impact", "bars"} <= set(props)
    assert "304" in op["responses"]


def test_the_picture_page_has_a_tag_per_session(world: World) -> None:
    first, _ = signed_in_browser(world, "analyst")
    second, _ = signed_in_browser(world, "analyst")
    page = first.get(f"/editions/{world.pub}")
    assert page.status_code == 200
    tag = page.headers["etag"]
    assert first.get(f"/editions/{world.pub}", headers={"If-None-Match": tag}).status_code == 304
    # another session carries another CSRF token in its page: the tag is not shared
    other = second.get(f"/editions/{world.pub}", headers={"If-None-Match": tag})
    assert other.status_code == 200 and other.headers["etag"] != tag
    # another language is another page
    nl = first.get(f"/editions/{world.pub}?lang=nl", headers={"If-None-Match": tag})
    assert nl.status_code == 200
    zipped = first.get(f"/editions/{world.pub}", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["content-security-policy"]
