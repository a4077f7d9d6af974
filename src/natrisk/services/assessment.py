"""Assess an edition: aggregate impacts with a method and weight profile, rank, summarise."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from natrisk import __version__
from natrisk.domain.edition import Workbook
from natrisk.domain.framework import Framework
from natrisk.errors import OptionError
from natrisk.method.aggregation import METHODS, make_method
from natrisk.method.dominance import dominant as dominant_mask
from natrisk.method.scale import class_position, reading
from natrisk.services.scoring import ScoreTable


@dataclass(frozen=True)
class Settings:
    """What an assessment was computed with; written beside every result for traceability."""

    method: str
    profile: str
    weights: dict[str, float]
    class_values: dict[str, float]
    dominant_rule: str | None = None  # None: the framework's own rule


@dataclass(frozen=True)
class Assessment:
    """The deterministic result of one method and profile on one edition."""

    book: Workbook
    table: ScoreTable
    settings: Settings
    scores: NDArray[np.float64]
    ranks: NDArray[np.int64]
    interest_classes: NDArray[np.int64]  # (S, I) highest class per interest
    dominant: NDArray[np.bool_]
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def impact_position(self) -> NDArray[np.float64]:
        """Each scenario's aggregated impact on the framework's class scale (docs/method.md
        3.4): weighted sum and Medal are read as classes; Evamix keeps its dominance score."""
        return impact_on_scale(self.settings, self.table.framework, self.scores)

    def impact_reading(self, s: int, lang: str = "en") -> str:
        """Scenario ``s``'s total impact in words, as the method reads it ('serious to very
        serious'); empty for Evamix, whose score is no class."""
        if self.settings.method == "evamix":
            return ""
        return read_total(self.table.framework, float(self.impact_position[s]), lang)

    def to_json(self) -> dict[str, Any]:
        """The result as plain data (the ``--json`` output and ``results.json``)."""
        fw = self.table.framework
        ids = self.table.class_ids
        lik_ids = fw.likelihood.ids
        rows = []
        for s, scen in enumerate(self.table.scenarios):
            lo, hi = self.table.likelihood_low[s], self.table.likelihood_high[s]
            rows.append(
                {
                    "id": scen.id,
                    "title": scen.title,
                    "theme": scen.theme,
                    "malicious": scen.malicious,
                    "impact_score": float(self.scores[s]),
                    "impact_class_position": round(float(self.impact_position[s]), 4),
                    "impact_reading": self.impact_reading(s),
                    "rank": int(self.ranks[s]),
                    "likelihood": lik_ids[self.table.likelihood_point[s]],
                    "likelihood_range": lik_ids[lo] if lo == hi else f"{lik_ids[lo]}-{lik_ids[hi]}",
                    "criteria": {
                        c: ids[self.table.point[s, j]] for j, c in enumerate(self.table.criteria)
                    },
                    "criteria_range": {
                        c: _range(ids, self.table.low[s, j], self.table.high[s, j])
                        for j, c in enumerate(self.table.criteria)
                    },
                    "interests": {
                        i.id: ids[self.interest_classes[s, k]] for k, i in enumerate(fw.interests)
                    },
                    "dominant": bool(self.dominant[s]),
                }
            )
        return {**self.to_json_header(), "scenarios": rows}

    def to_json_header(self) -> dict[str, Any]:
        """What ``to_json`` holds besides the scenarios: version, edition, framework, settings."""
        fw = self.table.framework
        return {
            "natrisk": __version__,
            "edition": self.book.edition.model_dump(),
            "framework": {"id": fw.id, "name": fw.name.en},
            "settings": {
                "method": self.settings.method,
                "profile": self.settings.profile,
                "weights": self.settings.weights,
                "class_values": self.settings.class_values,
                "dominant_rule": self.dominant_rule_name,
            },
        }

    @property
    def dominant_rule_name(self) -> str | None:
        """The rule the dominant risks were chosen by."""
        rule = self.table.framework.dominant_rule(self.settings.dominant_rule)
        return rule.rule if rule else None


def impact_on_scale(
    settings: Settings, fw: Framework, scores: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Aggregated impacts on the class scale (Evamix scores pass through unchanged)."""
    if settings.method == "weighted-sum":
        values = np.array([settings.class_values[c] for c in fw.impact_classes.ids])
        return class_position(scores, values)
    if settings.method == "medal":  # 'highest class reached + share' (docs/method.md 3.2)
        base = len(fw.criteria) + 1
        with np.errstate(divide="ignore"):
            logs = np.log(np.maximum(scores, 1)) / math.log(base) + 1
        return np.where(scores > 0, logs, 0.0)
    return np.asarray(scores, dtype=np.float64)


def impact_bounds(result: Assessment) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Each scenario's impact on the class scale with every criterion at the low and at the
    high end of its range (the diagram's bars); Evamix, whose score is relative, has none."""
    if result.settings.method == "evamix":
        return result.impact_position, result.impact_position
    t, settings = result.table, result.settings
    agg = make_method(
        settings.method, len(t.class_ids) - 1, class_value_array(t.framework, settings)
    )
    weights = np.array([settings.weights[c] for c in t.criteria])
    low = impact_on_scale(settings, t.framework, agg(t.low, weights).scores)
    high = impact_on_scale(settings, t.framework, agg(t.high, weights).scores)
    return np.minimum(low, result.impact_position), np.maximum(high, result.impact_position)


def read_total(fw: Framework, position: float, lang: str = "en") -> str:
    """A class-scale position in words: 'serious', or 'serious to very serious'."""
    from natrisk.i18n import translator

    labels = [fw.impact_classes.none_label.get(lang)] + [
        lvl.label.get(lang) for lvl in fw.impact_classes.levels
    ]
    low, high = reading(position)
    high = min(high, len(labels) - 1)
    if low == high:
        return labels[low]
    _ = translator(lang)
    return _("{low} to {high}").format(low=labels[low], high=labels[high])


def _range(ids: list[str], lo: int, hi: int) -> str:
    return ids[lo] if lo == hi else f"{ids[lo]}-{ids[hi]}"


def parse_assignments(text: str, what: str) -> dict[str, float]:
    """Parse ``"2.1=2,3.1=1"`` into a mapping; a clear error names the faulty part."""
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise OptionError(f"{what}: {part!r} is not of the form ID=NUMBER")
        try:
            number = float(value)
        except ValueError as exc:
            raise OptionError(f"{what}: {value.strip()!r} in {part!r} is not a number") from exc
        if not np.isfinite(number):
            raise OptionError(f"{what}: {part!r} is not a finite number")
        out[key.strip()] = number
    if not out:
        raise OptionError(f"{what}: nothing given; write for example 2.1=2,3.1=1")
    return out


def resolve_settings(
    fw: Framework,
    method: str = "weighted-sum",
    profile: str | None = None,
    weights: dict[str, float] | None = None,
    class_values: dict[str, float] | None = None,
    dominant_rule: str | None = None,
) -> Settings:
    """Combine the framework's profile and class values with this run's overrides."""
    if method not in METHODS:
        raise OptionError(f"unknown method {method!r}; choose {', '.join(METHODS)}")
    name = profile or fw.weights.default_profile
    if name not in fw.weights.profiles:
        raise OptionError(
            f"unknown weight profile {name!r}; {fw.id} has {', '.join(fw.weights.profiles)}"
        )
    w = fw.profile_weights(name)
    for cid, value in (weights or {}).items():
        if cid not in w:
            raise OptionError(f"--weights: unknown criterion {cid!r}; {fw.id} has {', '.join(w)}")
        if value < 0:
            raise OptionError(f"--weights: weight of {cid} is negative ({value:g})")
        w[cid] = value
    if not all(math.isfinite(v) for v in w.values()) or not math.isfinite(sum(w.values())):
        raise OptionError("--weights: weights must be finite numbers with a finite sum")
    if sum(w.values()) <= 0:
        raise OptionError("--weights: at least one criterion needs a positive weight")
    cv = dict(fw.class_values.values)
    for cid, value in (class_values or {}).items():
        if cid not in cv:
            raise OptionError(f"--class-values: unknown class {cid!r}; classes are {', '.join(cv)}")
        cv[cid] = value
    ordered = [cv[c] for c in fw.impact_classes.ids]
    if any(b < a for a, b in zip(ordered, ordered[1:], strict=False)):
        raise OptionError("--class-values: values must not fall from one class to the next")
    if dominant_rule is not None:
        try:
            fw.dominant_rule(dominant_rule)
        except ValueError as exc:
            raise OptionError(f"--dominant: {exc}") from exc
    return Settings(method, name, w, cv, dominant_rule)


def assess(table: ScoreTable, book: Workbook, settings: Settings) -> Assessment:
    """Score and rank every scenario with the chosen method; find each interest's worst class."""
    fw = table.framework
    agg = make_method(settings.method, len(table.class_ids) - 1, class_value_array(fw, settings))
    weights = np.array([settings.weights[c] for c in table.criteria])
    result = agg(table.point, weights)
    interests = interest_classes(fw, table.point)
    rule = fw.dominant_rule(settings.dominant_rule)
    if rule is None:
        dominant = np.zeros(len(table.scenarios), dtype=bool)
    else:
        by_likelihood = rule.rule == "impact-and-likelihood" and rule.likelihood_from is not None
        dominant = dominant_mask(
            interests,
            table.likelihood_point,
            fw.impact_classes.ids.index(rule.impact_from),
            fw.likelihood.ids.index(rule.likelihood_from)
            if by_likelihood and rule.likelihood_from
            else None,
        )
    token = {"token": uuid.uuid4().hex}  # names this result in caches of what is drawn from it
    return Assessment(
        book, table, settings, result.scores, result.ranks, interests, dominant, token
    )


def class_value_array(fw: Framework, settings: Settings) -> NDArray[np.float64]:
    """Class values in class order (none first)."""
    return np.array([settings.class_values[c] for c in fw.impact_classes.ids], dtype=np.float64)


def interest_classes(fw: Framework, point: NDArray[np.int64]) -> NDArray[np.int64]:
    """Highest class per scenario and interest, shape (S, I)."""
    cols = []
    for interest in fw.interests:
        idx = [j for j, c in enumerate(fw.criteria) if c.interest == interest.id]
        cols.append(point[:, idx].max(axis=1) if idx else np.zeros(len(point), dtype=np.int64))
    return np.stack(cols, axis=1)
