"""Worked examples from a published score table, and the three-point method around them.

Source of every number below: National Risk Assessment 6 (Network of Analysts for National
Security, ANV/RIVM 2014), chapter 3 and Table 1 "Likelihood and impact criterion scores".
The report gives each score as an expected value (EV) with a lower (LL) and upper limit
(UL), places likelihoods inside their class ("B high"), draws the impact axis with each
class three times the one before, and reads the totals in words. The bundled workbook
examples/nra-2014-worked-examples.yaml holds the three scenarios as published.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from natrisk.io.workbook import load_workbook
from natrisk.method.classes import three_point_distribution
from natrisk.method.scale import class_position, reading
from natrisk.services.assessment import assess, read_total, resolve_settings
from natrisk.services.frameworks import load_framework
from natrisk.services.scoring import resolve

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "nra-2014-worked-examples.yaml"
VALUES = np.array([0, 1, 3, 9, 27, 81], dtype=float)  # X, A..E: factor 3 (NRA 6, ch. 3)

# NRA 6, Table 1: (scenario, its total impact as the report reads it, expected classes)
PUBLISHED = {
    "far-right-extremism": ("serious to very serious", "D D B C X B X A E D"),
    "lek-dike-breach": ("serious to very serious", "D A C C B D A D A D"),
    "foreign-enterprise-trojan-horse": ("substantial to serious", "X A A B X D X B C C"),
}


@pytest.fixture(scope="module")
def assessed():  # type: ignore[no-untyped-def]
    book = load_workbook(EXAMPLE)
    fw = load_framework(book.edition.framework)
    table = resolve(book, fw, str(EXAMPLE))
    return assess(table, book, resolve_settings(fw))


def test_the_deterministic_picture_uses_the_expected_values(assessed) -> None:  # type: ignore[no-untyped-def]
    ids = assessed.table.class_ids
    for s, scen in enumerate(assessed.table.scenarios):
        expected = PUBLISHED[scen.id][1].split()
        got = [ids[k] for k in assessed.table.point[s]]
        assert got == expected, scen.id


@pytest.mark.parametrize("sid", list(PUBLISHED))
def test_the_report_s_verbal_totals_are_reproduced(assessed, sid: str) -> None:  # type: ignore[no-untyped-def]
    s = assessed.table.scenario_ids.index(sid)
    assert assessed.impact_reading(s) == PUBLISHED[sid][0]


def test_totals_on_the_class_scale(assessed) -> None:  # type: ignore[no-untyped-def]
    """Mean of class values over the ten criteria, then 1 + log3 (docs/method.md 3.5)."""
    by_id = dict(zip(assessed.table.scenario_ids, assessed.scores, strict=True))
    assert by_id["far-right-extremism"] == pytest.approx(17.8)
    assert by_id["lek-dike-breach"] == pytest.approx(13.2)
    assert by_id["foreign-enterprise-trojan-horse"] == pytest.approx(5.3)
    pos = dict(zip(assessed.table.scenario_ids, assessed.impact_position, strict=True))
    assert pos["far-right-extremism"] == pytest.approx(1 + np.log(17.8) / np.log(3))
    assert 3 < pos["lek-dike-breach"] < 4 and 2 < pos["foreign-enterprise-trojan-horse"] < 3


def test_limits_bound_the_expected_total(assessed) -> None:  # type: ignore[no-untyped-def]
    """The total of the lower limits <= the expected total <= the total of the upper limits."""
    t = assessed.table
    values = VALUES
    for s in range(len(t.scenarios)):
        low, mid, high = (float(values[x].mean()) for x in (t.low[s], t.point[s], t.high[s]))
        assert low <= mid <= high


def test_likelihoods_sit_where_the_report_places_them(assessed) -> None:  # type: ignore[no-untyped-def]
    """'B high' is drawn in the upper part of class B; its bar runs to class C."""
    t = assessed.table
    s = t.scenario_ids.index("far-right-extremism")
    mid, lo, hi = t.likelihood_pos[s]
    b = 1  # class B (A is 0); class i spans [i + 0.5, i + 1.5)
    assert t.framework.likelihood.ids[t.likelihood_point[s]] == "B"
    assert mid == pytest.approx(b + 0.5 + 5 / 6)
    assert lo == pytest.approx(b + 1.0) and hi == pytest.approx(b + 2.0)
    s = t.scenario_ids.index("lek-dike-breach")
    mid, lo, hi = t.likelihood_pos[s]
    assert mid == pytest.approx(3.0) and hi == pytest.approx(2 + 0.5 + 5 / 6)


def test_the_monte_carlo_draws_around_the_expected_value() -> None:
    """Lek dike breach, 5.1: EV D, LL C, UL E gives C 1/4, D 1/2, E 1/4 (docs/method.md 1.7)."""
    p = three_point_distribution(3, 4, 5, 5)
    assert p.tolist() == pytest.approx([0, 0, 0, 0.25, 0.5, 0.25])
    p = three_point_distribution(2, 3, 5, 5)  # B/C/E
    assert p.round(3).tolist() == [0, 0, 0.2, 0.4, 0.267, 0.133]


def test_reading_a_total_in_dutch() -> None:
    fw = load_framework("nl-2009")
    assert read_total(fw, 3.62, "nl") == "ernstig tot zeer ernstig"
    assert read_total(fw, 3.02, "en") == "serious"
    assert read_total(fw, 0.0, "en") == fw.impact_classes.none_label.en


@given(
    st.integers(min_value=0, max_value=5).flatmap(
        lambda lo: st.integers(min_value=lo, max_value=5).flatmap(
            lambda m: st.tuples(st.just(lo), st.just(m), st.integers(min_value=m, max_value=5))
        )
    )
)
def test_three_point_distributions_peak_at_the_expected_class(t: tuple[int, int, int]) -> None:
    lo, m, hi = t
    p = three_point_distribution(lo, m, hi, 5)
    assert p.sum() == pytest.approx(1.0)
    assert int(np.argmax(p)) == m
    support = np.flatnonzero(p > 0)
    assert support.min() == lo and support.max() == hi
    assert np.all(np.diff(p[lo : m + 1]) > 0) and np.all(np.diff(p[m : hi + 1]) < 0)


@given(st.lists(st.floats(min_value=0, max_value=200, allow_nan=False), min_size=2, max_size=30))
def test_the_class_scale_keeps_the_order_and_reads_around_the_value(scores: list[float]) -> None:
    s = np.sort(np.array(scores))
    y = class_position(s, VALUES)
    assert np.all(np.diff(y) >= -1e-12), "a larger total never sits lower"
    assert np.all((y >= 0) & (y <= 5))
    for value in y:
        low, high = reading(float(value))
        assert low - 0.05 <= value <= high + 0.05 and high - low <= 1


def test_class_values_are_classes_on_the_scale() -> None:
    assert class_position(VALUES, VALUES).tolist() == pytest.approx([0, 1, 2, 3, 4, 5])
