"""One interface for the multi-criteria aggregation methods.

A method turns impact classes of shape (..., S, C) (S scenarios, C criteria, integer
classes 0..K) and weights of shape (C,) or (..., C) into one score per scenario, higher is
worse. The base class validates once; subclasses only compute. Leading axes are Monte Carlo
samples, so one call scores thousands of draws at once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from natrisk.errors import OptionError
from natrisk.method.ranking import competition_ranks


@dataclass(frozen=True)
class AggregationResult:
    """Scores (higher is worse) and ranks (1 = largest impact, ties share the best rank)."""

    method: str
    scores: NDArray[np.float64]
    ranks: NDArray[np.int64]


class AggregationMethod(ABC):
    """Base of weighted sum, Medal and Evamix."""

    name: str = ""
    uses_class_values: bool = False

    def __init__(self, n_classes: int) -> None:
        if n_classes < 1:
            raise OptionError("a method needs at least one impact class above none")
        self.n_classes = n_classes

    def __call__(
        self, classes: NDArray[np.integer], weights: NDArray[np.floating]
    ) -> AggregationResult:
        """Validate the inputs once, score, and rank."""
        classes = np.asarray(classes)
        weights = np.asarray(weights, dtype=np.float64)
        if classes.ndim < 2:
            raise OptionError("classes must have shape (..., scenarios, criteria)")
        if weights.shape[-1] != classes.shape[-1]:
            raise OptionError(f"{weights.shape[-1]} weights given for {classes.shape[-1]} criteria")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise OptionError("weights must be finite and not negative")
        with np.errstate(over="ignore"):
            totals = weights.sum(axis=-1)
        if not np.all(np.isfinite(totals)):
            raise OptionError("weights must have a finite sum")
        if np.any(totals <= 0):
            raise OptionError("at least one criterion needs a positive weight")
        if classes.size and (classes.min() < 0 or classes.max() > self.n_classes):
            raise OptionError(f"impact classes must lie in 0..{self.n_classes}")
        return self.evaluate(classes, weights)

    def evaluate(
        self, classes: NDArray[np.integer], weights: NDArray[np.floating]
    ) -> AggregationResult:
        """Score and rank inputs valid by construction (the Monte Carlo's own draws, whose
        classes come from the sampling tables and weights from a ``WeightSampler``): the
        checks of ``__call__`` cost more than the scoring there."""
        scores = self.score(classes, np.asarray(weights, dtype=np.float64))
        return AggregationResult(self.name, scores, competition_ranks(scores))

    @abstractmethod
    def score(
        self, classes: NDArray[np.integer], weights: NDArray[np.floating]
    ) -> NDArray[np.float64]:
        """Scores of shape (..., S); inputs already validated."""

    @abstractmethod
    def bounds(self, n_scenarios: int, n_criteria: int) -> tuple[float, float]:
        """Smallest and largest score this method can give (for histograms)."""


def make_method(name: str, n_classes: int, class_values: NDArray[np.float64]) -> AggregationMethod:
    """The aggregation method called ``name`` (weighted-sum, medal or evamix)."""
    from natrisk.method.evamix import Evamix
    from natrisk.method.medal import Medal
    from natrisk.method.weighted_sum import WeightedSum

    if name == "weighted-sum":
        return WeightedSum(n_classes, class_values)
    if name == "medal":
        return Medal(n_classes)
    if name == "evamix":
        return Evamix(n_classes)
    raise OptionError(f"unknown method {name!r}; choose weighted-sum, medal or evamix")


METHODS = ("weighted-sum", "medal", "evamix")
