"""Property tests of the aggregation methods on random class matrices, weights and values."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from natrisk.method.aggregation import METHODS, make_method
from natrisk.method.ranking import competition_ranks

K = 5  # classes 0 (X) .. 5 (E)
SETTINGS = settings(max_examples=60, deadline=None)

weight = st.one_of(st.just(0.0), st.floats(0.01, 10.0, allow_nan=False, allow_infinity=False))


@st.composite
def class_matrix(draw, min_scen=1, max_scen=8, max_crit=6, n_crit=None):
    n_scen = draw(st.integers(min_scen, max_scen))
    n_crit = n_crit or draw(st.integers(1, max_crit))
    return draw(hnp.arrays(np.int64, (n_scen, n_crit), elements=st.integers(0, K)))


@st.composite
def weights_for(draw, n_crit):
    w = np.array(draw(st.lists(weight, min_size=n_crit, max_size=n_crit)))
    if w.sum() <= 0:
        w[draw(st.integers(0, n_crit - 1))] = draw(st.floats(0.01, 10.0))
    return w


@st.composite
def class_values(draw):
    """A geometric scale: X = 0, then a, a r, a r^2, ... (METHOD.md section 5)."""
    a = draw(st.floats(0.1, 10.0))
    r = draw(st.floats(1.1, 10.0))
    return np.concatenate(([0.0], a * r ** np.arange(K)))


@st.composite
def problem(draw, min_scen=1, max_scen=8, max_crit=6):
    classes = draw(class_matrix(min_scen, max_scen, max_crit))
    w = draw(weights_for(classes.shape[1]))
    values = draw(class_values())
    return classes, w, values


def methods(values):
    return [make_method(name, K, values) for name in METHODS]


@SETTINGS
@given(problem(min_scen=2), st.data())
def test_dominance_is_respected(prob, data):
    classes, w, values = prob
    n_scen = classes.shape[0]
    a = data.draw(st.integers(0, n_scen - 1))
    b = data.draw(st.integers(0, n_scen - 1).filter(lambda i: i != a))
    classes = classes.copy()
    classes[a] = np.maximum(classes[a], classes[b])  # a at least as bad as b everywhere
    for method in methods(values):
        ranks = method(classes, w).ranks
        assert ranks[a] <= ranks[b], (method.name, classes.tolist(), w.tolist(), ranks.tolist())


@SETTINGS
@given(problem(), st.data())
def test_a_zero_weight_criterion_changes_no_rank(prob, data):
    classes, w, values = prob
    extra = data.draw(hnp.arrays(np.int64, (classes.shape[0], 1), elements=st.integers(0, K)))
    at = data.draw(st.integers(0, classes.shape[1]))
    wider = np.insert(classes, [at], extra, axis=1)
    wider_w = np.insert(w, at, 0.0)
    for method in methods(values):
        before = method(classes, w).ranks
        after = method(wider, wider_w).ranks
        assert np.array_equal(before, after), (method.name, before.tolist(), after.tolist())


@SETTINGS
@given(problem(), class_values())
def test_medal_ignores_class_values(prob, other_values):
    classes, w, values = prob
    one = make_method("medal", K, values)(classes, w)
    two = make_method("medal", K, other_values)(classes, w)
    assert np.array_equal(one.scores, two.scores)
    assert np.array_equal(one.ranks, two.ranks)


@SETTINGS
@given(problem(), st.data())
def test_ranks_are_competition_ranks(prob, data):
    classes, w, values = prob
    n_scen = classes.shape[0]
    # duplicate one row so that identical rows are always present
    i = data.draw(st.integers(0, n_scen - 1))
    classes = np.vstack([classes, classes[i : i + 1]])
    for method in methods(values):
        result = method(classes, w)
        ranks = result.ranks
        assert ranks.min() == 1 and ranks.max() <= n_scen + 1
        # competition: a rank is one more than the number of strictly better scenarios
        for r in ranks:
            assert r == 1 + int((ranks < r).sum())
        # identical rows tie
        assert ranks[i] == ranks[-1], method.name
        # a clearly higher score means a better (smaller) rank, equal scores one rank
        s = result.scores
        for p in range(len(s)):
            for q in range(len(s)):
                if s[p] > s[q] + 1e-6 * max(1.0, abs(s[q])):
                    assert ranks[p] < ranks[q]
                if s[p] == s[q]:
                    assert ranks[p] == ranks[q]


def evamix_brute_force(classes: np.ndarray, w: np.ndarray) -> np.ndarray:
    """score_i = 1/(S-1) sum_{j != i} sum_c w_c sgn(k_ic - k_jc) / sum_c w_c, in O(S^2 C)."""
    n_scen, n_crit = classes.shape
    if n_scen < 2:
        return np.zeros(n_scen)
    out = np.zeros(n_scen)
    for i in range(n_scen):
        total = 0.0
        for j in range(n_scen):
            if j == i:
                continue
            for c in range(n_crit):
                total += w[c] * np.sign(classes[i, c] - classes[j, c])
        out[i] = total / w.sum() / (n_scen - 1)
    return out


@SETTINGS
@given(problem())
def test_evamix_equals_brute_force(prob):
    classes, w, values = prob
    got = make_method("evamix", K, values)(classes, w)
    expected = evamix_brute_force(classes, w)
    np.testing.assert_allclose(got.scores, expected, atol=1e-12)
    assert np.array_equal(got.ranks, competition_ranks(expected))
    assert np.all(np.abs(got.scores) <= 1 + 1e-12)


@SETTINGS
@given(problem())
def test_medal_is_a_lexicographic_medal_table(prob):
    classes, w, values = prob
    counted = classes[:, w > 0]
    keys = [tuple(int((row == k).sum()) for k in range(K, 0, -1)) for row in counted]
    expected = [1 + sum(other > key for other in keys) for key in keys]
    got = make_method("medal", K, values)(classes, w)
    assert got.ranks.tolist() == expected
    # and the order of the keys is the order of the scores
    order = sorted(range(len(keys)), key=lambda s: keys[s], reverse=True)
    assert all(got.scores[p] >= got.scores[q] for p, q in zip(order, order[1:], strict=False))


@SETTINGS
@given(
    st.integers(1, 5),
    st.integers(1, 7),
    st.integers(1, 6),
    class_values(),
    st.data(),
)
def test_batched_equals_separate_calls(n, n_scen, n_crit, values, data):
    classes = data.draw(hnp.arrays(np.int64, (n, n_scen, n_crit), elements=st.integers(0, K)))
    ws = np.stack([data.draw(weights_for(n_crit)) for _ in range(n)])
    for method in methods(values):
        batch = method(classes, ws)
        shared = method(classes, ws[0])  # one weight vector for every draw
        assert batch.scores.shape == (n, n_scen)
        for i in range(n):
            single = method(classes[i], ws[i])
            np.testing.assert_allclose(batch.scores[i], single.scores, rtol=1e-12, atol=1e-12)
            assert np.array_equal(batch.ranks[i], single.ranks), method.name
            one = method(classes[i], ws[0])
            np.testing.assert_allclose(shared.scores[i], one.scores, rtol=1e-12, atol=1e-12)
            assert np.array_equal(shared.ranks[i], one.ranks), method.name


@SETTINGS
@given(problem(), st.floats(0.01, 100.0))
def test_scaling_the_weights_changes_nothing(prob, factor):
    classes, w, values = prob
    assume(np.all(w * factor < 1e6))
    for method in methods(values):
        one = method(classes, w)
        two = method(classes, w * factor)
        np.testing.assert_allclose(one.scores, two.scores, rtol=1e-9, atol=1e-12)


@SETTINGS
@given(problem(), st.data())
def test_permuting_scenarios_permutes_ranks(prob, data):
    classes, w, values = prob
    perm = np.array(data.draw(st.permutations(range(classes.shape[0]))))
    for method in methods(values):
        one = method(classes, w)
        two = method(classes[perm], w)
        assert np.array_equal(one.ranks[perm], two.ranks), method.name
