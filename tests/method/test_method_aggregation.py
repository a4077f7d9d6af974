"""Worked examples of the three aggregation methods, and the method interface's checks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from natrisk.errors import OptionError
from natrisk.method.aggregation import METHODS, make_method
from natrisk.method.evamix import Evamix
from natrisk.method.medal import Medal
from natrisk.method.ranking import competition_ranks, kendall_tau
from natrisk.method.weighted_sum import WeightedSum

X, A, B, C, D, E = range(6)
# Class values of nl-2019 (src/natrisk/frameworks/nl-2019.yaml, class_values): a geometric
# scale with factor 3, "each class a constant factor heavier" (METHOD.md section 5).
NL_VALUES = np.array([0.0, 1.0, 3.0, 9.0, 27.0, 81.0])


def test_weighted_sum_worked_example():
    # Weighted sum (METHOD.md section 5; weighted_sum.py: sum_c w_c v(k_sc) / sum_c w_c),
    # computed by hand with X=0, A=1, B=3, C=9, D=27, E=81 and weights (2, 1, 1):
    #   s1 = C, B, X -> (2*9 + 3 + 0) / 4 = 21/4 = 5.25
    #   s2 = D, X, A -> (2*27 + 0 + 1) / 4 = 55/4 = 13.75
    #   s3 = B, B, B -> (2*3 + 3 + 3) / 4 = 12/4 = 3.0
    classes = np.array([[C, B, X], [D, X, A], [B, B, B]])
    result = make_method("weighted-sum", 5, NL_VALUES)(classes, np.array([2.0, 1.0, 1.0]))
    assert result.method == "weighted-sum"
    assert result.scores == pytest.approx([5.25, 13.75, 3.0])
    assert result.ranks.tolist() == [2, 1, 3]
    # with equal weights: (9+3+0)/3 = 4, (27+0+1)/3 = 28/3, 9/3 = 3
    result = make_method("weighted-sum", 5, NL_VALUES)(classes, np.ones(3))
    assert result.scores == pytest.approx([4.0, 28 / 3, 3.0])


def test_medal_worked_example():
    # Medal (METHOD.md section 5: lexicographic by the count of E, then D, then C ...; an
    # Olympic medal table). Hand-made table, counts (E, D, C, B, A):
    #   s1 = E A A A -> (1, 0, 0, 0, 3)
    #   s2 = D D D D -> (0, 4, 0, 0, 0)
    #   s3 = E B X X -> (1, 0, 0, 1, 0)
    #   s4 = D D D C -> (0, 3, 1, 0, 0)
    # Order: s3 > s1 (same E count, s3 has a B) > s2 > s4.
    # Medal's exact number (medal.py) uses base C+1 = 5: A=1, B=5, C=25, D=125, E=625.
    classes = np.array([[E, A, A, A], [D, D, D, D], [E, B, X, X], [D, D, D, C]])
    result = make_method("medal", 5, NL_VALUES)(classes, np.ones(4))
    assert result.scores.tolist() == [628.0, 500.0, 630.0, 400.0]
    assert result.ranks.tolist() == [2, 3, 1, 4]
    # the weighted sum orders s2 (4 x 27 = 108) above s1 (81 + 3 = 84): methods disagree
    ws = make_method("weighted-sum", 5, NL_VALUES)(classes, np.ones(4))
    assert ws.ranks[1] < ws.ranks[0]
    # a zero weight takes criterion 1 out of the table: counts become
    # s1 (0,0,0,0,3), s2 (0,3,0,0,0), s3 (0,0,0,1,0), s4 (0,2,1,0,0)
    result = make_method("medal", 5, NL_VALUES)(classes, np.array([0.0, 1.0, 1.0, 1.0]))
    assert result.ranks.tolist() == [4, 1, 3, 2]
    # other positive weights change nothing: only whether a criterion counts matters
    heavy = make_method("medal", 5, NL_VALUES)(classes, np.array([0.1, 5.0, 1.0, 3.0]))
    assert heavy.ranks.tolist() == [2, 3, 1, 4]


def test_evamix_worked_example():
    # Evamix, ordinal form (Voogd 1983; METHOD.md section 5; evamix.py docstring):
    #   score_i = 1/(S-1) sum_{j != i} sum_c w_c sgn(k_ic - k_jc) / sum_c w_c
    # Three scenarios, two criteria, weights (2, 1) -> normalised (2/3, 1/3):
    #   s1 = C, A   s2 = B, D   s3 = B, A
    #   s1 vs s2: +2/3 - 1/3 = 1/3;  s1 vs s3: +2/3 + 0 = 2/3  -> s1 = (1/3 + 2/3)/2 = 1/2
    #   s2 vs s1: -1/3;              s2 vs s3: 0 + 1/3 = 1/3   -> s2 = 0
    #   s3 vs s1: -2/3;              s3 vs s2: 0 - 1/3 = -1/3  -> s3 = -1/2
    classes = np.array([[C, A], [B, D], [B, A]])
    result = make_method("evamix", 5, NL_VALUES)(classes, np.array([2.0, 1.0]))
    assert result.scores == pytest.approx([0.5, 0.0, -0.5])
    assert result.ranks.tolist() == [1, 2, 3]
    assert result.scores.sum() == pytest.approx(0.0)  # dominance is antisymmetric


def test_evamix_single_scenario_scores_zero():
    result = Evamix(5)(np.array([[C, D]]), np.ones(2))
    assert result.scores.tolist() == [0.0]
    assert result.ranks.tolist() == [1]


def test_evamix_bounds_are_reached():
    # one scenario above all others on every criterion scores 1, the lowest -1
    classes = np.array([[E, E], [C, C], [A, A]])
    result = Evamix(5)(classes, np.ones(2))
    assert result.scores == pytest.approx([1.0, 0.0, -1.0])
    assert Evamix(5).bounds(3, 2) == (-1.0, 1.0)


@pytest.mark.parametrize(
    ("scores", "ranks"),
    [
        ([5, 3, 3, 1], [1, 2, 2, 4]),
        ([3, 1, 3, 2], [1, 4, 1, 3]),
        ([1, 1, 1], [1, 1, 1]),
        ([0.1 + 0.2, 0.3, 0.0], [1, 1, 3]),  # equal to 9 decimals: a tie
        ([-1.0, 2.0], [2, 1]),
    ],
)
def test_competition_ranks(scores, ranks):
    assert competition_ranks(np.array(scores, dtype=float)).tolist() == ranks


def test_competition_ranks_along_last_axis():
    got = competition_ranks(np.array([[1.0, 2.0, 2.0], [3.0, 2.0, 1.0]]))
    assert got.tolist() == [[3, 1, 1], [1, 2, 3]]


def test_competition_ranks_ties_scores_one_ulp_apart():
    # ranking.py: "identical class vectors must tie even when floating-point summation order
    # differs between rows". Summation order changes the last bit, so two scores one ulp
    # apart must share a rank. Rounding to 9 decimals fails for a pair that straddles a
    # rounding boundary (x.xxxxxxxxx5): here 18.0454545455 and the float just below it.
    x = 18.0454545455
    y = np.nextafter(x, 0.0)
    assert np.round(x, 9) != np.round(y, 9)  # precondition: the pair straddles a boundary
    assert competition_ranks(np.array([x, y])).tolist() == [1, 1]


def test_weighted_sum_identical_rows_tie_near_rounding_boundaries():
    # Identical class rows must tie. The weighted sum's matmul may sum identical rows in
    # different orders (SIMD blocks), so their scores can differ in the last bit; weights
    # are tuned here so the exact score sits on a 9-decimal rounding boundary.
    ws = make_method("weighted-sum", 5, NL_VALUES)
    rng = np.random.default_rng(1)
    for _ in range(300):
        n_crit, n_scen = int(rng.integers(3, 20)), int(rng.integers(5, 20))
        row = rng.integers(1, 6, n_crit)
        w = rng.integers(1, 10, n_crit).astype(float)
        target = np.round(ws(row[None, :], w).scores[0], 9) + 5e-10
        j = int(np.argmax(row))
        vj = NL_VALUES[row[j]]
        rest_v = (NL_VALUES[row] * w).sum() - w[j] * vj
        rest_w = w.sum() - w[j]
        wj = (target * rest_w - rest_v) / (vj - target)
        if not wj > 0:
            continue
        w[j] = wj
        ranks = ws(np.tile(row, (n_scen, 1)), w).ranks
        assert set(ranks.tolist()) == {1}, (row.tolist(), w.tolist(), ranks.tolist())


def test_medal_ignores_class_values():
    classes = np.array([[E, A, X], [D, D, D], [B, C, X]])
    w = np.array([1.0, 2.0, 3.0])
    one = make_method("medal", 5, NL_VALUES)(classes, w)
    other = make_method("medal", 5, np.array([0.0, 10.0, 11.0, 12.0, 1000.0, 1e6]))(classes, w)
    assert np.array_equal(one.scores, other.scores)
    assert not Medal.uses_class_values and WeightedSum.uses_class_values


def test_medal_on_sixteen_criteria_with_uint8_classes_does_not_overflow():
    # Monte Carlo samples arrive as uint8 (classes.sample_classes). For 16 criteria (nl-2019)
    # the base is 17; medal.py computes base ** (classes - 1) for every cell, and for a
    # uint8 class 0 the exponent wraps to 255: 17.0 ** 255 overflows (RuntimeWarning) even
    # though np.where discards it. Expected: no warning, and the same scores as int64 input.
    classes = np.zeros((3, 16), dtype=np.uint8)
    classes[0, :3] = [E, D, X]
    classes[1, :2] = [E, C]
    w = np.ones(16)
    expected = Medal(5)(classes.astype(np.int64), w)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = Medal(5)(classes, w)
    assert np.array_equal(got.scores, expected.scores)
    assert got.ranks.tolist() == [1, 2, 3]


@pytest.mark.parametrize("name", METHODS)
def test_methods_accept_uint8_classes(name):
    classes = np.array([[C, A, X], [B, D, A], [B, A, X]])
    w = np.array([1.0, 2.0, 0.5])
    method = make_method(name, 5, NL_VALUES)
    expected = method(classes, w)
    got = method(classes.astype(np.uint8), w)
    assert got.scores == pytest.approx(expected.scores)
    assert np.array_equal(got.ranks, expected.ranks)


@pytest.mark.parametrize("name", METHODS)
@pytest.mark.parametrize(
    ("classes", "weights", "message"),
    [
        (np.array([1, 2, 3]), np.ones(3), "shape"),
        (np.array([[1, 2]]), np.ones(3), "3 weights given for 2 criteria"),
        (np.array([[1, 2]]), np.array([1.0, -1.0]), "not negative"),
        (np.array([[1, 2]]), np.array([1.0, np.nan]), "finite"),
        (np.array([[1, 2]]), np.array([1.0, np.inf]), "finite"),
        (np.array([[1, 2]]), np.zeros(2), "positive weight"),
        (np.array([[1, 6]]), np.ones(2), "0..5"),
        (np.array([[-1, 2]]), np.ones(2), "0..5"),
        (np.ones((2, 3, 2), dtype=int), np.array([[1.0, 1.0], [0.0, 0.0]]), "positive weight"),
    ],
)
def test_bad_inputs_raise_option_error(name, classes, weights, message):
    with pytest.raises(OptionError, match=message):
        make_method(name, 5, NL_VALUES)(classes, weights)


def test_make_method_rejects_bad_options():
    with pytest.raises(OptionError, match="unknown method"):
        make_method("topsis", 5, NL_VALUES)
    with pytest.raises(OptionError, match="at least one impact class"):
        make_method("medal", 0, np.array([0.0]))
    with pytest.raises(OptionError, match="6 class values"):
        make_method("weighted-sum", 5, NL_VALUES[:5])
    with pytest.raises(OptionError, match="rise"):
        make_method("weighted-sum", 5, np.array([0.0, 1, 3, 2, 27, 81]))
    with pytest.raises(OptionError, match="rise"):
        make_method("weighted-sum", 5, np.array([0.0, 1, 3, 9, 27, np.inf]))
    # equal neighbouring values are allowed (not falling)
    make_method("weighted-sum", 5, np.array([0.0, 1, 1, 9, 27, 81]))


def test_bounds_contain_every_score():
    rng = np.random.default_rng(3)
    classes = rng.integers(0, 6, (200, 6, 4))
    w = rng.random((200, 4)) + 0.01
    for name in METHODS:
        method = make_method(name, 5, NL_VALUES)
        lo, hi = method.bounds(6, 4)
        scores = method(classes, w).scores
        assert scores.min() >= lo - 1e-9 and scores.max() <= hi + 1e-9, name
    # the extremes of each method
    assert Medal(5).bounds(6, 4) == (0.0, 4 * 5.0**4)
    assert Medal(5)(np.full((1, 4), E), np.ones(4)).scores[0] == 4 * 5.0**4
    assert WeightedSum(5, NL_VALUES).bounds(6, 4) == (0.0, 81.0)


def test_kendall_tau():
    assert kendall_tau(np.array([1, 2, 3]), np.array([1, 2, 3])) == pytest.approx(1.0)
    assert kendall_tau(np.array([1, 2, 3]), np.array([3, 2, 1])) == pytest.approx(-1.0)
    assert kendall_tau(np.array([1]), np.array([1])) == 1.0
    assert kendall_tau(np.array([1, 1]), np.array([1, 1])) == 1.0
    assert kendall_tau(np.array([1, 1]), np.array([1, 2])) == 0.0


@settings(max_examples=150, deadline=None)
@given(
    n_classes=st.integers(1, 9),
    shape=st.tuples(st.integers(1, 7), st.integers(1, 9), st.integers(1, 17)),
    seed=st.integers(0, 2**32 - 1),
    strided=st.booleans(),
)
def test_pairwise_class_values_are_the_values_of_each_class(
    n_classes: int, shape: tuple[int, int, int], seed: int, strided: bool
) -> None:
    # Monte Carlo classes are looked up two bytes at a time; any shape, odd sizes and
    # non-contiguous views included, gives exactly the one-at-a-time values
    rng = np.random.default_rng(seed)
    values = np.cumsum(rng.random(n_classes + 1) * 10)
    values[0] = 0.0
    method = WeightedSum(n_classes, values)
    classes = rng.integers(0, n_classes + 1, shape, dtype=np.uint8)
    if strided:
        classes = classes[:, :, ::2]
    assert np.array_equal(method.class_values(classes), values[classes])
    weights = rng.random((shape[0], classes.shape[-1])) + 0.01
    fast, checked = method.evaluate(classes, weights), method(classes, weights)
    assert np.array_equal(fast.scores, checked.scores)
    assert np.array_equal(fast.ranks, checked.ranks)
