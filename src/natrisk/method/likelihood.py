"""Likelihood: from a class, a class range, a probability or a probability range.

Classes are integers 0..L-1 (lowest first) with probability bands [min, max) over the
framework's horizon. For the risk diagram a likelihood also gets a position on a
continuous axis: class i spans [i + 0.5, i + 1.5), and a probability sits inside its
class in proportion to its logarithm (docs/method.md, section 2).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray


def class_of_probability(p: float, lower_bounds: NDArray[np.float64]) -> int:
    """Index of the class whose band holds probability ``p`` (bands: inclusive lower bounds)."""
    return max(int(np.searchsorted(lower_bounds, p, side="right")) - 1, 0)


def axis_position(p: float, lower: NDArray[np.float64], upper: NDArray[np.float64]) -> float:
    """Position of a probability on the diagram's likelihood axis (class i centred at i+1)."""
    i = class_of_probability(p, lower)
    lo, hi = lower[i], upper[i]
    if lo <= 0:  # the lowest band is open below: give it one decade on the log axis
        lo = hi / 10.0
    p = min(max(p, lo), hi)
    frac = (math.log(p) - math.log(lo)) / (math.log(hi) - math.log(lo))
    return i + 0.5 + frac


def class_range_position(low: int, high: int) -> tuple[float, float, float]:
    """Diagram position (middle, low end, high end) of a class or class range."""
    return (low + high) / 2 + 1.0, low + 1.0, high + 1.0


# where a position inside a class sits, as a share of the class's width on the axis
PLACES = {"low": 1 / 6, "middle": 0.5, "high": 5 / 6}


def placed_position(
    point: int | None,
    low: int,
    high: int,
    position: str | None,
    low_position: str | None,
    high_position: str | None,
) -> tuple[float, float, float]:
    """Diagram position (point, low end, high end) of classes placed inside their class.

    Class i spans [i + 0.5, i + 1.5); 'low', 'middle' and 'high' sit at 1/6, 1/2 and 5/6 of
    it (National Risk Assessment 6, ANV/RIVM 2014, Table 1 writes 'B high'). An end without
    a position is the class's centre, as for a plain class range.
    """

    def at(i: int, where: str | None) -> float:
        return i + 0.5 + PLACES[where or "middle"]

    mid = at(point, position) if point is not None else (at(low, None) + at(high, None)) / 2
    if low == high and low_position is None and high_position is None:
        return mid, mid, mid
    lo, hi = at(low, low_position), at(high, high_position)
    return mid, min(lo, mid), max(hi, mid)


def probability_range_position(
    p_low: float, p_high: float, lower: NDArray[np.float64], upper: NDArray[np.float64]
) -> tuple[float, float, float]:
    """Diagram position (geometric middle, low end, high end) of a probability range."""
    a = axis_position(p_low, lower, upper)
    b = axis_position(p_high, lower, upper)
    if p_low > 0:
        mid = axis_position(math.sqrt(p_low * p_high), lower, upper)
    else:
        mid = (a + b) / 2
    return mid, a, b


def annualise(p_horizon: float, years: float) -> float:
    """Yearly probability equivalent to ``p_horizon`` over ``years`` (constant hazard)."""
    return 1.0 - (1.0 - p_horizon) ** (1.0 / years)
