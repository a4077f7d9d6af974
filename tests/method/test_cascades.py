"""Cascades, compounds and the roll-up: properties of the pure method (issue 12), and the
bad input of the stacking sections, located by line."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from natrisk.errors import WorkbookError
from natrisk.method import cascades as mc
from natrisk.method.rollup import rollup_classes

K = 5
BOUNDS = np.array([[1.0, 10, 40, 400, 4000], [5e6, 5e7, 5e8, 5e9, 5e10], [np.nan] * 5])
WEIGHTS = np.ones(3)
VALUES = np.array([0, 1, 3, 9, 27, 81], dtype=np.float64)


@st.composite
def worlds(draw: st.DrawFn) -> tuple[mc.Impacts, list[tuple[int, int, float]]]:
    n = draw(st.integers(2, 7))
    qty = np.array(
        [
            [
                draw(st.sampled_from([0.0, 3.0, 50.0, 900.0])),
                draw(st.sampled_from([0.0, 6e7, 2e9])),
                np.nan,
            ]
            for _ in range(n)
        ]
    )
    klass = np.array(
        [
            [
                mc.classify(qty[s, 0:1], BOUNDS[0])[0],
                mc.classify(qty[s, 1:2], BOUNDS[1])[0],
                draw(st.integers(0, K)),
            ]
            for s in range(n)
        ],
        dtype=np.int64,
    )
    imp = mc.Impacts(qty, klass, BOUNDS, np.zeros(3, np.int64), np.arange(n, dtype=np.int64))
    pairs = draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=12, unique=True)
    )
    links = [(a, b, draw(st.sampled_from([0.0, 0.05, 0.3, 0.7, 1.0]))) for a, b in pairs if a != b]
    return imp, links


def run(
    imp: mc.Impacts,
    links: list[tuple[int, int, float]],
    samples: int = 300,
    chunk: int = 64,
    seed: int = 3,
) -> mc.CascadeTally:
    n = imp.klass.shape[0]
    arr = np.array(links, dtype=np.float64).reshape(-1, 3)
    g = mc.Graph.build(n, arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2])
    table = mc.contributions("weighted-sum", WEIGHTS, VALUES)
    return mc.propagate(
        g,
        imp,
        table,
        np.arange(n),
        samples,
        seed,
        (0.0, 81.0),
        chunk_size=chunk,
        workers=2,
    )


@settings(max_examples=40, deadline=None)
@given(worlds())
def test_a_link_with_probability_zero_changes_nothing(world: tuple[mc.Impacts, list]) -> None:
    imp, links = world
    n = imp.klass.shape[0]
    base = run(imp, links)
    extra = [
        (a, b, 0.0)
        for a in range(n)
        for b in range(n)
        if a != b and (a, b) not in {(x, y) for x, y, _ in links}
    ][:3]
    more = run(imp, links + extra)
    assert np.array_equal(base.fired, more.fired)
    assert np.array_equal(base.classes, more.classes)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 6), st.data())
def test_probability_one_along_a_chain_gives_the_chains_combined_impact(
    n: int, data: st.DataObject
) -> None:
    imp, _ = data.draw(worlds())
    n = imp.klass.shape[0]
    links = [(i, i + 1, 1.0) for i in range(n - 1)]
    tally = run(imp, links, samples=20)
    chain = mc.chain_classes(imp, np.arange(n))
    counts = tally.classes[0]
    assert all(counts[c, chain[c]] == 20 for c in range(3))
    assert np.all(tally.fired[0] == 20)


@settings(max_examples=40, deadline=None)
@given(worlds(), st.integers(0, 6), st.integers(0, 6), st.sampled_from([0.1, 0.5, 1.0]))
def test_adding_a_link_never_lowers_a_cascaded_impact(
    world: tuple[mc.Impacts, list], a: int, b: int, p: float
) -> None:
    imp, links = world
    n = imp.klass.shape[0]
    a, b = a % n, b % n
    if a == b or (a, b) in {(x, y) for x, y, _ in links}:
        return
    table = mc.contributions("weighted-sum", WEIGHTS, VALUES)
    before, after = run(imp, links), run(imp, links + [(a, b, p)])
    assert np.all(after.fired >= before.fired)
    assert np.all(after.mean_score(table) >= before.mean_score(table) - 1e-12)
    assert np.all(after.quantile(0.5) >= before.quantile(0.5) - 1e-12)


@settings(max_examples=30, deadline=None)
@given(worlds())
def test_every_cycle_terminates(world: tuple[mc.Impacts, list]) -> None:
    imp, _ = world
    n = imp.klass.shape[0]
    links = [(a, b, 1.0) for a in range(n) for b in range(n) if a != b]  # every cycle there is
    tally = run(imp, links, samples=10)
    assert np.all(tally.fired == 10)  # everything fired once, and the loop ended


@settings(max_examples=25, deadline=None)
@given(worlds(), st.sampled_from([1, 7, 50, 300]), st.integers(0, 2**31))
def test_identical_whatever_the_chunk_size(
    world: tuple[mc.Impacts, list], chunk: int, seed: int
) -> None:
    imp, links = world
    with patch.object(mc, "ROW_BUDGET", 5):  # few rows at a time: roots in several batches
        a = run(imp, links, chunk=chunk, seed=seed)
    b = run(imp, links, chunk=300, seed=seed)
    assert np.array_equal(a.fired, b.fired)
    assert np.array_equal(a.classes, b.classes)
    assert np.array_equal(a.score_hist, b.score_hist)
    assert np.array_equal(a.quantile(0.95), b.quantile(0.95))


def test_the_direct_impact_is_the_scenarios_own() -> None:
    from natrisk.domain.stacking import stacking_of
    from natrisk.services.edition import open_edition
    from natrisk.services.stacking import impacts_of

    ed = open_edition(Path(__file__).parents[2] / "examples" / "nl-2026.yaml")
    imp = impacts_of(ed.table, stacking_of(ed.book))
    n = len(ed.table.scenarios)
    assert np.array_equal(mc.combine(imp, np.arange(n), np.arange(n), n), ed.table.point)


@settings(max_examples=40, deadline=None)
@given(worlds())
def test_the_rollup_of_one_region_is_its_own_picture(world: tuple[mc.Impacts, list]) -> None:
    imp, _ = world
    for s in range(imp.klass.shape[0]):
        one = mc.Impacts(
            imp.quantity[s : s + 1], imp.klass[s : s + 1], BOUNDS, imp.floor, np.zeros(1, np.int64)
        )
        assert np.array_equal(rollup_classes(one), imp.klass[s])


def test_rollup_sums_quantities_of_regions_and_maxes_within_one() -> None:
    qty = np.array([[30.0, 0, np.nan], [30.0, 0, np.nan], [5.0, 0, np.nan]])
    klass = np.array([[2, 0, 1], [2, 0, 3], [1, 0, 2]])
    two_regions = mc.Impacts(qty, klass, BOUNDS, np.zeros(3, np.int64), np.array([0, 1, 1]))
    # region 0: 30; region 1: max(30, 5) = 30; sum 60 -> class C (>= 40); levels: max 3
    assert rollup_classes(two_regions).tolist() == [3, 0, 3]


def test_variants_of_one_risk_count_once() -> None:
    qty = np.array([[30.0, 0, np.nan], [300.0, 0, np.nan]])
    klass = np.array([[2, 0, 0], [3, 0, 0]])
    group = np.array([0, 0])
    imp = mc.Impacts(qty, klass, BOUNDS, np.zeros(3, np.int64), group)
    assert mc.chain_classes(imp, np.array([0, 1])).tolist() == [3, 0, 0]  # 300, not 330


def test_evamix_contributions_match_the_method() -> None:
    from natrisk.method.evamix import Evamix

    rng = np.random.default_rng(1)
    pop = rng.integers(0, K + 1, (6, 3))
    table = mc.contributions("evamix", WEIGHTS, VALUES, pop, np.arange(6))
    ours = mc.scores(table, pop, np.arange(6))
    assert np.allclose(ours, Evamix(K).score(pop, WEIGHTS))


def test_weighted_sum_and_medal_contributions_match_the_methods() -> None:
    from natrisk.method.aggregation import make_method

    rng = np.random.default_rng(2)
    pop = rng.integers(0, K + 1, (9, 3))
    for name in ("weighted-sum", "medal"):
        table = mc.contributions(name, WEIGHTS, VALUES)
        ours = mc.scores(table, pop, np.zeros(9, np.int64))
        assert np.allclose(ours, make_method(name, K, VALUES).score(pop, WEIGHTS))


def test_graph_refuses_bad_links() -> None:
    from natrisk.errors import OptionError

    with pytest.raises(OptionError, match="itself"):
        mc.Graph.build(3, np.array([1]), np.array([1]), np.array([0.5]))
    with pytest.raises(OptionError, match="between 0 and 1"):
        mc.Graph.build(3, np.array([0]), np.array([1]), np.array([1.5]))


# ---------------------------------------------------------------- bad input, located

HEAD = """\
format: natrisk/1
edition: {id: t, title: T, framework: nl-2023}
scenarios:
  - {id: a, title: A, theme: t, likelihood: B, impacts: {"2.1": 30}}
  - {id: b, title: B, theme: t, likelihood: C, impacts: {"2.1": 5}}
"""


def problems_of(tmp_path: Path, tail: str) -> list[str]:
    from natrisk.services.edition import open_edition

    path = tmp_path / "w.yaml"
    path.write_text(HEAD + tail, encoding="utf-8")
    with pytest.raises(WorkbookError) as exc:
        open_edition(path)
    return [str(p) for p in exc.value.problems]


@pytest.mark.parametrize(
    ("tail", "expect"),
    [
        (
            "links:\n  - {from: a, to: zz, probability: 0.5}\n",
            "line 7, link #1 (a -> zz): to: scenario 'zz' is not in this workbook",
        ),
        (
            "links:\n  - {from: a, to: b, probability: 1.5}\n",
            "line 7, link #1: probability: a probability lies between 0 and 1; got 1.5",
        ),
        (
            "links:\n  - {from: a, to: b, probability: 20-60%}\n",
            "unknown probability class '20-60%'",
        ),
        (
            "links:\n  - {from: a, to: a, probability: 0.1}\n",
            "line 7, link #1 (a -> a): to: a scenario cannot cause itself",
        ),
        (
            "region: {id: r, name: R, mapping: [{scenario: nope, national: x}]}\n",
            "region r: mapping.0: scenario 'nope' is not in this workbook",
        ),
        (
            "risks:\n  - {id: r, title: R, variants: [a, ghost]}\n",
            "risk r: variants.1: scenario 'ghost' is not in this workbook",
        ),
        (
            "compounds:\n  - {id: c, title: C, scenarios: [a], likelihood: B}\n",
            "compound #1: scenarios: List should have at least 2 items",
        ),
    ],
)
def test_bad_stacking_input_is_located(tmp_path: Path, tail: str, expect: str) -> None:
    found = problems_of(tmp_path, tail)
    assert any(expect in p for p in found), found
    assert all(p.startswith(str(tmp_path / "w.yaml")) for p in found)


def test_links_and_variants_survive_yaml_json_and_xlsx(tmp_path: Path) -> None:
    from natrisk.io.workbook import dump_workbook, load_workbook, write_workbook

    book = load_workbook(Path(__file__).parents[2] / "examples" / "nl-2026.yaml")
    for suffix in (".json", ".xlsx", ".yaml"):
        path = tmp_path / f"round{suffix}"
        write_workbook(book, path)
        assert dump_workbook(load_workbook(path)) == dump_workbook(book), suffix


@settings(max_examples=20, deadline=None)
@given(worlds(), st.sampled_from([1, 7, 64]), st.integers(0, 2**31))
def test_co_occurring_sets_are_counted_alike_whatever_the_chunks(
    world: tuple[mc.Impacts, list], chunk: int, seed: int
) -> None:
    imp, links = world
    n = imp.klass.shape[0]
    a = run(imp, links, chunk=chunk, seed=seed).sets.per_root(n)
    b = run(imp, links, chunk=300, seed=seed).sets.per_root(n)
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    assert all(len(k) >= 2 for k in a)


@settings(max_examples=15, deadline=None)
@given(worlds(), st.integers(0, 2**31))
def test_co_occurring_sets_stop_at_set_samples(world: tuple[mc.Impacts, list], seed: int) -> None:
    """Only the samples numbered below SET_SAMPLES count, so the memory for sets is bounded."""
    imp, links = world
    n = imp.klass.shape[0]
    with patch.object(mc, "SET_SAMPLES", 100):
        capped = run(imp, links, samples=300, chunk=64, seed=seed)
    first = run(imp, links, samples=100, chunk=64, seed=seed)
    assert capped.sets.samples == 100 and capped.n_samples == 300
    a, b = capped.sets.per_root(n), first.sets.per_root(n)
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_the_belgian_cp_names_are_classes_too() -> None:
    from natrisk.domain.stacking import Link, probability_value

    assert Link.model_validate({"from": "a", "to": "b", "probability": "cp3"}).probability == "CP3"
    assert probability_value("CP0") == 0.0
    assert probability_value("CP1") == pytest.approx(0.005)
    assert probability_value("CP5") == pytest.approx(0.95)
    assert probability_value("10 – 50 %") == pytest.approx(0.3)
    with pytest.raises(ValueError, match="unknown probability class 'CP6'"):
        Link.model_validate({"from": "a", "to": "b", "probability": "CP6"})
