"""Signals, candidate threats and horizon scans: "what is coming at us?" in the short term.

A signal is a sign of a possible threat, submitted by anyone working on a scan; an analyst
judges its strength and direction and moves it through its lifecycle. A scan round gathers
the signals of its period and, once adopted, keeps what it saw: its product is the threat
picture. Sources: Strategie Nationale Veiligheid (2007), section 'Horizonscanning (korte
termijn)' (twice a year, signals shared through existing alerting systems, the
'Dreigingsbeeld Nederland'; seed 004:1076-1100).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from natrisk.domain.edition import _check_id

SIGNALS_FORMAT = "natrisk-signals/1"
HORIZONS = ("short", "medium", "long")  # <= 6 months, <= 5 years, > 5 years
STRENGTHS = ("weak", "moderate", "strong")
DIRECTIONS = ("rising", "stable", "falling")
STATUSES = ("new", "assessed", "watch", "escalated", "absorbed", "dismissed")
SCAN_STATUSES = ("open", "adopted")
# lifecycle: status -> the statuses it may move to (absorbed and dismissed are final)
STEPS: dict[str, tuple[str, ...]] = {
    "new": ("assessed", "dismissed"),
    "assessed": ("watch", "escalated", "absorbed", "dismissed"),
    "watch": ("assessed", "escalated", "absorbed", "dismissed"),
    "escalated": ("watch", "absorbed", "dismissed"),
    "absorbed": (),
    "dismissed": (),
}
_CANON = {"horizon": HORIZONS, "strength": STRENGTHS, "direction": DIRECTIONS}
JUDGED = frozenset({"assessed", "watch", "escalated", "absorbed"})  # need strength and direction
MAX_TEXT = 20_000  # characters of a description; a signal is a short note, not a study
MAX_SIGNALS = 200_000  # in one file or upload

Horizon = Literal["short", "medium", "long"]
Strength = Literal["weak", "moderate", "strong"]
Direction = Literal["rising", "stable", "falling"]
Status = Literal["new", "assessed", "watch", "escalated", "absorbed", "dismissed"]


# other spellings people use for the same values (English and Dutch); stored canonically
ALIASES: dict[str, dict[str, str]] = {
    "horizon": {
        "<=6 months": "short",
        "≤ 6 months": "short",
        "≤6 months": "short",
        "6 months": "short",
        "6m": "short",
        "short-term": "short",
        "korte termijn": "short",
        "kort": "short",
        "<=5 years": "medium",
        "≤ 5 years": "medium",
        "≤5 years": "medium",
        "5 years": "medium",
        "5y": "medium",
        "medium-term": "medium",
        "middellange termijn": "medium",
        ">5 years": "long",
        "> 5 years": "long",
        "5+ years": "long",
        "long-term": "long",
        "lange termijn": "long",
        "lang": "long",
    },
    "strength": {"zwak": "weak", "matig": "moderate", "sterk": "strong"},
    "direction": {"stijgend": "rising", "stabiel": "stable", "dalend": "falling"},
}


def canonical(field: str, value: Any) -> Any:
    """A known other spelling of a horizon, strength or direction as its canonical value."""
    if isinstance(value, str):
        key = " ".join(value.strip().lower().split())
        return ALIASES.get(field, {}).get(key, key if key in _CANON[field] else value)
    return value


def today() -> dt.date:
    """Today's date (UTC): the latest a signal can have been observed."""
    return dt.datetime.now(dt.UTC).date()


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Identified(_Model):
    id: str = Field(min_length=1, max_length=100)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v)


class Source(_Model):
    """Where a signal was seen: a reference (title or address), who published it, and when."""

    reference: str = Field(min_length=1, max_length=2000)
    organisation: str = Field(default="", max_length=300)
    date: dt.date | None = None


class Signal(_Identified):
    """One signal of a possible threat, with the analyst's judgement and its lifecycle."""

    title: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=MAX_TEXT)
    sources: list[Source] = Field(default_factory=list, max_length=100)
    observed: dt.date
    themes: list[str] = Field(min_length=1, max_length=50)
    scenarios: list[str] = Field(default_factory=list, max_length=200)
    horizon: Horizon
    classification: str | None = None  # None is the lowest level (public)
    organisation: str = Field(default="", max_length=300)  # who submitted it
    strength: Strength | None = None
    direction: Direction | None = None
    status: Status = "new"
    absorbed_into: str | None = None  # the scenario that took the signal up
    reason: str = Field(default="", max_length=MAX_TEXT)  # why it was dismissed

    @field_validator("title")
    @classmethod
    def _title(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("a signal needs a title")
        return v.strip()

    @field_validator("horizon", "strength", "direction", mode="before")
    @classmethod
    def _spelling(cls, v: Any, info: Any) -> Any:
        return canonical(info.field_name, v)

    @field_validator("themes", "scenarios")
    @classmethod
    def _ids(cls, v: list[str]) -> list[str]:
        for item in v:
            _check_id(item)
        if len(set(v)) != len(v):
            raise ValueError("each id once")
        return v

    @field_validator("observed")
    @classmethod
    def _past(cls, v: dt.date) -> dt.date:
        if v > today():
            raise ValueError(f"observed date {v.isoformat()} is in the future")
        return v

    @model_validator(mode="after")
    def _lifecycle(self) -> Signal:
        if self.status in JUDGED and (self.strength is None or self.direction is None):
            raise ValueError(f"a signal that is {self.status} needs a strength and a direction")
        if (self.status == "absorbed") != (self.absorbed_into is not None):
            raise ValueError(
                "'absorbed_into' names the scenario of an absorbed signal, and only then"
            )
        if self.status == "dismissed" and not self.reason.strip():
            raise ValueError("a dismissed signal needs a reason")
        return self

    def text(self) -> str:
        """The signal's searchable text: title and description."""
        return f"{self.title}\n{self.description}".strip()


def step_problem(old: str, new: str) -> str | None:
    """Why the lifecycle step old -> new is not allowed, or None when it is."""
    if new == old:
        return None
    if new not in STEPS.get(old, ()):
        allowed = ", ".join(STEPS.get(old, ())) or "none: it is final"
        return f"a {old} signal cannot become {new}; allowed: {allowed}"
    return None


class SignalState(_Model):
    """What an adopted scan saw of one signal (kept, so later changes do not rewrite it)."""

    signal: str
    title: str
    themes: list[str]
    scenarios: list[str] = Field(default_factory=list)
    horizon: Horizon
    status: Status
    strength: Strength | None = None
    direction: Direction | None = None
    classification: str | None = None


class Scan(_Identified):
    """A horizon-scan round: the signals observed in its period, read per theme."""

    title: str = Field(min_length=1, max_length=500)
    start: dt.date
    end: dt.date
    status: Literal["open", "adopted"] = "open"
    interpretations: dict[str, str] = Field(default_factory=dict)  # theme -> analysts' text
    adopted_on: dt.date | None = None
    adopted_by: str = ""
    snapshot: list[SignalState] | None = None  # set when adopted

    @model_validator(mode="after")
    def _period(self) -> Scan:
        if self.end < self.start:
            raise ValueError(f"the scan ends ({self.end}) before it starts ({self.start})")
        for theme, text in self.interpretations.items():
            _check_id(theme)
            if len(text) > MAX_TEXT:
                raise ValueError(f"the interpretation of {theme} is longer than {MAX_TEXT}")
        if (self.status == "adopted") != (self.snapshot is not None):
            raise ValueError("an adopted scan keeps the snapshot of its signals, and only then")
        return self


class Cluster(_Identified):
    """A candidate threat: signals an analyst confirmed belong together."""

    label: str = Field(min_length=1, max_length=500)
    signals: list[str] = Field(min_length=1)


class SignalFile(_Model):
    """The file of signals, scans and confirmed clusters of one edition."""

    model_config = ConfigDict(extra="allow")  # comments such as 'illustrative' ride along
    format: str = SIGNALS_FORMAT
    edition: str | None = None
    signals: list[Signal] = Field(default_factory=list, max_length=MAX_SIGNALS)
    scans: list[Scan] = Field(default_factory=list)
    clusters: list[Cluster] = Field(default_factory=list)

    @field_validator("format")
    @classmethod
    def _format(cls, v: str) -> str:
        if v != SIGNALS_FORMAT:
            raise ValueError(f"unknown format {v!r}; this version reads {SIGNALS_FORMAT!r}")
        return v


def file_problems(doc: SignalFile) -> list[tuple[tuple[Any, ...], str]]:
    """References inside a file that do not hold: duplicate ids, clusters naming no signal."""
    out: list[tuple[tuple[Any, ...], str]] = []
    seen: set[str] = set()
    for i, sig in enumerate(doc.signals):
        if sig.id in seen:
            out.append((("signals", i, "id"), f"signal {sig.id!r} appears twice"))
        seen.add(sig.id)
    scans: set[str] = set()
    for i, scan in enumerate(doc.scans):
        if scan.id in scans:
            out.append((("scans", i, "id"), f"scan {scan.id!r} appears twice"))
        scans.add(scan.id)
    member: dict[str, str] = {}
    for i, cl in enumerate(doc.clusters):
        for j, sid in enumerate(cl.signals):
            if sid not in seen:
                out.append((("clusters", i, "signals", j), f"no signal {sid!r} in this file"))
            elif sid in member:
                out.append(
                    (("clusters", i, "signals", j), f"{sid!r} is in cluster {member[sid]!r} too")
                )
            member.setdefault(sid, cl.id)
    return out
