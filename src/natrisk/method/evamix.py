"""Evamix (Voogd 1983), ordinal form: weighted pairwise dominance between scenarios."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from natrisk.method.aggregation import AggregationMethod


class Evamix(AggregationMethod):
    """score_i = 1/(S-1) sum_{j != i} sum_c w_c sgn(k_ic - k_jc) / sum_c w_c.

    The ordinal dominance of i over every other scenario, averaged; in [-1, 1]. Computed
    per criterion from class counts (how many scenarios sit below and above), which is
    exact and costs O(S C K) instead of O(S^2 C) (docs/method.md, section 3.3).
    """

    name = "evamix"

    def score(
        self, classes: NDArray[np.integer], weights: NDArray[np.floating]
    ) -> NDArray[np.float64]:
        """Mean weighted dominance of each scenario over all others."""
        n_scen = classes.shape[-2]
        if n_scen < 2:
            return np.zeros(classes.shape[:-1])
        onehot = classes[..., None] == np.arange(self.n_classes + 1)
        counts = onehot.sum(axis=-3)  # (..., C, K+1): scenarios per class per criterion
        below = np.cumsum(counts, axis=-1) - counts
        above = n_scen - below - counts
        net = (below - above).astype(np.float64)  # (..., C, K+1)
        # dominance of each scenario on each criterion: net[..., c, k_sc]
        idx = np.swapaxes(classes, -1, -2)  # (..., C, S)
        per_crit = np.take_along_axis(net, idx, axis=-1)  # (..., C, S)
        w = weights / weights.sum(axis=-1, keepdims=True)
        return np.matmul(w[..., None, :], per_crit)[..., 0, :] / (n_scen - 1)

    def bounds(self, n_scenarios: int, n_criteria: int) -> tuple[float, float]:
        """Full dominance either way."""
        return -1.0, 1.0
