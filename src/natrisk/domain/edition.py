"""An edition (one risk picture in one cycle) and its scenarios, as written in a workbook.

The workbook accepts short forms (``"C"``, ``"B-C"``, ``350``, ``{min: 100, max: 900}``)
and the full form with rationale and sources; both parse to the same models, and the
canonical writer puts a value back in the form it came in.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FORMAT = "natrisk/1"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class Range(BaseModel):
    """A closed numeric interval; ``min == max`` is a point."""

    model_config = ConfigDict(extra="forbid")
    min: float
    max: float

    @model_validator(mode="after")
    def _check(self) -> Range:
        for v in (self.min, self.max):
            if not math.isfinite(v):
                raise ValueError(f"{v} is not a finite number")
        if self.max < self.min:
            raise ValueError(f"range is reversed: min {self.min:g} > max {self.max:g}")
        return self


def _as_range(value: Any) -> Any:
    """Numbers become point ranges; mappings with min/max pass through."""
    if isinstance(value, bool):
        raise ValueError("expected a number or {min, max}, got true/false")
    if isinstance(value, int | float):
        return {"min": value, "max": value}
    return value


def _check_id(v: str) -> str:
    if not re.match(ID_PATTERN, v):
        raise ValueError(
            f"id {v!r} may hold only letters, digits, '.', '_' and '-', starting with a letter or digit"
        )
    return v


def _clean_class(v: Any) -> Any:
    """Class letters are strings such as 'C' or 'B-C'; surrounding spaces are dropped."""
    if v is None:
        return v
    if not isinstance(v, str):
        raise ValueError(f"a class is written as a letter or range such as 'C' or 'B-C', got {v!r}")
    return v.strip()


def _bounds(klass: str | None) -> tuple[str, str] | None:
    """(low, high) of a class or class range such as 'B-C'."""
    if klass is None:
        return None
    low, _, high = klass.partition("-")
    return (low.strip(), (high or low).strip())


def _expand(value: Any) -> Any:
    """Turn a short form into the full mapping form."""
    if isinstance(value, str):
        return {"class": value}
    if isinstance(value, bool):
        raise ValueError("expected a class letter, a number or a mapping, got true/false")
    if isinstance(value, int | float):
        return {"quantity": value}
    if isinstance(value, dict):
        keys = set(value)
        if keys and keys <= {"min", "max"}:
            return {"quantity": value}
        if "min" in keys or "max" in keys:
            out = {k: v for k, v in value.items() if k not in ("min", "max")}
            out["quantity"] = {"min": value.get("min"), "max": value.get("max")}
            return out
    return value


class Score(BaseModel):
    """The impact of a scenario on one criterion: a class, a quantity, or two axis quantities."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    klass: str | None = Field(default=None, alias="class")
    quantity: Range | None = None
    axes: dict[str, Range] | None = None  # two-dimensional criteria, e.g. {people, days}
    rationale: str = Field(default="", max_length=20000)
    sources: list[str] = Field(default_factory=list)
    classification: str | None = None  # of the rationale and sources; None is the lowest level

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        out = _expand(value)
        if isinstance(out, dict) and "quantity" in out:
            q = out["quantity"]
            if isinstance(q, dict) and q and not set(q) <= {"min", "max"}:
                rest = {k: v for k, v in out.items() if k != "quantity"}
                return rest | {"axes": {str(k): _as_range(v) for k, v in q.items()}}
            return out | {"quantity": _as_range(q)}
        return out

    @field_validator("klass", mode="before")
    @classmethod
    def _klass(cls, v: Any) -> Any:
        return _clean_class(v)

    @model_validator(mode="after")
    def _one_form(self) -> Score:
        given = [f for f in (self.klass, self.quantity, self.axes) if f is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of a class (e.g. 'C', 'B-C', 'X') or a quantity")
        return self

    @property
    def class_bounds(self) -> tuple[str, str] | None:
        """(low, high) class ids when given as a class or class range."""
        return _bounds(self.klass)


class Likelihood(BaseModel):
    """The likelihood of a scenario: a class, a class range, a probability or a probability range."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    klass: str | None = Field(default=None, alias="class")
    probability: Range | None = None
    rationale: str = ""
    sources: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        out = _expand(value)
        if isinstance(out, dict) and "quantity" in out:
            out = {k: v for k, v in out.items() if k != "quantity"} | {
                "probability": out["quantity"]
            }
        if isinstance(out, dict) and "probability" in out:
            out = {**out, "probability": _as_range(out["probability"])}
        return out

    @field_validator("klass", mode="before")
    @classmethod
    def _klass(cls, v: Any) -> Any:
        return _clean_class(v)

    @field_validator("probability")
    @classmethod
    def _unit(cls, v: Range | None) -> Range | None:
        if v is not None and not (v.min >= 0.0 and v.max <= 1.0):
            raise ValueError("a probability lies between 0 and 1 (over the framework's horizon)")
        return v

    @model_validator(mode="after")
    def _one_form(self) -> Likelihood:
        if (self.klass is None) == (self.probability is None):
            raise ValueError("give exactly one of a class (e.g. 'B', 'B-C') or a probability")
        return self

    @property
    def class_bounds(self) -> tuple[str, str] | None:
        """(low, high) class ids when given as a class or class range."""
        return _bounds(self.klass)


class Scenario(BaseModel):
    """One scenario: what could happen, how likely, and its impact per criterion."""

    model_config = ConfigDict(extra="allow")
    id: str = Field(max_length=100)
    title: str = Field(min_length=1, max_length=500)
    theme: str = Field(min_length=1, max_length=200)
    malicious: bool = False
    description: str = ""
    assumptions: str = ""
    likelihood: Likelihood
    impacts: dict[str, Score] = Field(default_factory=dict)
    classification: str | None = None  # None is the lowest level (public)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v)

    @field_validator("impacts", mode="before")
    @classmethod
    def _keys(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {str(k): val for k, val in v.items()}
        return v


class EditionInfo(BaseModel):
    """The edition's header: which picture this is and on which yardstick."""

    model_config = ConfigDict(extra="allow")
    id: str = Field(max_length=100)
    title: str = Field(min_length=1, max_length=500)
    framework: str = Field(min_length=1)
    description: str = ""
    classification: str | None = None  # the edition as a whole; None is the lowest level

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v)


class Workbook(BaseModel):
    """The canonical file for one edition: header and scenarios."""

    model_config = ConfigDict(extra="allow")
    format: str = FORMAT
    edition: EditionInfo
    scenarios: list[Scenario] = Field(min_length=1)

    @field_validator("format")
    @classmethod
    def _format(cls, v: str) -> str:
        if v != FORMAT:
            raise ValueError(f"unknown format {v!r}; this version reads {FORMAT!r}")
        return v
