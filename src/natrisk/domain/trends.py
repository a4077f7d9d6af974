"""Trends and strategic foresight (long term, five years or more).

A trend set is one foresight edition: trends in groups (the NVS 2019 names 15 trends in 5
groups), each with its direction, the themes (risk categories) and scenarios of the risk
picture it bears on, with sign and strength, and the studies it rests on (planning bureaus,
advisory councils, universities, international organisations). Transitions name the domains
where the picture shifts and the action lines of the strategy to intensify, as the 2024
trend analysis did against the 2022 risk analysis.
Sources: Strategie Nationale Veiligheid (2007), section 'Strategische verkenningen en
prognoses (lange termijn)'; Nationale Veiligheid Strategie 2019, chapter 'Trends en
ontwikkelingen die de nationale veiligheid beïnvloeden'; Kamerbrief voortgang
Veiligheidsstrategie (2024), section 'Trendanalyse Nationale Veiligheid'.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from natrisk.domain.plan import Loc, Title, _Identified, _Model

TRENDS_FORMAT = "natrisk-trends/1"
DIRECTIONS = ("rising", "stable", "falling")
STRENGTHS = ("weak", "moderate", "strong")
SIGNS = ("+", "-")
# the kinds of study the 2007 strategy names for foresight (planning bureaus, advisory bodies,
# universities, business, international organisations), and government's own analyses
SourceKind = Literal[
    "planning-bureau",
    "advisory-council",
    "university",
    "international-organisation",
    "business",
    "government",
    "other",
]
SOURCE_KINDS: tuple[str, ...] = get_args(SourceKind)
WEIGHT = {"weak": 1, "moderate": 2, "strong": 3}
_PATH = re.compile(r"[\\/]|\.(txt|pdf|docx?|ya?ml|json)\b", re.IGNORECASE)

Direction = Literal["rising", "stable", "falling"]
Strength = Literal["weak", "moderate", "strong"]


class Citation(_Model):
    """Where a part comes from: the document's title, year and section, in words."""

    title: str = Field(min_length=1, max_length=500)
    year: int = Field(ge=1900, le=2200)
    section: str = Field(default="", max_length=500)

    @field_validator("title", "section")
    @classmethod
    def _words(cls, v: str) -> str:
        if _PATH.search(v):
            raise ValueError(
                f"{v!r} looks like a file path; cite the document by title, year and section"
            )
        return v


class Source(_Model):
    """A study a trend rests on, and the kind of body that wrote it."""

    title: str = Field(min_length=1, max_length=500)
    organisation: str = Field(min_length=1, max_length=300)
    kind: SourceKind
    year: int | None = Field(default=None, ge=1900, le=2200)
    reference: str = Field(default="", max_length=1000)


class Bearing(_Model):
    """What a trend bears on: one theme (risk category) or one scenario, with sign and strength.

    Sign ``+`` means the trend raises the risk (likelier or worse), ``-`` that it lowers it.
    """

    theme: str | None = Field(default=None, min_length=1, max_length=200)
    scenario: str | None = Field(default=None, min_length=1, max_length=100)
    sign: Literal["+", "-"]
    strength: Literal["weak", "moderate", "strong"]
    note: str = Field(default="", max_length=5000)

    @model_validator(mode="after")
    def _one(self) -> Bearing:
        if (self.theme is None) == (self.scenario is None):
            raise ValueError("a bearing names exactly one of: theme, scenario")
        return self

    @property
    def target(self) -> tuple[str, str]:
        """('theme', id) or ('scenario', id)."""
        return ("theme", self.theme) if self.theme is not None else ("scenario", str(self.scenario))

    @property
    def weight(self) -> int:
        """Sign times strength: +3 (strong, raises) .. -3 (strong, lowers)."""
        return WEIGHT[self.strength] * (1 if self.sign == "+" else -1)


class Group(_Identified):
    """A group of trends (e.g. 'Ecological developments')."""

    title: Title
    cited: Citation | None = None


class Trend(_Identified):
    """One long-term trend, how it develops and what it bears on."""

    group: str = Field(min_length=1, max_length=100)
    title: Title
    description: str = Field(default="", max_length=100_000)
    direction: Direction
    classification: str | None = None
    cited: Citation | None = None
    bears_on: list[Bearing] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)


class Transition(_Identified):
    """A domain where the picture shifts, its trends and the action lines to intensify."""

    title: Title
    description: str = Field(default="", max_length=100_000)
    trends: list[str] = Field(default_factory=list)
    lines: list[str] = Field(default_factory=list)
    intensify: bool = True
    cited: Citation | None = None


class TrendSetInfo(_Identified):
    """The header: which foresight edition this is and which risk picture it reads."""

    title: Title
    year: int = Field(ge=1900, le=2200)
    edition: str = Field(min_length=1, max_length=100)
    plan: str | None = Field(default=None, min_length=1, max_length=100)
    strategy: str | None = Field(default=None, min_length=1, max_length=100)
    baseline: str | None = Field(default=None, min_length=1, max_length=100)
    classification: str | None = None
    description: str = Field(default="", max_length=100_000)


class TrendSet(_Model):
    """The canonical file of one foresight edition."""

    format: str = TRENDS_FORMAT
    trends_info: TrendSetInfo = Field(alias="set")
    groups: list[Group] = Field(default_factory=list)
    trends: list[Trend] = Field(default_factory=list)
    transitions: list[Transition] = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("format")
    @classmethod
    def _format(cls, v: str) -> str:
        if v != TRENDS_FORMAT:
            raise ValueError(f"unknown format {v!r}; this version reads {TRENDS_FORMAT!r}")
        return v

    @property
    def info(self) -> TrendSetInfo:
        """The set's header."""
        return self.trends_info

    def trend(self, tid: str) -> Trend | None:
        """A trend by id."""
        return next((t for t in self.trends if t.id == tid), None)


class ForesightFacts(BaseModel):
    """What the references are checked against: the edition's themes and scenarios (those the
    reader may see) and, when a plan is named, the action lines of its strategy."""

    themes: set[str]
    scenarios: set[str]
    lines: set[str] | None = None


def trend_problems(ts: TrendSet, facts: ForesightFacts | None = None) -> list[tuple[Loc, str]]:
    """Every duplicate id and broken reference, with where it is."""
    out: list[tuple[Loc, str]] = []
    for name, items in (
        ("groups", ts.groups),
        ("trends", ts.trends),
        ("transitions", ts.transitions),
    ):
        seen: set[str] = set()
        for k, item in enumerate(items):
            if item.id in seen:
                out.append(((name, k, "id"), f"id {item.id!r} is used twice"))
            seen.add(item.id)
    groups = {g.id for g in ts.groups}
    trends = {t.id for t in ts.trends}
    for k, t in enumerate(ts.trends):
        if t.group not in groups:
            out.append((("trends", k, "group"), f"no group {t.group!r} in this set"))
        for n, b in enumerate(t.bears_on):
            out += _bearing_problems(("trends", k, "bears_on", n), b, facts, ts.info.edition)
    for k, tr in enumerate(ts.transitions):
        for n, tid in enumerate(tr.trends):
            if tid not in trends:
                out.append((("transitions", k, "trends", n), f"no trend {tid!r} in this set"))
        if facts is not None and facts.lines is not None:
            for n, lid in enumerate(tr.lines):
                if lid not in facts.lines:
                    where = ts.info.strategy or ts.info.plan or "the plan"
                    out.append(
                        (("transitions", k, "lines", n), f"no action line {lid!r} in {where}")
                    )
    return out


def _bearing_problems(
    loc: Loc, b: Bearing, facts: ForesightFacts | None, edition: str
) -> list[tuple[Loc, str]]:
    if facts is None:
        return []
    kind, ident = b.target
    known = facts.themes if kind == "theme" else facts.scenarios
    if ident in known:
        return []
    return [((*loc, kind), f"no {kind} {ident!r} in edition {edition!r}")]
