"""Dominant risks: the scenarios that harm an interest at least seriously, and, where the
framework's rule says so, reach its likelihood threshold too (docs/method.md, section 5)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def dominant(
    interest_classes: NDArray[np.integer],
    likelihood: NDArray[np.integer],
    impact_from: int,
    likelihood_from: int | None = None,
) -> NDArray[np.bool_]:
    """Per scenario: some interest reaches ``impact_from`` (a class index, none = 0) and,
    when ``likelihood_from`` is given, the likelihood class index reaches it too."""
    harm = np.asarray(interest_classes).max(axis=1) >= impact_from
    if likelihood_from is None:
        return harm
    return harm & (np.asarray(likelihood) >= likelihood_from)
