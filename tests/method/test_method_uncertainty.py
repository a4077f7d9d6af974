"""natrisk.method.uncertainty: Monte Carlo over class distributions and weights."""

from __future__ import annotations

import numpy as np
import pytest

from natrisk.errors import OptionError
from natrisk.method.aggregation import METHODS, make_method
from natrisk.method.classes import range_distribution
from natrisk.method.uncertainty import SCORE_BINS, WeightSampler, run_monte_carlo

K = 5
X, A, B, C, D, E = range(6)
VALUES = np.array([0.0, 1.0, 3.0, 9.0, 27.0, 81.0])  # nl-2019 class values


def certain_dist(classes: np.ndarray) -> np.ndarray:
    """(S, C) classes as (S, C, K+1) one-hot distributions."""
    return np.eye(K + 1)[classes]


def uncertain_table() -> np.ndarray:
    """Five scenarios on three criteria, some cells a class range, some certain."""
    rng = np.random.default_rng(11)
    dist = np.zeros((5, 3, K + 1))
    for s in range(5):
        for c in range(3):
            lo = int(rng.integers(0, 5))
            hi = min(K, lo + int(rng.integers(0, 3)))
            dist[s, c] = range_distribution(lo, hi, K)
    return dist


def fixed(n_crit: int) -> WeightSampler:
    return WeightSampler("fixed", np.ones(n_crit))


def same(a, b) -> None:
    assert np.array_equal(a.rank_hist, b.rank_hist)
    assert np.array_equal(a.score_hist, b.score_hist)
    assert np.array_equal(a.score_mean, b.score_mean)


@pytest.mark.parametrize("name", METHODS)
def test_deterministic_for_a_seed_and_independent_of_workers(name):
    dist = uncertain_table()
    method = make_method(name, K, VALUES)
    sampler = WeightSampler("around", np.array([1.0, 2.0, 0.5]), concentration=20.0)
    kwargs = {"n_samples": 2500, "seed": 42, "chunk_size": 400}
    one = run_monte_carlo(dist, method, sampler, workers=1, **kwargs)
    two = run_monte_carlo(dist, method, sampler, workers=2, **kwargs)
    again = run_monte_carlo(dist, method, sampler, workers=2, **kwargs)
    three = run_monte_carlo(dist, method, sampler, workers=3, **kwargs)
    same(one, two)
    same(two, again)
    same(one, three)
    other = run_monte_carlo(dist, method, sampler, workers=2, **(kwargs | {"seed": 43}))
    assert not np.array_equal(one.rank_hist, other.rank_hist)
    assert one.seed == 42 and one.method == name and one.n_samples == 2500


@pytest.mark.parametrize("name", METHODS)
def test_certain_cells_and_fixed_weights_give_the_deterministic_ranking(name):
    classes = np.array([[C, A, X, B], [D, D, A, X], [C, A, X, B], [X, X, X, A], [E, X, X, X]])
    w = np.array([1.0, 2.0, 0.0, 1.5])
    method = make_method(name, K, VALUES)
    expected = method(classes, w)
    mc = run_monte_carlo(
        certain_dist(classes), method, WeightSampler("fixed", w), 3000, seed=5, chunk_size=700
    )
    assert np.array_equal(mc.rank_quantile(0.05), expected.ranks)
    assert np.array_equal(mc.rank_quantile(0.5), expected.ranks)
    assert np.array_equal(mc.rank_quantile(0.95), expected.ranks)
    assert mc.rank_mean == pytest.approx(expected.ranks.astype(float))
    assert mc.score_mean == pytest.approx(expected.scores)
    lo, hi = mc.score_bounds
    assert mc.score_quantile(0.5) == pytest.approx(expected.scores, abs=(hi - lo) / SCORE_BINS)
    # every draw gave the same rank: one non-empty cell per row
    assert np.array_equal((mc.rank_hist > 0).sum(axis=1), np.ones(5, dtype=int))


def test_histograms_count_every_draw():
    dist = uncertain_table()
    n = 1234
    for name in METHODS:
        mc = run_monte_carlo(dist, make_method(name, K, VALUES), fixed(3), n, chunk_size=500)
        assert mc.rank_hist.shape == (5, 5)
        assert np.array_equal(mc.rank_hist.sum(axis=1), np.full(5, n))
        assert np.array_equal(mc.score_hist.sum(axis=1), np.full(5, n))
        assert mc.score_hist.shape == (5, SCORE_BINS)
        assert np.all(mc.p_top >= 0) and np.all(mc.p_top <= 1)


@pytest.mark.parametrize("top_n", [5, 6, 50])
def test_p_top_is_one_when_top_n_covers_every_scenario(top_n):
    mc = run_monte_carlo(
        uncertain_table(), make_method("evamix", K, VALUES), fixed(3), 500, top_n=top_n
    )
    assert mc.p_top == pytest.approx(np.ones(5))
    assert mc.top_n == top_n


def test_rank_frequencies_follow_the_class_distribution():
    # s0 is B, C or D with 1/3 each; s1 is certainly C. s0 is first when D (and shares first
    # place when both are C): rank 1 with 2/3. s1 is first unless s0 is D: 2/3.
    dist = np.stack([range_distribution(B, D, K), range_distribution(C, C, K)])[:, None, :]
    n = 6000
    mc = run_monte_carlo(dist, make_method("weighted-sum", K, VALUES), fixed(1), n, seed=1)
    assert mc.rank_hist / n == pytest.approx(np.array([[2, 1], [2, 1]]) / 3, abs=0.03)
    assert mc.score_mean[0] == pytest.approx((3 + 9 + 27) / 3, rel=0.05)
    assert mc.rank_quantile(0.05).tolist() == [1, 1]
    assert mc.rank_quantile(0.95).tolist() == [2, 2]


def test_chunk_size_changes_streams_not_statistics():
    dist = uncertain_table()
    method = make_method("weighted-sum", K, VALUES)
    sampler = WeightSampler("around", np.array([1.0, 1.0, 1.0]))
    n = 4000
    small = run_monte_carlo(dist, method, sampler, n, seed=3, chunk_size=250)
    large = run_monte_carlo(dist, method, sampler, n, seed=3, chunk_size=n)
    # different chunking spawns different random streams: not identical ...
    assert not np.array_equal(small.rank_hist, large.rank_hist)
    # ... but statistically alike
    assert np.all(np.abs(small.rank_quantile(0.5) - large.rank_quantile(0.5)) <= 1)
    assert small.rank_mean == pytest.approx(large.rank_mean, abs=0.15)
    assert small.p_top == pytest.approx(large.p_top, abs=0.05)
    assert small.score_mean == pytest.approx(large.score_mean, rel=0.05, abs=0.1)


def test_progress_reports_every_chunk():
    calls = []
    run_monte_carlo(
        uncertain_table(),
        make_method("medal", K, VALUES),
        fixed(3),
        1050,
        chunk_size=500,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(500, 1050), (1000, 1050), (1050, 1050)]


@pytest.mark.parametrize("n_samples", [0, -5])
def test_no_samples_is_an_option_error(n_samples):
    with pytest.raises(OptionError, match="at least 1"):
        run_monte_carlo(uncertain_table(), make_method("medal", K, VALUES), fixed(3), n_samples)


def test_distributions_must_sum_to_one_and_have_three_axes():
    method = make_method("weighted-sum", K, VALUES)
    bad = uncertain_table()
    bad[2, 1, 0] += 0.1
    with pytest.raises(OptionError, match="sum to one"):
        run_monte_carlo(bad, method, fixed(3), 10)
    with pytest.raises(OptionError, match="shape"):
        run_monte_carlo(uncertain_table()[0], method, fixed(3), 10)


def test_distributions_within_the_tolerance_are_sampled_correctly():
    # run_monte_carlo accepts sums within np.allclose of one (about 1e-5). Here the cell is
    # X or A with one half each (and a speck of B), summing to 1 + 9e-6. Its cumulative at A
    # is 1.000008; unnormalised, rint(1.000008 * 65536) - 1 = 65536 would wrap a uint16 to
    # 0: every draw would pass it and X would never be drawn.
    # Expected: mean score about 0.5 (X = 0, A = 1); got about 2 (A and B).
    dist = np.zeros((1, 1, K + 1))
    dist[0, 0, :3] = [0.500008, 0.5, 1e-6]
    mc = run_monte_carlo(dist, make_method("weighted-sum", K, VALUES), fixed(1), 4000, seed=2)
    assert mc.score_mean[0] == pytest.approx(0.5, abs=0.05)


def test_medal_monte_carlo_on_sixteen_criteria_does_not_warn():
    # the sampled classes are uint8: see test_method_aggregation.py for the overflow in
    # medal.py (17.0 ** 255 for class 0 with 16 criteria); under -W error this run fails
    dist = np.zeros((4, 16, K + 1))
    dist[..., X] = 0.5
    dist[..., C] = 0.5
    mc = run_monte_carlo(dist, make_method("medal", K, VALUES), fixed(16), 200, workers=1)
    assert np.array_equal(mc.rank_hist.sum(axis=1), np.full(4, 200))


def test_weight_sampler_rejects_bad_options():
    with pytest.raises(OptionError, match="unknown weight mode"):
        WeightSampler("random", np.ones(3))
    with pytest.raises(OptionError, match="across"):
        WeightSampler("across", np.ones(3))
    with pytest.raises(OptionError, match="across"):
        WeightSampler("across", np.ones(3), profiles=np.empty((0, 3)))
    with pytest.raises(OptionError, match="concentration"):
        WeightSampler("around", np.ones(3), concentration=0.0)
    with pytest.raises(OptionError, match="concentration"):
        WeightSampler("around", np.ones(3), concentration=np.nan)


def test_weight_sampler_fixed():
    base = np.array([1.0, 0.0, 2.5])
    got = WeightSampler("fixed", base).draw(np.random.default_rng(0), 4)
    assert got.shape == (4, 3)
    assert np.array_equal(got, np.tile(base, (4, 1)))


def test_weight_sampler_around_keeps_zeros_and_the_sum():
    base = np.array([2.0, 0.0, 1.0, 3.0, 0.0])
    sampler = WeightSampler("around", base, concentration=50.0)
    got = sampler.draw(np.random.default_rng(0), 5000)
    assert got.shape == (5000, 5)
    assert np.all(got[:, [1, 4]] == 0)
    assert np.all(got[:, [0, 2, 3]] > 0)
    assert got.sum(axis=1) == pytest.approx(np.full(5000, base.sum()))
    assert got.mean(axis=0) == pytest.approx(base, abs=0.05)
    assert got.std(axis=0)[0] > 0.1  # it does vary
    # a higher concentration keeps the draws closer to the profile
    tight = WeightSampler("around", base, concentration=5000.0).draw(np.random.default_rng(0), 5000)
    assert tight.std(axis=0)[0] < got.std(axis=0)[0] / 5
    # a single positive weight cannot move
    single = WeightSampler("around", np.array([0.0, 4.0])).draw(np.random.default_rng(0), 10)
    assert np.allclose(single, [[0.0, 4.0]] * 10)


def test_weight_sampler_across_draws_whole_profiles():
    profiles = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    sampler = WeightSampler("across", profiles[0], profiles=profiles)
    got = sampler.draw(np.random.default_rng(0), 3000)
    rows = {tuple(r) for r in got}
    assert rows == {tuple(p) for p in profiles}
    counts = [int((got == p).all(axis=1).sum()) for p in profiles]
    assert counts == pytest.approx([1000, 1000, 1000], abs=150)
