"""A thematic deep-dive (medium term, up to five years): a study of one theme.

It links the signals and trends it rests on to the scenarios it proposes, new ones or changes
to existing ones; a scenario created from a deep-dive keeps that origin. Source: Strategie
Nationale Veiligheid (2007), section 'Thematische verdieping (middellange termijn)': themes
chosen yearly, results that are scenarios for the medium term or identified trends.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from natrisk.domain.plan import Loc, _Identified, _Model
from natrisk.domain.signals import Source

DEEPDIVE_FORMAT = "natrisk-deepdive/1"
CHANGES = ("new", "changed")


class TrendRef(_Model):
    """A trend of a stored trend set, by the set's id and the trend's id."""

    model_config = {"extra": "forbid", "populate_by_name": True}
    trend_set: str = Field(alias="set", min_length=1, max_length=100)
    trend: str = Field(min_length=1, max_length=100)

    def key(self) -> tuple[str, str]:
        """(set, trend)."""
        return (self.trend_set, self.trend)


class Proposal(_Identified):
    """A scenario the study proposes (``new``) or a change to an existing one (``changed``)."""

    change: Literal["new", "changed"]
    title: str = Field(default="", max_length=500)
    theme: str | None = Field(default=None, min_length=1, max_length=200)
    description: str = Field(default="", max_length=100_000)
    likelihood: Any = None  # as a scenario's likelihood; needed before a new one is created
    rationale: str = Field(default="", max_length=20_000)
    signals: list[str] = Field(default_factory=list, max_length=500)
    trends: list[TrendRef] = Field(default_factory=list, max_length=200)

    @model_validator(mode="after")
    def _titled(self) -> Proposal:
        if self.change == "new" and not self.title.strip():
            raise ValueError("a new scenario needs a title")
        return self


class DeepDive(_Identified):
    """The canonical file of one deep-dive."""

    format: str = DEEPDIVE_FORMAT
    title: str = Field(min_length=1, max_length=500)
    edition: str = Field(min_length=1, max_length=100)
    theme: str = Field(min_length=1, max_length=200)
    year: int | None = Field(default=None, ge=1900, le=2200)
    # as a signal's: within six months, five years, or further; a deep-dive is mostly medium
    horizon: Literal["short", "medium", "long"] = "medium"
    question: str = Field(default="", max_length=20_000)
    findings: str = Field(default="", max_length=200_000)
    classification: str | None = None
    signals: list[str] = Field(default_factory=list, max_length=5000)
    trends: list[TrendRef] = Field(default_factory=list, max_length=500)
    sources: list[Source] = Field(default_factory=list, max_length=500)
    scenarios: list[Proposal] = Field(default_factory=list, max_length=500)

    @field_validator("title")
    @classmethod
    def _title(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("is required (more than spaces)")
        return v

    @field_validator("format")
    @classmethod
    def _format(cls, v: str) -> str:
        if v != DEEPDIVE_FORMAT:
            raise ValueError(f"unknown format {v!r}; this version reads {DEEPDIVE_FORMAT!r}")
        return v

    def proposal(self, pid: str) -> Proposal | None:
        """A proposed scenario by id."""
        return next((p for p in self.scenarios if p.id == pid), None)


def deepdive_problems(
    dd: DeepDive,
    themes: set[str],
    scenarios: set[str],
    signals: set[str] | None,
    trends: set[tuple[str, str]] | None,
) -> list[tuple[Loc, str]]:
    """Every broken reference, with where it is (``None``: that kind is not checked)."""
    out: list[tuple[Loc, str]] = []
    if dd.theme not in themes:
        out.append((("theme",), f"no theme {dd.theme!r} in edition {dd.edition!r}"))

    def refs(loc: Loc, sigs: list[str], trs: list[TrendRef]) -> None:
        for n, sid in enumerate(sigs):
            if signals is not None and sid not in signals:
                out.append(((*loc, "signals", n), f"no signal {sid!r} in edition {dd.edition!r}"))
        for n, ref in enumerate(trs):
            if trends is not None and ref.key() not in trends:
                msg = f"no trend {ref.trend!r} in trend set {ref.trend_set!r}"
                out.append(((*loc, "trends", n), msg))

    refs((), dd.signals, dd.trends)
    seen: set[str] = set()
    for k, p in enumerate(dd.scenarios):
        loc: Loc = ("scenarios", k)
        if p.id in seen:
            out.append(((*loc, "id"), f"id {p.id!r} is used twice"))
        seen.add(p.id)
        if p.change == "changed" and p.id not in scenarios:
            out.append(((*loc, "id"), f"no scenario {p.id!r} in edition {dd.edition!r} to change"))
        if p.theme is not None and p.theme not in themes:
            out.append(((*loc, "theme"), f"no theme {p.theme!r} in edition {dd.edition!r}"))
        refs(loc, p.signals, p.trends)
    return out
