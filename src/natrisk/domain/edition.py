"""An edition (one risk picture in one cycle) and its scenarios, as written in a workbook.

The workbook accepts short forms (``"C"``, ``"B-C"``, ``350``, ``{min: 100, max: 900}``)
and the full form with rationale and sources; both parse to the same models, and the
canonical writer puts a value back in the form it came in.

A class may also be a three-point estimate, as the national risk assessment records it
(National Risk Assessment 6, ANV/RIVM 2014, Table 1: expected value, lower and upper
limit): ``{expected: C, low: B, high: E}``. A likelihood class may carry its position
inside the class (``B-high``, or ``{class: B, position: high}``), in each of the three.
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


POSITIONS = ("low", "middle", "high")  # where a likelihood sits inside its class


def split_position(text: str) -> tuple[str, str | None]:
    """'B-high' -> ('B', 'high'); 'B-C' and 'B' have no position."""
    head, sep, tail = text.rpartition("-")
    if sep and head.strip() and tail.strip().lower() in POSITIONS:
        return head.strip(), tail.strip().lower()
    return text.strip(), None


THREE_TEXT = re.compile(r"^\s*([^\s()]+)\s*\(\s*([^()]*?)\s*\)\s*$")


def three_point_text(text: str) -> dict[str, str] | None:
    """'C (B-E)' -> {expected: C, low: B, high: E}; positions ride along ('C-high (B-D-high)').

    The one-cell form of a three-point estimate (expected value, then its limits), as an
    Excel cell holds it; None when the text is not of that form.
    """
    m = THREE_TEXT.fullmatch(text)
    if m is None:
        return None
    ends: list[str] = []
    for token in (t.strip() for t in m[2].split("-")):
        if token.lower() in POSITIONS and ends and "-" not in ends[-1]:
            ends[-1] = f"{ends[-1]}-{token.lower()}"
        elif token:
            ends.append(token)
        else:
            return None
    if not 1 <= len(ends) <= 2:
        return None
    return {"expected": m[1], "low": ends[0], "high": ends[-1]}


def _text_form(value: Any) -> Any:
    """A three-point estimate written in one text ('C (B-E)'), as a mapping; else unchanged
    (the field's own name 'klass' counts as 'class')."""
    if isinstance(value, dict) and "klass" in value and "class" not in value:
        value = {("class" if k == "klass" else k): v for k, v in value.items()}
    if isinstance(value, str):
        return three_point_text(value) or value
    if isinstance(value, dict) and isinstance(value.get("class"), str):
        found = three_point_text(value["class"])
        if found is not None:
            return {k: v for k, v in value.items() if k != "class"} | found
    return value


def _three_point(value: dict[str, Any], positions: bool) -> dict[str, Any]:
    """{expected, low, high} -> {class: 'low-high', expected, (positions)} (limits default to
    the expected value)."""
    rest = {k: v for k, v in value.items() if k not in ("expected", "low", "high")}
    if ("low" in value) != ("high" in value):
        missing = "high" if "low" in value else "low"
        raise ValueError(f"a three-point estimate needs both limits: '{missing}' is missing")
    parts: dict[str, str | None] = {}
    found: dict[str, str | None] = {}
    for key in ("expected", "low", "high"):
        raw = value.get(key, value.get("expected"))
        if raw is None:
            raise ValueError(f"a three-point estimate needs '{key}' (or at least 'expected')")
        if not isinstance(raw, str):
            raise ValueError(
                f"'{key}' is a class letter such as 'C'{' or B-high' if positions else ''}, "
                f"got {raw!r}"
            )
        parts[key], found[key] = split_position(raw) if positions else (raw.strip(), None)
    low, high = parts["low"], parts["high"]
    out = rest | {"class": low if low == high else f"{low}-{high}", "expected": parts["expected"]}
    if positions:
        given = {k: p for k, p in found.items() if p is not None and k in value}
        if "position" in rest and given.get("expected"):
            raise ValueError("give the expected value's position once ('B-high' or 'position')")
        if given.get("expected"):
            out["position"] = given["expected"]
        for key in ("low", "high"):
            if given.get(key):
                out[f"{key}_position"] = given[key]
    elif any(isinstance(value.get(k), str) and split_position(value[k])[1] for k in parts):
        raise ValueError("a position inside a class (such as 'B-high') is for likelihoods only")
    return out


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
    expected: str | None = None  # the expected class of a three-point estimate within klass
    quantity: Range | None = None
    axes: dict[str, Range] | None = None  # two-dimensional criteria, e.g. {people, days}
    rationale: str = Field(default="", max_length=20000)
    sources: list[str] = Field(default_factory=list)
    classification: str | None = None  # of the rationale and sources; None is the lowest level

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        value = _text_form(value)
        if isinstance(value, dict) and {"expected", "low", "high"} & set(value):
            if "class" in value and ({"low", "high"} & set(value)):
                raise ValueError("give either a class or the limits 'low' and 'high', not both")
            if "class" not in value:
                value = _three_point(value, positions=False)
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

    @field_validator("expected", mode="before")
    @classmethod
    def _expected(cls, v: Any) -> Any:
        return _clean_class(v)

    @model_validator(mode="after")
    def _one_form(self) -> Score:
        given = [f for f in (self.klass, self.quantity, self.axes) if f is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of a class (e.g. 'C', 'B-C', 'X') or a quantity")
        if self.expected is not None and self.klass is None:
            raise ValueError("an expected value belongs to a class estimate, not to a quantity")
        return self

    @property
    def class_bounds(self) -> tuple[str, str] | None:
        """(low, high) class ids when given as a class or class range."""
        return _bounds(self.klass)


class Likelihood(BaseModel):
    """The likelihood of a scenario: a class, a class range, a probability or a probability range."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    klass: str | None = Field(default=None, alias="class")
    expected: str | None = None  # the expected class of a three-point estimate within klass
    position: str | None = None  # where the expected (or only) class sits inside it
    low_position: str | None = None
    high_position: str | None = None
    probability: Range | None = None
    rationale: str = ""
    sources: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        value = _text_form(value)
        if isinstance(value, str):
            klass, position = split_position(value)
            value = {"class": klass} | ({"position": position} if position else {})
        if (
            isinstance(value, dict)
            and "class" not in value
            and {"expected", "low", "high"} & set(value)
        ):
            value = _three_point(value, positions=True)
        elif isinstance(value, dict) and "class" in value and {"low", "high"} & set(value):
            raise ValueError("give either a class or the limits 'low' and 'high', not both")
        elif isinstance(value, dict) and isinstance(value.get("class"), str):
            klass, position = split_position(value["class"])
            if position and value.get("position"):
                raise ValueError("give the position once ('B-high' or 'position: high')")
            if position:
                value = {**value, "class": klass, "position": position}
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

    @field_validator("expected", mode="before")
    @classmethod
    def _expected(cls, v: Any) -> Any:
        return _clean_class(v)

    @field_validator("position", "low_position", "high_position", mode="before")
    @classmethod
    def _position(cls, v: Any) -> Any:
        if v is None:
            return v
        if not isinstance(v, str) or v.strip().lower() not in POSITIONS:
            raise ValueError(
                f"a position inside a class is one of {', '.join(POSITIONS)}; got {v!r}"
            )
        return v.strip().lower()

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
        ranged = self.klass is not None and self.expected is None and "-" in self.klass
        if ranged and self.position is not None:
            raise ValueError("a position belongs to one class; a range such as B-C has none")
        if self.probability is not None and (self.expected or self.position):
            raise ValueError(
                "an expected class or a position belongs to a class, not a probability"
            )
        return self

    @property
    def has_positions(self) -> bool:
        """Whether any position inside a class is given."""
        return any(p is not None for p in (self.position, self.low_position, self.high_position))

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


def class_text(value: Score | Likelihood) -> str | None:
    """A class in one text: 'C', 'B-C', 'B-high', or a three-point estimate as 'C (B-E)'
    (the expected value, then its limits; positions ride along as in 'C-high (B-D-high)')."""
    position = getattr(value, "position", None)
    if value.expected is None:
        return f"{value.klass}-{position}" if position and value.klass else value.klass
    assert value.klass is not None
    low, _, high = value.klass.partition("-")
    high = high or low
    low_at, high_at = getattr(value, "low_position", None), getattr(value, "high_position", None)
    lo = f"{low}-{low_at}" if low_at else low
    hi = f"{high}-{high_at}" if high_at else high
    expected = f"{value.expected}-{position}" if position else value.expected
    return f"{expected} ({lo}-{hi})"
