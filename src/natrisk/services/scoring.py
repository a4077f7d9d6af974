"""From a workbook on a framework to the arrays the method works on, checking as it goes.

Every problem found is collected (with scenario and field) and raised together, so an
analyst fixes a workbook in one round.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from natrisk.domain.edition import Likelihood, Range, Scenario, Score, Workbook
from natrisk.domain.framework import Criterion, Framework
from natrisk.errors import InputError, Problem, WorkbookError, problem_count
from natrisk.method import classes as cls
from natrisk.method import likelihood as lik
from natrisk.security import level_index


@dataclass(frozen=True)
class ScoreTable:
    """The edition as arrays: S scenarios x C criteria, classes 0..K (0 = none)."""

    framework: Framework
    scenarios: list[Scenario]
    criteria: list[str]
    dist: NDArray[np.float64]  # (S, C, K+1) probability of each class per cell
    point: NDArray[np.int64]  # (S, C) representative class per cell
    low: NDArray[np.int64]  # (S, C) lowest possible class
    high: NDArray[np.int64]  # (S, C) highest possible class
    likelihood_point: NDArray[np.int64]  # (S,) class index 0..L-1
    likelihood_low: NDArray[np.int64]
    likelihood_high: NDArray[np.int64]
    likelihood_pos: NDArray[np.float64]  # (S, 3) diagram position: middle, low, high

    @property
    def class_ids(self) -> list[str]:
        """Impact class ids, none first."""
        return self.framework.impact_classes.ids

    def with_rows(self, rows: list[int], part: ScoreTable, scenarios: list[Scenario]) -> ScoreTable:
        """A copy with rows ``rows`` replaced by the rows of ``part`` (same framework)."""

        def splice(full: NDArray[Any], new: NDArray[Any]) -> NDArray[Any]:
            out = full.copy()
            out[rows] = new
            return out

        return replace(
            self,
            scenarios=scenarios,
            dist=splice(self.dist, part.dist),
            point=splice(self.point, part.point),
            low=splice(self.low, part.low),
            high=splice(self.high, part.high),
            likelihood_point=splice(self.likelihood_point, part.likelihood_point),
            likelihood_low=splice(self.likelihood_low, part.likelihood_low),
            likelihood_high=splice(self.likelihood_high, part.likelihood_high),
            likelihood_pos=splice(self.likelihood_pos, part.likelihood_pos),
        )

    @property
    def scenario_ids(self) -> list[str]:
        """Scenario ids in workbook order."""
        return [s.id for s in self.scenarios]


# Cell distributions by (criterion scale, score): resolving is pure, and editions repeat
# the same scores a lot, so 500 scenarios resolve in milliseconds once warm.
_CELLS: dict[tuple[Any, ...], NDArray[np.float64]] = {}
_POINTS: dict[bytes, int] = {}


class _Resolver:
    """Turns scores into class distributions, noting problems instead of stopping."""

    def __init__(self, framework: Framework, file: str) -> None:
        self.fw = framework
        self.file = file
        self.class_ids = framework.impact_classes.ids
        self.k = len(self.class_ids) - 1
        self.lik_ids = framework.likelihood.ids
        self.lik_lower = np.array([c.min for c in framework.likelihood.classes])
        self.lik_upper = np.array([c.max for c in framework.likelihood.classes])
        self.problems: list[Problem] = []
        self._signatures: dict[str, str] = {}
        self._none = cls.range_distribution(0, 0, self.k)
        self._none.setflags(write=False)

    def note(self, scenario: str, field: str, message: str) -> None:
        self.problems.append(Problem(self.file, f"scenario {scenario}", field, message))

    def class_range(
        self, sid: str, field: str, bounds: tuple[str, str], ids: list[str]
    ) -> tuple[int, int] | None:
        low, high = bounds
        for c in (low, high):
            if c not in ids:
                self.note(
                    sid, field, f"class {c!r} is not in this framework; use one of {', '.join(ids)}"
                )
                return None
        lo, hi = ids.index(low), ids.index(high)
        if lo > hi:
            self.note(sid, field, f"range {low}-{high} is reversed; write {high}-{low}")
            return None
        return lo, hi

    def expected(
        self, sid: str, field: str, expected: str, limits: tuple[int, int], ids: list[str]
    ) -> int | None:
        """The index of a three-point estimate's expected class, checked against its limits."""
        if expected not in ids:
            self.note(
                sid,
                field,
                f"expected class {expected!r} is not in this framework; use one of {', '.join(ids)}",
            )
            return None
        mode = ids.index(expected)
        lo, hi = limits
        if not lo <= mode <= hi:
            self.note(
                sid,
                field,
                f"the expected value {expected} lies outside its limits {ids[lo]} to {ids[hi]}; "
                "the expected value must lie between the low and the high limit",
            )
            return None
        return mode

    def cell(
        self, sid: str, crit: Criterion, score: Score | None, field: str
    ) -> NDArray[np.float64] | None:
        """A cell's class distribution (cached: the same score on the same scale is pure)."""
        if score is None:
            return self._none
        key = (
            self._signature(crit),
            score.klass,
            score.expected,
            score.quantity and (score.quantity.min, score.quantity.max),
            score.axes and tuple(sorted((k, r.min, r.max) for k, r in score.axes.items())),
        )
        hit = _CELLS.get(key)
        if hit is not None:
            return hit
        dist = self._cell(sid, crit, score, field)
        if dist is not None:
            dist.setflags(write=False)
            if len(_CELLS) > 200_000:
                _CELLS.clear()
            _CELLS[key] = dist
        return dist

    def _signature(self, crit: Criterion) -> str:
        sig = self._signatures.get(crit.id)
        if sig is None:
            sig = f"{self.class_ids}|{crit.model_dump_json()}"
            self._signatures[crit.id] = sig
        return sig

    def _cell(
        self, sid: str, crit: Criterion, score: Score, field: str
    ) -> NDArray[np.float64] | None:
        if score is None:
            return cls.range_distribution(0, 0, self.k)
        if score.class_bounds is not None:
            got = self.class_range(sid, field, score.class_bounds, self.class_ids)
            if got is None:
                return None
            if score.expected is not None:
                mode = self.expected(sid, field, score.expected, got, self.class_ids)
                return (
                    None
                    if mode is None
                    else cls.three_point_distribution(got[0], mode, got[1], self.k)
                )
            return cls.range_distribution(*got, self.k)
        if score.quantity is not None:
            return self._quantity(sid, crit, score.quantity, field)
        assert score.axes is not None
        return self._matrix(sid, crit, score.axes, field)

    def _quantity(
        self, sid: str, crit: Criterion, q: Range, field: str
    ) -> NDArray[np.float64] | None:
        if crit.type != "quantity" or not crit.thresholds:
            kind = "described levels" if crit.type == "levels" else "two axes"
            hint = "give a class letter such as 'C'"
            if crit.type == "matrix" and crit.axes:
                names = ", ".join(a.name for a in crit.axes)
                hint += f" or a quantity per axis ({names})"
            self.note(
                sid, field, f"criterion {crit.id} is scored in {kind}, not one quantity; {hint}"
            )
            return None
        if q.min < 0:
            self.note(
                sid,
                field,
                f"quantity {q.min:g} is negative; a quantity in {crit.unit} is 0 or more",
            )
            return None
        order = [c for c in self.class_ids[1:] if c in crit.thresholds]
        bounds = np.array([crit.thresholds[c] for c in order])
        if np.any(np.diff(bounds) <= 0):
            self.note(sid, field, f"framework thresholds of {crit.id} do not rise with the class")
            return None
        targets = np.array([self.class_ids.index(c) for c in order])
        return cls.quantity_distribution(q.min, q.max, bounds, self.k, targets)

    def _matrix(
        self, sid: str, crit: Criterion, axes: dict[str, Range], field: str
    ) -> NDArray[np.float64] | None:
        if crit.type != "matrix" or not crit.axes or crit.matrix is None:
            self.note(
                sid, field, f"criterion {crit.id} has no axes; give a class or a single quantity"
            )
            return None
        names = [a.name for a in crit.axes]
        if set(axes) != set(names):
            self.note(
                sid, field, f"give exactly the axes {', '.join(names)} (got {', '.join(axes)})"
            )
            return None
        if any(r.min < 0 for r in axes.values()):
            self.note(sid, field, "axis quantities must be 0 or more")
            return None
        matrix = np.array([[self.class_ids.index(c) for c in row] for row in crit.matrix])
        return cls.matrix_distribution(
            [(axes[n].min, axes[n].max) for n in names],
            [np.array(a.bands) for a in crit.axes],
            matrix,
            self.k,
        )

    def likelihood(
        self, sid: str, value: Likelihood
    ) -> tuple[int, int, int, tuple[float, float, float]] | None:
        if value.has_positions and not self.fw.likelihood.positions:
            self.note(
                sid,
                "likelihood",
                f"framework {self.fw.id} places no likelihood inside its class; "
                f"write the class alone (e.g. {value.klass!r} without '-high')",
            )
            return None
        if value.class_bounds is not None:
            got = self.class_range(sid, "likelihood", value.class_bounds, self.lik_ids)
            if got is None:
                return None
            lo, hi = got
            if value.expected is not None:
                mode = self.expected(sid, "likelihood", value.expected, got, self.lik_ids)
                if mode is None:
                    return None
                point = mode
            else:
                point = int(cls.point_class(cls.range_distribution(lo, hi, len(self.lik_ids) - 1)))
            pos = lik.class_range_position(lo, hi)
            if value.expected is not None or value.has_positions:
                pos = lik.placed_position(
                    point if value.expected is not None or lo == hi else None,
                    lo,
                    hi,
                    value.position,
                    value.low_position,
                    value.high_position,
                )
            return point, lo, hi, pos
        assert value.probability is not None
        p = value.probability
        lo = lik.class_of_probability(p.min, self.lik_lower)
        hi = lik.class_of_probability(p.max, self.lik_lower)
        mid_p = (p.min * p.max) ** 0.5 if p.min > 0 else (p.min + p.max) / 2
        point = lik.class_of_probability(mid_p, self.lik_lower)
        pos = lik.probability_range_position(p.min, p.max, self.lik_lower, self.lik_upper)
        return point, lo, hi, pos


def resolve(
    book: Workbook, framework: Framework, file: str = "", themes: bool = False
) -> ScoreTable:
    """Check a workbook against its framework and turn it into arrays; raise every problem.

    ``themes`` also checks each scenario's theme (files read and imported: a stored edition
    is drawn as it is, whatever themes it holds)."""
    r = _Resolver(framework, file)
    if book.edition.classification is not None:
        try:
            level_index(book.edition.classification)
        except InputError as exc:
            r.problems.append(Problem(file, "edition", "classification", exc.message))
    seen: set[str] = set()
    dists, points, liks = [], [], []
    known = known_themes(book, framework) if themes else []
    for scen in book.scenarios:
        if scen.id in seen:
            r.note(scen.id, "id", "this scenario id is used more than once; ids must be unique")
        seen.add(scen.id)
        if known and scen.theme not in known:
            r.note(
                scen.id,
                "theme",
                f"unknown theme {scen.theme!r}; {framework.id} has {', '.join(known)}"
                " (an edition names its own under edition: themes:)",
            )
        _check_classifications(r, scen)
        dist, point = _scenario_cells(r, scen, framework)
        dists.append(dist)
        points.append(point)
        liks.append(r.likelihood(scen.id, scen.likelihood))
    if r.problems:
        raise WorkbookError(f"{file or 'workbook'}: {problem_count(len(r.problems))}", r.problems)
    dist_arr = np.stack(dists)
    low, high = cls.support(dist_arr)
    checked = [x for x in liks if x is not None]
    return ScoreTable(
        framework=framework,
        scenarios=list(book.scenarios),
        criteria=framework.criterion_ids,
        dist=dist_arr,
        point=np.array(points, dtype=np.int64),
        low=low,
        high=high,
        likelihood_point=np.array([x[0] for x in checked]),
        likelihood_low=np.array([x[1] for x in checked]),
        likelihood_high=np.array([x[2] for x in checked]),
        likelihood_pos=np.array([x[3] for x in checked]),
    )


def known_themes(book: Workbook, framework: Framework) -> list[str]:
    """The themes a scenario may have: the framework's, then the edition's own (``themes:``
    in the header, as ids or ``{id, name}``). Empty when neither names any: then all go."""
    own = (book.edition.model_extra or {}).get("themes") or []
    ids = [t.id for t in framework.themes]
    for theme in own if isinstance(own, list) else []:
        tid = theme.get("id") if isinstance(theme, dict) else theme
        if isinstance(tid, str) and tid not in ids:
            ids.append(tid)
    return ids


def _point(dist: NDArray[np.float64]) -> int:
    """The representative class of one cell (memoised on the distribution's bytes)."""
    key = dist.tobytes()
    hit = _POINTS.get(key)
    if hit is None:
        hit = int(cls.point_class(dist))
        if len(_POINTS) > 100_000:
            _POINTS.clear()
        _POINTS[key] = hit
    return hit


def _cell_point(r: _Resolver, score: Score | None, dist: NDArray[np.float64]) -> int:
    """The deterministic class of a cell: a three-point estimate's expected value, else the
    representative (upper median) class of its distribution."""
    if score is not None and score.expected is not None and score.expected in r.class_ids:
        return r.class_ids.index(score.expected)
    return _point(dist)


def _check_classifications(r: _Resolver, scen: Scenario) -> None:
    """Every classification named in a scenario must be one of the configured levels."""
    named = [("classification", scen.classification)]
    named += [
        (f"impacts.{cid}.classification", sc.classification) for cid, sc in scen.impacts.items()
    ]
    for field, value in named:
        if value is not None:
            try:
                level_index(value)
            except InputError as exc:
                r.note(scen.id, field, exc.message)


def _scenario_cells(
    r: _Resolver, scen: Scenario, fw: Framework
) -> tuple[NDArray[np.float64], list[int]]:
    """Class distribution and representative class of every criterion of one scenario."""
    known = {c.id for c in fw._all_criteria()}
    for cid in scen.impacts:
        if cid not in known:
            r.note(
                scen.id,
                f"impacts.{cid}",
                f"unknown criterion; {fw.id} has {', '.join(fw.criterion_ids)}",
            )
    none = cls.range_distribution(0, 0, r.k)
    rows, points = [], []
    for crit in fw.criteria:
        given = [p for p in crit.parts or [] if p.id in scen.impacts]
        if given and crit.id in scen.impacts:
            names = ", ".join(p.id for p in given)
            r.note(
                scen.id,
                f"impacts.{crit.id}",
                f"give either {crit.id} or its parts ({names}), not both",
            )
        if given:
            # composite (2009 guide, 4.1): the class is the highest of the parts
            parts = [r.cell(scen.id, p, scen.impacts[p.id], f"impacts.{p.id}") for p in given]
            ok = [d for d in parts if d is not None]
            dist = cls.max_distribution(np.stack(ok)) if len(ok) == len(parts) else none
            point = max(
                (
                    _cell_point(r, scen.impacts[p.id], d)
                    for p, d in zip(given, parts, strict=True)
                    if d is not None
                ),
                default=0,
            )
        else:
            score = scen.impacts.get(crit.id)
            cell = r.cell(scen.id, crit, score, f"impacts.{crit.id}")
            dist = none if cell is None else cell
            point = _cell_point(r, score, dist) if cell is not None else 0
        interest = next((i for i in fw.interests if i.id == crit.interest), None)
        if interest is not None and interest.counts_from:
            floor = r.class_ids.index(interest.counts_from)
            dist = cls.floor_below(dist, floor)
            point = 0 if point < floor else point
        rows.append(dist)
        points.append(point)
    return np.stack(rows), points


def classify_score(framework: Framework, criterion: Criterion, score: Score) -> str:
    """The class one score falls in, as a page shows it while an analyst types ('C', or 'C (B-D)'
    for a range); a :class:`WorkbookError` lists what is wrong with the score."""
    r = _Resolver(framework, "")
    dist = r.cell("", criterion, score, criterion.id)
    if dist is None:
        raise WorkbookError(r.problems[0].message if r.problems else "no class", r.problems)
    ids = framework.impact_classes.ids
    lo, hi = cls.support(dist)
    text = ids[_cell_point(r, score, dist)]
    return text + (f" ({ids[int(lo)]}-{ids[int(hi)]})" if lo != hi else "")
