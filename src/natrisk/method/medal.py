"""Medal: lexicographic by count of the highest class, then the next (an Olympic table)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from natrisk.method.aggregation import AggregationMethod


class Medal(AggregationMethod):
    """score_s = sum_k n_sk (C+1)^(k-1), n_sk = criteria with positive weight in class k.

    With base C+1 no count of lower classes can outweigh one more of a higher class, so the
    number orders scenarios exactly as the lexicographic rule does (docs/method.md, 3.2).
    Purely ordinal: class values are not used and weights only decide which criteria count.
    """

    name = "medal"

    def score(
        self, classes: NDArray[np.integer], weights: NDArray[np.floating]
    ) -> NDArray[np.float64]:
        """Lexicographic medal score as one exact number."""
        n_criteria = classes.shape[-1]
        counted = (weights > 0)[..., None, :]
        base = float(n_criteria + 1)
        k = classes.astype(np.int64)  # uint8 draws would wrap below zero
        place = np.where(k > 0, base ** np.maximum(k - 1, 0), 0.0)
        return np.where(counted, place, 0.0).sum(axis=-1)

    def bounds(self, n_scenarios: int, n_criteria: int) -> tuple[float, float]:
        """Zero to all criteria in the top class."""
        return 0.0, float(n_criteria * (n_criteria + 1) ** (self.n_classes - 1))
