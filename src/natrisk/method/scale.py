"""The class scale: an aggregated impact read back as a class position, and as words.

A weighted mean of class values (A = 1, B = 3, ... with a factor f between classes) is
placed on the framework's own axis, where each class is one step: between the values of
classes k and k + 1 the position runs from k to k + 1 in proportion to the logarithm. For a
geometric scale this is 1 + log_f(score / v_A). National Risk Assessment 6 (ANV/RIVM 2014,
ch. 3) draws the impact axis this way ("each category of impact is three times as high as
the preceding category") and reads a total as a pair of classes ("serious to very
serious"). See docs/method.md, section 3.4.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

# a total this close to a class reads as that class alone
ON_CLASS = 0.05


def class_position(
    scores: NDArray[np.floating], values: NDArray[np.floating]
) -> NDArray[np.float64]:
    """Position of each score on the class axis (0 = none, 1 = the first class, ...).

    ``values`` are the class values, none first (values[0] is the none class, usually 0),
    rising; below the first class the first step's ratio carries on down to 0.
    """
    v = np.asarray(values, dtype=np.float64)[1:]
    if len(v) < 2 or np.any(v <= 0) or np.any(np.diff(v) <= 0):
        raise ValueError("class values of the classes must be positive and rise")
    s = np.asarray(scores, dtype=np.float64)
    logs = np.log(v)
    with np.errstate(divide="ignore"):
        ls = np.where(s > 0, np.log(np.where(s > 0, s, 1.0)), -np.inf)
    k = np.clip(np.searchsorted(logs, ls, side="right") - 1, 0, len(v) - 2)
    pos = k + 1 + (ls - logs[k]) / (logs[k + 1] - logs[k])
    top = ls >= logs[-1]
    pos = np.where(top, len(v) + (ls - logs[-1]) / (logs[-1] - logs[-2]), pos)
    return np.clip(np.where(np.isfinite(pos), pos, 0.0), 0.0, float(len(v)))


def reading(position: float) -> tuple[int, int]:
    """The classes a position is read as: (k, k) on a class, else (k, k + 1); 0 is none."""
    nearest = round(position)
    if abs(position - nearest) <= ON_CLASS:
        return int(nearest), int(nearest)
    low = int(np.floor(position))
    return low, low + 1
