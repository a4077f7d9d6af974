"""Two analysts saving the same score at once: one wins, the other gets 409, never an overwrite."""

from __future__ import annotations

from api_support import World, assert_error


def _score(w: World, slug: str, cid: str) -> dict[str, object]:
    scen = w.as_("analyst").ok("GET", f"/api/editions/{w.pub}/scenarios/{slug}")
    return scen["scores"][cid]  # type: ignore[no-any-return]


def test_two_analysts_saving_the_same_score_at_once(world: World) -> None:
    w = world
    url = f"/api/editions/{w.pub}/scenarios/coastal-flood/scores/1.2"
    for round_ in range(4):
        version = _score(w, "coastal-flood", "1.2")["version"]
        a, b = w.http.gather(
            w.as_("analyst").arequest(
                "PUT",
                url,
                json={"value": {"class": "B", "rationale": f"first {round_}"}, "version": version},
            ),
            w.as_("analyst2").arequest(
                "PUT",
                url,
                json={"value": {"class": "D", "rationale": f"second {round_}"}, "version": version},
            ),
        )
        assert sorted([a.status_code, b.status_code]) == [200, 409], (a.text, b.text)
        winner, loser = (a, b) if a.status_code == 200 else (b, a)
        err = assert_error(loser, 409)
        assert "changed by someone else" in err["message"], err
        stored = _score(w, "coastal-flood", "1.2")
        assert stored["version"] == version + 1
        assert stored["rationale"] == winner.json()["rationale"]
    history = w.as_("reader").ok("GET", url + "/history")
    assert len(history) == 4, history  # one entry per successful save, none for the losers
    assert w.as_("admin1").ok("GET", "/api/audit/verify") == {"intact": True}


def test_two_analysts_saving_the_same_likelihood_at_once(world: World) -> None:
    w = world
    url = f"/api/editions/{w.pub}/scenarios/river-flood/likelihood"
    scen = w.as_("analyst").ok("GET", f"/api/editions/{w.pub}/scenarios/river-flood")
    version = scen["version"]
    a, b = w.http.gather(
        w.as_("analyst").arequest("PUT", url, json={"value": "B", "version": version}),
        w.as_("analyst2").arequest("PUT", url, json={"value": "D", "version": version}),
    )
    assert sorted([a.status_code, b.status_code]) == [200, 409], (a.text, b.text)
    winner = a if a.status_code == 200 else b
    after = w.as_("analyst").ok("GET", f"/api/editions/{w.pub}/scenarios/river-flood")
    assert after["version"] == version + 1
    assert after["likelihood"] == winner.json()["likelihood"]


def test_if_match_carries_the_version(world: World) -> None:
    w = world
    url = f"/api/editions/{w.pub}/scenarios/heatwave-drought/scores/2.1"
    version = _score(w, "heatwave-drought", "2.1")["version"]
    analyst = w.as_("analyst")
    r = analyst.put(url, json={"value": 500}, headers={"If-Match": f'"{version}"'})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == version + 1
    # the stale version, as an ETag, from the other analyst
    r = w.as_("analyst2").put(url, json={"value": 900}, headers={"If-Match": f'"{version}"'})
    assert_error(r, 409)
    # weak and unquoted forms of the current version work too
    r = w.as_("analyst2").put(url, json={"value": 900}, headers={"If-Match": f'W/"{version + 1}"'})
    assert r.status_code == 200, r.text
    r = analyst.put(url, json={"value": 700}, headers={"If-Match": str(version + 2)})
    assert r.status_code == 200, r.text
    # the header wins over a body version
    r = analyst.put(url, json={"value": 600, "version": version + 3}, headers={"If-Match": "1"})
    assert_error(r, 409)
    # not a version at all
    assert_error(analyst.put(url, json={"value": 600}, headers={"If-Match": "*"}), 400)
    assert_error(analyst.put(url, json={"value": 600}, headers={"If-Match": '"abc"'}), 400)
    final = _score(w, "heatwave-drought", "2.1")
    assert final["version"] == version + 3
    assert final["quantity"] == {"min": 700.0, "max": 700.0}


def test_a_new_score_is_created_with_version_0_once(world: World) -> None:
    w = world
    url = f"/api/editions/{w.pub}/scenarios/heatwave-drought/scores/6.1"
    assert (
        "6.1"
        not in w.as_("analyst").ok("GET", f"/api/editions/{w.pub}/scenarios/heatwave-drought")[
            "scores"
        ]
    )
    a, b = w.http.gather(
        w.as_("analyst").arequest("PUT", url, json={"value": "C", "version": 0}),
        w.as_("analyst2").arequest("PUT", url, json={"value": "D", "version": 0}),
    )
    assert sorted([a.status_code, b.status_code]) == [200, 409], (a.text, b.text)
    assert_error(a if a.status_code == 409 else b, 409)
    assert _score(w, "heatwave-drought", "6.1")["version"] == 1
