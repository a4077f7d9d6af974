"""Properties of the trend analysis (services/trend_analysis.py), a pure computation: a set
read against itself changes nothing; the pressure on a theme or scenario moves by exactly the
weight (sign x strength) of the bearings added or removed; dropping a trend is 'dropped' and
takes its pressure along; the worked example's transitions name the action lines to intensify."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from natrisk.domain.framework import Text
from natrisk.domain.trends import WEIGHT, Bearing, TrendSet
from natrisk.services.trend_analysis import Picture, analyse

ROOT = Path(__file__).resolve().parents[2]
THEMES = ["t1", "t2", "t3"]
SCENARIOS = {"s1": ("S1", "t1"), "s2": ("S2", "t1"), "s3": ("S3", "t2")}
PICTURE = Picture({t: Text(en=t, nl=t) for t in THEMES}, SCENARIOS)

bearing = st.builds(
    lambda target, sign, strength: Bearing.model_validate(
        {("theme" if target in THEMES else "scenario"): target, "sign": sign, "strength": strength}
    ),
    st.sampled_from(THEMES + list(SCENARIOS)),
    st.sampled_from(["+", "-"]),
    st.sampled_from(["weak", "moderate", "strong"]),
)


@st.composite
def sets(draw: st.DrawFn) -> TrendSet:
    trends = []
    for k in range(draw(st.integers(1, 5))):
        bears = draw(st.lists(bearing, max_size=4, unique_by=lambda b: b.target))
        trends.append(
            {
                "id": f"tr{k}",
                "group": "g",
                "title": f"Trend {k}",
                "direction": draw(st.sampled_from(["rising", "stable", "falling"])),
                "bears_on": [b.model_dump(exclude_none=True) for b in bears],
            }
        )
    return TrendSet.model_validate(
        {
            "set": {"id": "s", "title": "S", "year": 2026, "edition": "e"},
            "groups": [{"id": "g", "title": "G"}],
            "trends": trends,
        }
    )


def _pressure(a, kind: str, ident: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    p = next((p for p in a.pressure if (p.kind, p.id) == (kind, ident)), None)
    return (p.now, p.before) if p else (0, 0)


@settings(max_examples=150, deadline=None)
@given(ts=sets())
def test_a_set_against_itself_changes_nothing(ts: TrendSet) -> None:
    a = analyse(ts, ts, PICTURE)
    assert {t.status for t in a.trends} == {"unchanged"}
    assert all(t.changes == [] for t in a.trends)
    assert all(p.delta == 0 for p in a.pressure)


@settings(max_examples=150, deadline=None)
@given(ts=sets(), extra=bearing)
def test_adding_a_bearing_moves_the_pressure_by_its_weight(ts: TrendSet, extra: Bearing) -> None:
    first = ts.trends[0]
    if extra.target in {b.target for b in first.bears_on}:
        return
    more = first.model_copy(update={"bears_on": [*first.bears_on, extra]})
    now = ts.model_copy(update={"trends": [more, *ts.trends[1:]]})
    a = analyse(now, ts, PICTURE)
    kind, ident = extra.target
    after, before = _pressure(a, kind, ident)
    assert after - before == extra.weight
    assert abs(extra.weight) == WEIGHT[extra.strength]
    change = next(t for t in a.trends if t.id == first.id)
    assert change.status == "changed" and change.weight - change.weight_before == extra.weight
    # a scenario feels its theme's pressure, and a theme its scenarios'
    if kind == "scenario":
        theme = SCENARIOS[ident][1]
        after, before = _pressure(a, "theme", theme)
        assert after - before == extra.weight


@settings(max_examples=100, deadline=None)
@given(ts=sets())
def test_a_dropped_trend_takes_its_pressure_along(ts: TrendSet) -> None:
    gone, rest = ts.trends[0], ts.trends[1:]
    a = analyse(ts.model_copy(update={"trends": rest}), ts, PICTURE)
    dropped = [t for t in a.trends if t.status == "dropped"]
    assert [t.id for t in dropped] == [gone.id]
    expected: dict[tuple[str, str], int] = {}
    for b in gone.bears_on:
        kind, ident = b.target
        felt = [b.target]
        if kind == "scenario":
            felt.append(("theme", SCENARIOS[ident][1]))
        else:
            felt += [("scenario", sid) for sid, (_, t) in SCENARIOS.items() if t == ident]
        for key in felt:
            expected[key] = expected.get(key, 0) - b.weight
    for p in a.pressure:
        assert p.delta == expected.get((p.kind, p.id), 0), (p, expected)


def test_the_example_names_the_action_lines_to_intensify() -> None:
    from natrisk.services.trends import analyse_files, open_trends

    ex = ROOT / "examples"
    opened = open_trends(ex / "trends-2026.yaml", ex / "nl-2026.yaml", ex / "nl-plan-2026.yaml")
    data = analyse_files(opened, ex / "trends-2023.yaml").to_json(opened.picture)
    domains = {t["id"]: t for t in data["transitions"]}
    # Kamerbrief voortgang Veiligheidsstrategie (2024), 'Trendanalyse Nationale Veiligheid':
    # four domains, with action line 9 for climate and lines 3, 6 and 7 for technology
    assert len(domains) == 4
    assert domains["climate-mitigation-adaptation"]["lines"] == ["al-09"]
    assert set(domains["technological-developments"]["lines"]) == {"al-03", "al-06", "al-07"}
    advice = {ln["id"]: ln["advice"] for ln in data["lines"]}
    assert {k for k, v in advice.items() if v == "intensify"} >= {"al-02", "al-03", "al-09"}
    assert advice["al-08"] == "keep"
