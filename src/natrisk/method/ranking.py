"""Ranks from scores, and agreement between rankings."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

# Scores this close (relative) are ties: identical class vectors must tie even when the
# floating-point summation order differs between rows.
TIE_TOLERANCE = 1e-9


def competition_ranks(scores: NDArray[np.floating]) -> NDArray[np.int64]:
    """Rank along the last axis, 1 = highest score; ties share the best rank (1, 2, 2, 4)."""
    s = np.negative(np.asarray(scores, dtype=np.float64))
    order = np.argsort(s, axis=-1)  # tie order does not matter: ties get one rank below
    ranked = np.take_along_axis(s, order, axis=-1)
    n = s.shape[-1]
    positions = np.broadcast_to(np.arange(1, n + 1), s.shape)
    is_new = np.ones(s.shape, dtype=bool)
    gap = ranked[..., 1:] - ranked[..., :-1]
    scale = np.maximum(np.abs(ranked[..., 1:]), 1.0)
    np.greater(gap, TIE_TOLERANCE * scale, out=is_new[..., 1:])
    sorted_ranks = np.maximum.accumulate(np.where(is_new, positions, 0), axis=-1)
    out = np.empty(s.shape, dtype=np.int64)
    np.put_along_axis(out, order, sorted_ranks, axis=-1)
    return out


def kendall_tau(a: NDArray[np.number], b: NDArray[np.number]) -> float:
    """Kendall's tau-b between two rankings (1 = same order, -1 = reversed)."""
    from scipy import stats  # imported here: scipy.stats costs a second at start-up

    if len(a) < 2:
        return 1.0
    if np.all(a == a[0]) or np.all(b == b[0]):
        return 1.0 if np.array_equal(a, b) else 0.0
    return float(stats.kendalltau(a, b).statistic)
