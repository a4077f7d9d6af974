"""Weighted sum on a geometric class scale (the main method of the 2009 guide)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from natrisk.errors import OptionError
from natrisk.method.aggregation import AggregationMethod


class WeightedSum(AggregationMethod):
    """score_s = sum_c w_c v(k_sc) / sum_c w_c  (docs/method.md, section 3.1)."""

    name = "weighted-sum"
    uses_class_values = True

    def __init__(self, n_classes: int, class_values: NDArray[np.float64]) -> None:
        super().__init__(n_classes)
        values = np.asarray(class_values, dtype=np.float64)
        if values.shape != (n_classes + 1,):
            raise OptionError(f"need {n_classes + 1} class values (none class first)")
        if not np.all(np.isfinite(values)) or np.any(np.diff(values) < 0):
            raise OptionError("class values must be finite and rise with the class")
        self.values = values
        # the values of two adjacent uint8 classes at once, read as one uint16 (pair_values)
        codes = np.arange(int(np.array([n_classes] * 2, np.uint8).view(np.uint16)[0]) + 1)
        pairs = np.minimum(codes.astype(np.uint16).view(np.uint8).reshape(-1, 2), n_classes)
        self._pair_values = np.ascontiguousarray(values[pairs]).view(np.complex128).ravel()

    def class_values(self, classes: NDArray[np.integer]) -> NDArray[np.float64]:
        """v(k) per cell. Monte Carlo classes (contiguous uint8) are looked up two at a time:
        each pair of bytes read as one uint16 indexes a table of value pairs, so one lookup
        gives both values, in their order in memory, and half the lookups are made."""
        if classes.dtype != np.uint8 or classes.size % 2 or not classes.flags.c_contiguous:
            return self.values[classes]
        codes = classes.reshape(-1).view(np.uint16)
        return self._pair_values[codes].view(np.float64).reshape(classes.shape)

    def score(
        self, classes: NDArray[np.integer], weights: NDArray[np.floating]
    ) -> NDArray[np.float64]:
        """Weighted mean class value per scenario."""
        w = weights / weights.sum(axis=-1, keepdims=True)
        return np.matmul(self.class_values(classes), w[..., :, None])[..., 0]

    def bounds(self, n_scenarios: int, n_criteria: int) -> tuple[float, float]:
        """Between the lowest and the highest class value."""
        return float(self.values[0]), float(self.values[-1])
