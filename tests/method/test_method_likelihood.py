"""natrisk.method.likelihood: probability bands and positions on the diagram's axis."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from natrisk.method import likelihood as lik

# nl-2019 likelihood bands over five years (nl-2019.yaml; METHOD.md section 4):
# A < 0.05 %, B 0.05-0.5 %, C 0.5-5 %, D 5-50 %, E > 50 %
LOWER = np.array([0.0, 0.0005, 0.005, 0.05, 0.5])
UPPER = np.array([0.0005, 0.005, 0.05, 0.5, 1.0])

probability = st.floats(0.0, 1.0, allow_nan=False)


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0.0, 0),
        (1e-9, 0),
        (0.0004999, 0),
        (0.0005, 1),  # band edges are inclusive lower bounds
        (0.001, 1),
        (0.005, 2),
        (0.0499, 2),
        (0.05, 3),
        (0.4999, 3),
        (0.5, 4),
        (0.9, 4),
        (1.0, 4),
    ],
)
def test_class_of_probability(p, expected):
    assert lik.class_of_probability(p, LOWER) == expected


def test_axis_position_at_band_edges():
    assert lik.axis_position(0.0005, LOWER, UPPER) == pytest.approx(1.5)  # B's low end
    assert lik.axis_position(0.5, LOWER, UPPER) == pytest.approx(4.5)  # E's low end
    assert lik.axis_position(1.0, LOWER, UPPER) == pytest.approx(5.5)
    # in the middle of C on a log axis: sqrt(0.005 * 0.05)
    assert lik.axis_position(math.sqrt(0.005 * 0.05), LOWER, UPPER) == pytest.approx(3.0)
    # A is open below: it gets one decade, [0.00005, 0.0005); 0 sits at its low end
    assert lik.axis_position(0.0, LOWER, UPPER) == pytest.approx(0.5)
    assert lik.axis_position(0.00005, LOWER, UPPER) == pytest.approx(0.5)
    assert lik.axis_position(math.sqrt(0.00005 * 0.0005), LOWER, UPPER) == pytest.approx(1.0)


@settings(max_examples=200, deadline=None)
@given(probability)
def test_axis_position_stays_in_its_class(p):
    i = lik.class_of_probability(p, LOWER)
    pos = lik.axis_position(p, LOWER, UPPER)
    assert i + 0.5 - 1e-12 <= pos <= i + 1.5 + 1e-12


@settings(max_examples=200, deadline=None)
@given(probability, probability)
def test_axis_position_is_monotone(p, q):
    p, q = min(p, q), max(p, q)
    assert lik.axis_position(p, LOWER, UPPER) <= lik.axis_position(q, LOWER, UPPER) + 1e-12
    assert lik.class_of_probability(p, LOWER) <= lik.class_of_probability(q, LOWER)


def test_axis_position_is_continuous_at_band_edges():
    for edge in LOWER[1:]:
        below = np.nextafter(edge, 0.0)
        assert lik.axis_position(below, LOWER, UPPER) == pytest.approx(
            lik.axis_position(edge, LOWER, UPPER), abs=1e-9
        )


def test_class_range_position():
    assert lik.class_range_position(1, 1) == (2.0, 2.0, 2.0)
    assert lik.class_range_position(1, 3) == (3.0, 2.0, 4.0)


@settings(max_examples=100, deadline=None)
@given(probability, probability)
def test_probability_range_position(p, q):
    p, q = min(p, q), max(p, q)
    mid, low, high = lik.probability_range_position(p, q, LOWER, UPPER)
    assert low <= mid + 1e-9 and mid <= high + 1e-9
    assert low == lik.axis_position(p, LOWER, UPPER)
    assert high == lik.axis_position(q, LOWER, UPPER)


def test_annualise():
    assert lik.annualise(0.0, 5) == 0.0
    assert lik.annualise(1 - 0.9**5, 5) == pytest.approx(0.1)
    assert lik.annualise(0.5, 1) == pytest.approx(0.5)
