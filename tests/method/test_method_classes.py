"""natrisk.method.classes: quantities, ranges and matrices to class distributions."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from natrisk.method import classes as cls

# nl-2019 criterion 2.1 (fatalities): inclusive lower bounds of classes A..E
# (src/natrisk/frameworks/nl-2019.yaml; METHOD.md section 4: <10 / 10-40 / 40-400 / 400-4,000 / >4,000).
FATALITIES = np.array([1.0, 10.0, 40.0, 400.0, 4000.0])
K = 5  # classes A..E above X
X, A, B, C, D, E = range(6)


def certain(k: int) -> np.ndarray:
    out = np.zeros(K + 1)
    out[k] = 1.0
    return out


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, X),
        (0.5, X),
        (np.nextafter(1.0, 0.0), X),
        (1, A),
        (9, A),
        (9.999, A),
        (10, B),
        (39, B),
        (40, C),
        (41, C),
        (399, C),
        (400, D),
        (3999, D),
        (4000, E),
        (4001, E),
        (1e9, E),
    ],
)
def test_classify_point_thresholds_are_inclusive_lower_bounds(value, expected):
    assert cls.classify_point(value, FATALITIES) == expected
    assert np.array_equal(cls.quantity_distribution(value, value, FATALITIES, K), certain(expected))


def test_quantity_range_within_one_band():
    # [10, 40]: both ends sit in or on the edge of B; on a log axis all of it is B
    assert np.allclose(cls.quantity_distribution(10, 40, FATALITIES, K), certain(B))
    assert np.allclose(cls.quantity_distribution(12, 30, FATALITIES, K), certain(B))


def test_quantity_range_is_log_uniform():
    # [20, 80] crosses 40: log(40/20) / log(80/20) = 0.5 in B, the rest in C
    dist = cls.quantity_distribution(20, 80, FATALITIES, K)
    assert dist == pytest.approx([0, 0, 0.5, 0.5, 0, 0])
    # [5, 400]: A gets log(10/5), B log(40/10), C log(400/40), D nothing (400 is its edge)
    dist = cls.quantity_distribution(5, 400, FATALITIES, K)
    total = math.log(400 / 5)
    expected = [0, math.log(2) / total, math.log(4) / total, math.log(10) / total, 0, 0]
    assert dist == pytest.approx(expected)


def test_quantity_range_from_zero_is_uniform():
    # [0, 20]: X gets 1/20 (0..1), A 9/20 (1..10), B 10/20 (10..20), on a linear axis
    dist = cls.quantity_distribution(0, 20, FATALITIES, K)
    assert dist == pytest.approx([0.05, 0.45, 0.5, 0, 0, 0])


def test_quantity_distribution_sums_to_one_and_pads_unreachable_classes():
    dist = cls.quantity_distribution(3, 3000, FATALITIES[:3], K)  # no bounds for D and E
    assert dist.sum() == pytest.approx(1.0)
    assert dist[D] == 0 and dist[E] == 0
    assert dist[C] > 0


def test_range_distribution_is_uniform():
    assert cls.range_distribution(2, 3, K) == pytest.approx([0, 0, 0.5, 0.5, 0, 0])
    assert cls.range_distribution(1, 4, K) == pytest.approx([0, 0.25, 0.25, 0.25, 0.25, 0])
    assert np.array_equal(cls.range_distribution(0, 0, K), certain(X))


# nl-2019 criterion 5.1: people bands x days bands, and its class matrix (nl-2019.yaml)
PEOPLE = np.array([1e4, 1e5, 1e6, 1e7])
DAYS = np.array([1.0, 7.0, 30.0, 180.0])
MATRIX = np.array([[A, A, B, C], [A, B, C, D], [B, C, D, E], [C, D, E, E]])


def test_matrix_distribution_points():
    def point(people, days):
        return cls.matrix_distribution([(people, people), (days, days)], [PEOPLE, DAYS], MATRIX, K)

    assert np.array_equal(point(5e5, 10), certain(MATRIX[1, 1]))  # people band 2, days band 2
    assert np.array_equal(point(5e5, 10), certain(B))
    assert np.array_equal(point(1e4, 1), certain(A))  # both on their first lower bound
    assert np.array_equal(point(2e7, 365), certain(E))
    assert np.array_equal(point(9999, 365), certain(X))  # below the first people band
    assert np.array_equal(point(2e7, 0.5), certain(X))  # below the first days band


def test_matrix_distribution_with_ranges():
    # people log-uniform over [1e5, 1e7]: half in row band 2, half in row band 3;
    # days 0..2 uniform: half below the first band (none), half in column band 1.
    dist = cls.matrix_distribution([(1e5, 1e7), (0, 2)], [PEOPLE, DAYS], MATRIX, K)
    expected = np.zeros(K + 1)
    expected[X] = 0.5
    expected[MATRIX[1, 0]] += 0.25
    expected[MATRIX[2, 0]] += 0.25
    assert dist == pytest.approx(expected)
    assert dist.sum() == pytest.approx(1.0)


def _brute_force_max(dists: np.ndarray) -> np.ndarray:
    out = np.zeros(dists.shape[1])
    for combo in itertools.product(range(dists.shape[1]), repeat=len(dists)):
        p = np.prod([dists[i, k] for i, k in enumerate(combo)])
        out[max(combo)] += p
    return out


@pytest.mark.parametrize("n_parts", [1, 2, 3])
def test_max_distribution_against_enumeration(n_parts):
    rng = np.random.default_rng(n_parts)
    for _ in range(20):
        dists = rng.random((n_parts, K + 1)) * (rng.random((n_parts, K + 1)) < 0.6)
        dists[:, 0] += 1e-3
        dists /= dists.sum(axis=1, keepdims=True)
        got = cls.max_distribution(dists)
        assert got == pytest.approx(_brute_force_max(dists), abs=1e-12)
        assert got.sum() == pytest.approx(1.0)


def test_max_distribution_of_certain_classes():
    assert cls.max_distribution(np.stack([certain(B), certain(D)])) == pytest.approx(certain(D))


def test_floor_below_moves_low_classes_to_none():
    dist = np.array([0.1, 0.2, 0.3, 0.25, 0.15, 0.0])
    got = cls.floor_below(dist, C)
    assert got == pytest.approx([0.6, 0, 0, 0.25, 0.15, 0])
    assert dist[1] == 0.2  # the input is not changed
    assert cls.floor_below(certain(B), C) == pytest.approx(certain(X))
    assert cls.floor_below(certain(D), C) == pytest.approx(certain(D))


def test_point_class_is_the_upper_median():
    assert cls.point_class(cls.range_distribution(B, C, K)) == C  # "B-C"
    assert cls.point_class(cls.range_distribution(B, D, K)) == C  # "B-D"
    assert cls.point_class(cls.range_distribution(A, D, K)) == C  # A-D: 0.25 0.5 ... -> C
    for k in range(K + 1):
        assert cls.point_class(certain(k)) == k
    # the vectorised form works along the last axis
    stacked = np.stack([certain(A), cls.range_distribution(B, C, K), certain(E)])
    assert cls.point_class(stacked).tolist() == [A, C, E]
    # 0.1 + 0.2 + 0.2 sums to a hair above one half in floating point; that is still
    # "exactly one half", so the upper class is taken
    assert cls.point_class(np.array([0.1, 0.2, 0.2, 0.5, 0, 0])) == C


def test_support():
    low, high = cls.support(np.stack([cls.range_distribution(B, D, K), certain(X)]))
    assert low.tolist() == [B, X]
    assert high.tolist() == [D, X]


def _draw(dist: np.ndarray, draws: list[int]) -> list[int]:
    low, table = cls.sampling_tables(dist[None, None, :])
    d = np.array(draws, dtype=np.uint16)[:, None, None]
    return cls.sample_classes(low, table, d)[:, 0, 0].tolist()


def test_sample_classes_inverse_cdf():
    dist = np.array([0.2, 0.3, 0.5, 0, 0, 0])
    # thresholds: rint(0.2 * 65536) - 1 = 13106 and rint(0.5 * 65536) - 1 = 32767, passed by
    # greater draws
    draws = [0, 13106, 13107, 32767, 32768, cls.RESOLUTION - 1]
    assert _draw(dist, draws) == [X, X, A, A, B, B]


def test_sample_classes_never_draws_a_class_without_probability():
    edges = [0, 1, 2, 32767, 32768, cls.RESOLUTION - 2, cls.RESOLUTION - 1]
    for k in range(K + 1):  # a certain class, whatever the draw
        assert set(_draw(certain(k), edges)) == {k}
    # a hole in the middle: B is impossible
    assert set(_draw(np.array([0, 0.5, 0, 0.5, 0, 0]), edges)) == {A, C}
    # leading and trailing impossible classes
    assert set(_draw(cls.range_distribution(B, D, K), edges)) == {B, C, D}


def test_sample_classes_frequencies():
    dist = np.array([0.1, 0.0, 0.25, 0.4, 0.0, 0.25])
    low, table = cls.sampling_tables(np.broadcast_to(dist, (2, 3, K + 1)))
    rng = np.random.default_rng(7)
    draws = cls.uniform_draws(rng, (40000, 2, 3))
    got = cls.sample_classes(low, table, draws)
    assert got.shape == (40000, 2, 3)
    freq = np.bincount(got.ravel(), minlength=K + 1) / got.size
    assert freq == pytest.approx(dist, abs=0.01)
    assert freq[A] == 0 and freq[D] == 0


def test_uniform_draws_cover_all_sixteen_bits_evenly_and_repeat_for_a_seed():
    draws = cls.uniform_draws(np.random.default_rng(3), (1000, 7, 33))  # not a multiple of 4
    assert draws.shape == (1000, 7, 33) and draws.dtype == np.uint16
    counts = np.bincount((draws >> 12).ravel(), minlength=16)  # 16 equal bands of 4,096
    assert counts.sum() == draws.size
    assert np.abs(counts / draws.size - 1 / 16).max() < 0.003
    assert draws.max() > 65000 and draws.min() < 500
    again = cls.uniform_draws(np.random.default_rng(3), (1000, 7, 33))
    assert np.array_equal(draws, again)


def test_a_certain_class_is_drawn_at_the_extreme_draws_too():
    # probability one up to class B: its threshold is 65535, which no 16-bit draw passes
    edges = [0, cls.RESOLUTION // 2, cls.RESOLUTION - 1]
    assert _draw(cls.range_distribution(X, B, K), edges)[-1] == B
    assert _draw(np.array([1e-7, 1 - 1e-7, 0, 0, 0, 0]), edges) == [X, A, A]
