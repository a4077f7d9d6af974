"""From raw scores to impact classes: quantities, two-dimensional matrices, ranges.

A cell (one scenario on one criterion) is represented by a probability vector over the
classes 0..K. A class is certain, a class range is uniform over its classes, and a
quantity range spreads over the classes it crosses in proportion to its length on a
logarithmic axis (quantities span orders of magnitude). See docs/method.md, section 1.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def classify_point(value: float, bounds: NDArray[np.float64]) -> int:
    """Band of a value: the number of inclusive lower bounds it reaches (0 = below all)."""
    return int(np.searchsorted(bounds, value, side="right"))


def band_distribution(low: float, high: float, bounds: NDArray[np.float64]) -> FloatArray:
    """Probability of each band 0..len(bounds) for a value spread over [low, high].

    A point falls in one band. A range is log-uniform when ``low > 0`` and uniform when it
    starts at zero, so that [100, 900] is judged on the same logarithmic footing as the bands.
    """
    n = len(bounds) + 1
    out = np.zeros(n)
    if high <= low:
        out[classify_point(low, bounds)] = 1.0
        return out
    edges = np.concatenate(([low], np.clip(bounds, low, high), [high]))
    if low > 0:
        edges = np.log(edges)
    widths = np.diff(edges)
    return widths / widths.sum()


def quantity_distribution(
    low: float,
    high: float,
    thresholds: NDArray[np.float64],
    n_classes: int,
    classes: NDArray[np.int64] | None = None,
) -> FloatArray:
    """Class probabilities 0..n_classes for a quantity, given each class's lower bound.

    ``thresholds`` are ascending inclusive lower bounds of the classes ``classes`` (default
    1..len(thresholds)); below the first bound the impact is none. A framework may leave a
    class without a bound (it is then never reached) or skip the lowest classes.
    """
    bands = band_distribution(low, high, thresholds)
    target = np.arange(1, len(thresholds) + 1) if classes is None else np.asarray(classes)
    out = np.zeros(n_classes + 1)
    out[0] = bands[0]
    np.add.at(out, target, bands[1:])
    return out


def matrix_distribution(
    axis_ranges: list[tuple[float, float]],
    axis_bounds: list[NDArray[np.float64]],
    matrix: IntArray,
    n_classes: int,
) -> FloatArray:
    """Class probabilities for a two-dimensional criterion (e.g. people x duration).

    Each axis value falls in a band; below the first band of either axis the impact is
    none (class 0); otherwise ``matrix[row_band - 1, col_band - 1]`` gives the class.
    The two axes are taken as independent.
    """
    p_row = band_distribution(*axis_ranges[0], axis_bounds[0])
    p_col = band_distribution(*axis_ranges[1], axis_bounds[1])
    out = np.zeros(n_classes + 1)
    out[0] = p_row[0] + p_col[0] - p_row[0] * p_col[0]
    joint = np.outer(p_row[1:], p_col[1:])
    np.add.at(out, matrix.ravel(), joint.ravel())
    return out


def range_distribution(low: int, high: int, n_classes: int) -> FloatArray:
    """Uniform probabilities over the classes low..high (a class range such as B-C)."""
    out = np.zeros(n_classes + 1)
    out[low : high + 1] = 1.0 / (high - low + 1)
    return out


def three_point_distribution(low: int, mode: int, high: int, n_classes: int) -> FloatArray:
    """Probabilities over low..high peaking at the expected class ``mode`` (a discrete
    triangle): weight (k - low + 1) / (mode - low + 1) up to the mode, then
    (high - k + 1) / (high - mode + 1), normalised. Every class between the limits keeps a
    chance; the expected class is the most likely (docs/method.md, section 1.7).
    """
    if not low <= mode <= high:
        raise ValueError(f"expected class {mode} lies outside its limits {low}..{high}")
    k = np.arange(low, high + 1, dtype=np.float64)
    up = (k - low + 1) / (mode - low + 1)
    down = (high - k + 1) / (high - mode + 1)
    weights = np.where(k <= mode, up, down)
    out = np.zeros(n_classes + 1)
    out[low : high + 1] = weights / weights.sum()
    return out


def max_distribution(dists: FloatArray) -> FloatArray:
    """Distribution of the highest of independent classes (rows of ``dists``).

    The cumulative distribution of a maximum is the product of the parts' cumulatives;
    used for a composite criterion such as 4.1 = max(4.1.A, 4.1.B) in the 2009 guide.
    """
    cdf = np.prod(np.cumsum(dists, axis=-1), axis=0)
    return np.diff(np.concatenate(([0.0], cdf)))


def floor_below(dist: FloatArray, first_counting: int) -> FloatArray:
    """Move the probability of classes below ``first_counting`` to class 0 (none).

    NVS 2019: the international legal order counts only from serious harm (NVS 2019, section 'De internationale rechtsorde als belang').
    """
    out = dist.copy()
    out[0] = out[:first_counting].sum()
    out[1:first_counting] = 0.0
    return out


def point_class(dist: FloatArray) -> NDArray[np.int64]:
    """The representative class of each distribution (last axis): the upper median.

    The smallest class whose cumulative probability exceeds one half; for an even class
    range such as B-C this is the upper class (a precautionary choice, docs/method.md).
    """
    cdf = np.cumsum(dist, axis=-1)
    return np.argmax(cdf > 0.5 + 1e-12, axis=-1).astype(np.int64)


def support(dist: FloatArray) -> tuple[IntArray, IntArray]:
    """Lowest and highest class with positive probability, per distribution."""
    positive = dist > 1e-12
    k = dist.shape[-1]
    low = np.argmax(positive, axis=-1)
    high = k - 1 - np.argmax(positive[..., ::-1], axis=-1)
    return low.astype(np.int64), high.astype(np.int64)


RESOLUTION = 65536  # probabilities are drawn to 1/65536 (16-bit uniform integers, all 2^16)


def uniform_draws(rng: np.random.Generator, shape: tuple[int, ...]) -> NDArray[np.uint16]:
    """Uniform integers in [0, RESOLUTION) of ``shape``: the generator's raw 64-bit output cut
    into four 16-bit draws each (every bit of a PCG64 word is uniform), three times faster than
    ``rng.integers`` and the same stream for a seed on every machine."""
    cells = int(np.prod(shape))
    raw = rng.bit_generator.random_raw(-(-cells // 4))
    return np.asarray(raw, dtype=np.uint64).view(np.uint16)[:cells].reshape(shape)


def sampling_tables(dist: FloatArray) -> tuple[NDArray[np.uint8], NDArray[np.uint16]]:
    """Per cell: the lowest possible class, and 16-bit thresholds for the classes above it.

    A draw passes a threshold when it is greater: threshold rint(P(class <= k) * 65536) - 1,
    so a draw in [0, 65536) passes with probability 1 - P(class <= k), to 1/65536. A threshold
    of 65535 (probability one, also the padding) is never passed. Only the classes inside a
    cell's support need a comparison, so a table of class ranges of width three needs two
    passes over the draws instead of one per class.
    """
    low, high = support(dist)
    width = int((high - low).max()) if dist.size else 0
    cum = np.cumsum(dist, axis=-1)
    cum = np.clip(cum / cum[..., -1:], 0.0, 1.0)  # sums a hair off one must not wrap 16 bits
    steps = np.arange(width)
    idx = np.minimum(low[..., None] + steps, dist.shape[-1] - 1)
    thresholds = np.take_along_axis(cum, idx, axis=-1)
    thresholds = np.where(low[..., None] + steps < high[..., None], thresholds, 1.0)
    table = np.clip(np.rint(thresholds * RESOLUTION) - 1, 0, RESOLUTION - 1).astype(np.uint16)
    return low.astype(np.uint8), table


def sample_classes(
    low: NDArray[np.uint8], thresholds: NDArray[np.uint16], draws: NDArray[np.uint16]
) -> NDArray[np.uint8]:
    """Inverse-CDF sampling: a cell's class is its lowest class plus the thresholds passed.

    ``draws`` are uniform integers in [0, RESOLUTION) of shape (n, S, C) (``uniform_draws``);
    a threshold of RESOLUTION - 1 is never passed, so padding never changes a class.
    """
    if thresholds.shape[-1] == 0:
        return np.broadcast_to(low, draws.shape).copy()
    # booleans are bytes of 0 or 1: added as uint8, with no cast per element
    out = np.greater(draws, thresholds[..., 0]).view(np.uint8)
    out += low
    passed = np.empty(draws.shape, dtype=bool)
    for k in range(1, thresholds.shape[-1]):
        np.greater(draws, thresholds[..., k], out=passed)
        out += passed.view(np.uint8)
    return out
