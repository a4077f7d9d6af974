"""Capabilities-based planning rules (natrisk.method.capabilities): properties and worked examples.

Shapes: T tasks, S scenarios, D dimensions, C capabilities. Every rule is checked against a
brute-force loop and against the monotonicity the method promises: more capability never
adds a gap, fewer or deprioritised scenarios never raise a requirement, another task link
never lowers one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from natrisk.method import capabilities as cb

TOP = 4  # the default level scale 0..4
SETTINGS = settings(max_examples=100, deadline=None)
HOLDERS = ("IenW", "VWS", "DEF", "Vewin")


@dataclass(frozen=True)
class Problem:
    demand: np.ndarray  # (T, S, D)
    prioritised: np.ndarray  # (S,)
    serves: np.ndarray  # (C, T)
    current: np.ndarray  # (C, D)
    holders: list[str]

    @property
    def task_req(self) -> np.ndarray:
        return cb.task_requirements(self.demand, self.prioritised)

    @property
    def required(self) -> np.ndarray:
        return cb.capability_requirements(self.serves, self.task_req)

    @property
    def shortfall(self) -> np.ndarray:
        return cb.shortfalls(self.required, self.current)

    @property
    def exposed(self) -> np.ndarray:
        return cb.exposure(self.demand, self.prioritised, self.serves, self.current)

    @property
    def duplicated(self) -> list[int]:
        return cb.duplicated_tasks(self.serves, self.task_req, self.current, self.holders)


@st.composite
def problems(draw, min_s: int = 0, min_c: int = 0, max_holders: int = len(HOLDERS)) -> Problem:
    n_t = draw(st.integers(1, 4))
    n_s = draw(st.integers(min_s, 5))
    n_c = draw(st.integers(min_c, 5))
    n_d = draw(st.integers(1, 5))
    level = st.integers(0, TOP)
    return Problem(
        demand=draw(hnp.arrays(np.int64, (n_t, n_s, n_d), elements=level)),
        prioritised=draw(hnp.arrays(np.bool_, (n_s,))),
        serves=draw(hnp.arrays(np.bool_, (n_c, n_t))),
        current=draw(hnp.arrays(np.int64, (n_c, n_d), elements=level)),
        holders=draw(
            st.lists(
                st.sampled_from(HOLDERS[:max_holders]),
                min_size=n_c,
                max_size=n_c,
            )
        ),
    )


def gap_cells(shortfall: np.ndarray) -> set[tuple[int, int]]:
    return {(int(c), int(d)) for c, d in zip(*np.nonzero(shortfall > 0), strict=True)}


# ----------------------------------------------------------------- brute force references


def brute_task_req(p: Problem) -> np.ndarray:
    n_t, n_s, n_d = p.demand.shape
    out = np.zeros((n_t, n_d), np.int64)
    for t in range(n_t):
        for d in range(n_d):
            out[t, d] = max(
                (int(p.demand[t, s, d]) for s in range(n_s) if p.prioritised[s]), default=0
            )
    return out


def brute_required(p: Problem) -> np.ndarray:
    task_req = brute_task_req(p)
    n_c, n_t = p.serves.shape
    n_d = p.demand.shape[2]
    out = np.zeros((n_c, n_d), np.int64)
    for c in range(n_c):
        for d in range(n_d):
            out[c, d] = max((int(task_req[t, d]) for t in range(n_t) if p.serves[c, t]), default=0)
    return out


def brute_exposure(p: Problem) -> np.ndarray:
    n_t, n_s, n_d = p.demand.shape
    n_c = p.serves.shape[0]
    out = np.zeros((n_c, n_d, n_s), bool)
    for c in range(n_c):
        for d in range(n_d):
            for s in range(n_s):
                out[c, d, s] = bool(p.prioritised[s]) and any(
                    p.serves[c, t] and p.demand[t, s, d] > p.current[c, d] for t in range(n_t)
                )
    return out


def brute_duplicated(p: Problem) -> list[int]:
    task_req = brute_task_req(p)
    out = []
    for t in range(task_req.shape[0]):
        if all(v == 0 for v in task_req[t]):
            continue
        who = set()
        for c in range(p.serves.shape[0]):
            if p.serves[c, t] and all(
                p.current[c, d] >= task_req[t, d] for d in range(task_req.shape[1])
            ):
                who.add(p.holders[c])
        if len(who) >= 2:
            out.append(t)
    return out


def dominates(lik: np.ndarray, imp: np.ndarray, a: int, b: int) -> bool:
    return bool(lik[a] >= lik[b] and imp[a] >= imp[b] and (lik[a] > lik[b] or imp[a] > imp[b]))


# ------------------------------------------------------------------------ brute force


@SETTINGS
@given(problems())
def test_requirements_equal_the_brute_force_maximum(p: Problem) -> None:
    np.testing.assert_array_equal(p.task_req, brute_task_req(p))
    np.testing.assert_array_equal(p.required, brute_required(p))
    assert p.task_req.shape == (p.demand.shape[0], p.demand.shape[2])
    assert p.required.shape == p.current.shape


@SETTINGS
@given(problems())
def test_exposure_equals_the_brute_force_loop(p: Problem) -> None:
    exposed = p.exposed
    assert exposed.shape == (p.serves.shape[0], p.demand.shape[2], p.demand.shape[1])
    assert exposed.dtype == np.bool_
    np.testing.assert_array_equal(exposed, brute_exposure(p))


@SETTINGS
@given(problems())
def test_a_gap_is_exactly_a_cell_with_an_exposed_scenario(p: Problem) -> None:
    # required > current  <=>  some prioritised scenario needs more through a served task
    has_gap = p.shortfall > 0
    np.testing.assert_array_equal(has_gap, p.exposed.any(axis=2))
    np.testing.assert_array_equal(p.shortfall, np.maximum(p.required - p.current, 0))
    assert (p.shortfall >= 0).all()


@SETTINGS
@given(problems())
def test_duplicated_tasks_equal_the_brute_force(p: Problem) -> None:
    assert p.duplicated == brute_duplicated(p)


# ------------------------------------------------------------------------ monotonicity


@SETTINGS
@given(problems(min_c=1), st.data())
def test_raising_a_current_level_never_adds_a_gap(p: Problem, data: st.DataObject) -> None:
    c = data.draw(st.integers(0, p.current.shape[0] - 1), label="capability")
    d = data.draw(st.integers(0, p.current.shape[1] - 1), label="dimension")
    amount = data.draw(st.integers(1, 2 * TOP), label="amount")
    raised = p.current.copy()
    raised[c, d] += amount
    q = replace(p, current=raised)
    np.testing.assert_array_equal(q.required, p.required)  # requirements ignore the current state
    assert gap_cells(q.shortfall) <= gap_cells(p.shortfall)
    assert (q.shortfall <= p.shortfall).all()
    assert not (q.exposed & ~p.exposed).any()  # no scenario newly exposed
    assert set(p.duplicated) <= set(q.duplicated)  # more capability never undoes a duplication


@SETTINGS
@given(problems(min_s=1), st.data())
def test_dropping_a_scenario_never_raises_a_requirement(p: Problem, data: st.DataObject) -> None:
    s = data.draw(st.integers(0, p.demand.shape[1] - 1), label="scenario")
    q = replace(
        p,
        demand=np.delete(p.demand, s, axis=1),
        prioritised=np.delete(p.prioritised, s),
    )
    assert (q.task_req <= p.task_req).all()
    assert (q.required <= p.required).all()
    assert gap_cells(q.shortfall) <= gap_cells(p.shortfall)


@SETTINGS
@given(problems(min_s=1), st.data())
def test_unprioritising_a_scenario_never_raises_a_requirement(
    p: Problem, data: st.DataObject
) -> None:
    s = data.draw(st.integers(0, p.demand.shape[1] - 1), label="scenario")
    prio = p.prioritised.copy()
    prio[s] = False
    q = replace(p, prioritised=prio)
    assert (q.task_req <= p.task_req).all()
    assert (q.required <= p.required).all()
    assert not q.exposed[:, :, s].any()  # a scenario that is not prioritised exposes nothing
    assert not (q.exposed & ~p.exposed).any()


@SETTINGS
@given(problems(min_c=1), st.data())
def test_adding_a_task_link_never_lowers_a_requirement(p: Problem, data: st.DataObject) -> None:
    c = data.draw(st.integers(0, p.serves.shape[0] - 1), label="capability")
    t = data.draw(st.integers(0, p.serves.shape[1] - 1), label="task")
    serves = p.serves.copy()
    serves[c, t] = True
    q = replace(p, serves=serves)
    np.testing.assert_array_equal(q.task_req, p.task_req)  # task requirements do not move
    assert (q.required >= p.required).all()
    assert (q.required >= q.task_req[t]).all(axis=1)[c]  # and it now carries task t's need
    other = np.arange(p.serves.shape[0]) != c
    np.testing.assert_array_equal(q.required[other], p.required[other])
    assert (q.shortfall >= p.shortfall).all()


# --------------------------------------------------------------------- duplications


@SETTINGS
@given(problems())
def test_a_task_without_requirement_is_never_duplicated(p: Problem) -> None:
    for t in p.duplicated:
        assert p.task_req[t].max() > 0
    # and with no prioritised scenario at all, nothing is ever duplicated
    q = replace(p, prioritised=np.zeros_like(p.prioritised))
    assert q.duplicated == []


@SETTINGS
@given(problems(max_holders=1))
def test_capabilities_of_one_holder_never_make_a_duplication(p: Problem) -> None:
    assert p.duplicated == []


@SETTINGS
@given(problems())
def test_a_duplicated_task_is_met_by_two_holders(p: Problem) -> None:
    ok = cb.meets(p.serves, p.task_req, p.current)
    assert not (ok & ~p.serves).any()  # meeting a task needs serving it
    for t in p.duplicated:
        holders = {p.holders[c] for c in np.flatnonzero(ok[:, t])}
        assert len(holders) >= 2


# ------------------------------------------------------------------------- risk fronts

point = st.tuples(st.integers(0, 5), st.integers(0, 5))  # small grid: many ties


@st.composite
def risk_points(draw) -> tuple[np.ndarray, np.ndarray]:
    pts = draw(
        st.one_of(
            st.lists(point, min_size=1, max_size=14),
            st.lists(
                st.tuples(
                    st.floats(0, 5, allow_nan=False, allow_infinity=False),
                    st.floats(0, 30, allow_nan=False, allow_infinity=False),
                ),
                min_size=1,
                max_size=14,
            ),
        )
    )
    lik = np.array([float(p[0]) for p in pts])
    imp = np.array([float(p[1]) for p in pts])
    return lik, imp


@SETTINGS
@given(risk_points())
def test_risk_fronts_are_pareto_layers(points: tuple[np.ndarray, np.ndarray]) -> None:
    lik, imp = points
    front = cb.risk_fronts(lik, imp)
    n = len(lik)
    assert front.shape == (n,)
    assert front.min() == 1
    assert set(front.tolist()) == set(range(1, int(front.max()) + 1))  # no empty layer
    for b in range(n):
        beaten_by = [a for a in range(n) if dominates(lik, imp, a, b)]
        if front[b] == 1:
            assert beaten_by == [], f"front-1 scenario {b} is dominated by {beaten_by}"
        else:
            assert any(front[a] == front[b] - 1 for a in beaten_by), (
                f"scenario {b} on front {front[b]} is dominated by none on front {front[b] - 1}"
            )
        # dominated scenarios lie on a later front; a layer holds no dominance
        for a in beaten_by:
            assert front[a] < front[b]


@SETTINGS
@given(risk_points())
def test_strictly_worse_in_both_means_a_higher_front(points: tuple[np.ndarray, np.ndarray]) -> None:
    lik, imp = points
    front = cb.risk_fronts(lik, imp)
    for a in range(len(lik)):
        for b in range(len(lik)):
            if lik[b] < lik[a] and imp[b] < imp[a]:
                assert front[b] > front[a]
            if lik[a] == lik[b] and imp[a] == imp[b]:
                assert front[a] == front[b]


@SETTINGS
@given(risk_points(), st.randoms(use_true_random=False))
def test_risk_fronts_do_not_depend_on_order(points, rnd) -> None:
    lik, imp = points
    order = list(range(len(lik)))
    rnd.shuffle(order)
    front = cb.risk_fronts(lik, imp)
    np.testing.assert_array_equal(cb.risk_fronts(lik[order], imp[order]), front[order])


# ---------------------------------------------------------------------- worked examples


def worked() -> Problem:
    """Two tasks, three scenarios (the third not prioritised), two dimensions, four capabilities."""
    demand = np.array(
        [
            [[3, 1], [2, 4], [4, 4]],  # task 0 per scenario: s0, s1, s2
            [[1, 0], [0, 2], [0, 0]],  # task 1
        ],
        np.int64,
    )
    return Problem(
        demand=demand,
        prioritised=np.array([True, True, False]),
        serves=np.array([[1, 0], [1, 1], [0, 1], [0, 0]], bool),
        current=np.array([[3, 2], [4, 4], [1, 1], [0, 0]], np.int64),
        holders=["a", "b", "c", "d"],
    )


def test_worked_example_requirements_and_gaps() -> None:
    p = worked()
    # s2 is not prioritised, so its 4 in dimension 0 of task 0 does not count
    np.testing.assert_array_equal(p.task_req, [[3, 4], [1, 2]])
    np.testing.assert_array_equal(p.required, [[3, 4], [3, 4], [1, 2], [0, 0]])
    np.testing.assert_array_equal(p.shortfall, [[0, 2], [0, 0], [0, 1], [0, 0]])
    assert gap_cells(p.shortfall) == {(0, 1), (2, 1)}


def test_worked_example_exposure() -> None:
    e = worked().exposed
    assert e.shape == (4, 2, 3)
    # capability 0, dimension 1: only s1 needs more than 2 (task 0 demands 4)
    assert e[0, 1].tolist() == [False, True, False]
    assert e[0, 0].tolist() == [False, False, False]  # 3 >= every prioritised demand
    assert e[2, 1].tolist() == [False, True, False]  # task 1 demands 2 in s1, current 1
    assert not e[1].any() and not e[3].any()
    assert int(e.sum()) == 2


def test_worked_example_meets_and_duplications() -> None:
    p = worked()
    ok = cb.meets(p.serves, p.task_req, p.current)
    assert ok.tolist() == [[False, False], [True, True], [False, False], [False, False]]
    assert p.duplicated == []  # each task met by one holder only
    raised = p.current.copy()
    raised[2] = [1, 2]  # capability 2 (holder c) now meets task 1 too
    q = replace(p, current=raised)
    assert q.duplicated == [1]
    assert replace(q, holders=["a", "b", "b", "d"]).duplicated == []  # same holder: no duplication


def test_worked_example_removing_s1_closes_the_gaps() -> None:
    p = worked()
    q = replace(p, prioritised=np.array([True, False, False]))
    np.testing.assert_array_equal(q.task_req, [[3, 1], [1, 0]])
    assert gap_cells(q.shortfall) == set()


def test_no_scenarios_means_no_requirement() -> None:
    demand = np.zeros((3, 0, 5), np.int64)
    req = cb.task_requirements(demand, np.zeros(0, bool))
    assert req.shape == (3, 5) and not req.any()
    assert cb.exposure(
        demand, np.zeros(0, bool), np.ones((2, 3), bool), np.zeros((2, 5))
    ).shape == (
        2,
        5,
        0,
    )


def test_no_capabilities() -> None:
    demand = np.full((2, 3, 5), 2, np.int64)
    prio = np.ones(3, bool)
    task_req = cb.task_requirements(demand, prio)
    serves = np.zeros((0, 2), bool)
    current = np.zeros((0, 5), np.int64)
    assert cb.capability_requirements(serves, task_req).shape == (0, 5)
    assert cb.exposure(demand, prio, serves, current).shape == (0, 5, 3)
    assert cb.duplicated_tasks(serves, task_req, current, []) == []


def test_no_tasks_means_no_exposure() -> None:
    demand = np.zeros((0, 3, 5), np.int64)
    prio = np.ones(3, bool)
    serves = np.zeros((0, 0), bool)
    current = np.zeros((0, 5), np.int64)
    assert cb.exposure(demand, prio, serves, current).shape == (0, 5, 3)


def test_worked_example_risk_fronts() -> None:
    lik = np.array([1.0, 2.0, 3.0, 2.0, 1.0, 3.0])
    imp = np.array([3.0, 2.0, 1.0, 1.0, 1.0, 1.0])
    # (1,3) (2,2) (3,1) form the first front, the tie (3,1) joins it; (2,1) is beaten by (2,2)
    # and (3,1); (1,1) only by (2,1) and the rest
    assert cb.risk_fronts(lik, imp).tolist() == [1, 1, 1, 2, 3, 1]


def test_risk_fronts_of_a_chain_and_of_nothing() -> None:
    chain = np.arange(5.0)
    assert cb.risk_fronts(chain, chain).tolist() == [5, 4, 3, 2, 1]
    assert cb.risk_fronts(np.array([]), np.array([])).tolist() == []
    # higher likelihood but lower impact: neither dominates
    assert cb.risk_fronts(np.array([1.0, 4.0]), np.array([9.0, 2.0])).tolist() == [1, 1]
