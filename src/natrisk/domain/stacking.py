"""How threats combine: intensity variants of one risk, cascade links between scenarios,
compound scenarios, and a regional edition's mapping onto the national picture.

They are top-level sections of a workbook (``risks``, ``links``, ``compounds``, ``region``)
kept as the workbook's extra keys, so every store of a workbook (YAML, JSON, XLSX, the
database's edition ``extra``) holds them unchanged. ``stacking_problems`` checks them
against the workbook's scenarios; ``io.workbook.parse_workbook`` raises what it finds,
each problem at its line or row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from natrisk.domain.edition import ID_PATTERN, Workbook

SECTIONS = ("risks", "links", "compounds", "region")

# Conditional probability classes of a cascade link: [low, high) per class. The Belgian
# national risk assessment's application (National Crisis Center; its "CP - Conditional
# Probability" scale) has CP0 0 %, CP1 < 1 %, CP2 1-10 %, CP3 10-50 %, CP4 50-90 % and
# CP5 > 90 %; natrisk also splits the lowest band at 0.1 %, and takes the CP names as they are.
PROBABILITY_CLASSES: dict[str, tuple[float, float]] = {
    "0-0.1%": (0.0, 0.001),
    "0.1-1%": (0.001, 0.01),
    "1-10%": (0.01, 0.1),
    "10-50%": (0.1, 0.5),
    "50-90%": (0.5, 0.9),
    "90-100%": (0.9, 1.0),
    "CP0": (0.0, 0.0),
    "CP1": (0.0, 0.01),
    "CP2": (0.01, 0.1),
    "CP3": (0.1, 0.5),
    "CP4": (0.5, 0.9),
    "CP5": (0.9, 1.0),
}
PROBABILITY_SOURCE = (
    "Belgian National Risk Assessment (National Crisis Center, Belgium): the conditional "
    "probability scale CP0-CP5 of its risk assessment application (0 %, < 1 %, 1-10 %, "
    "10-50 %, 50-90 %, > 90 %); natrisk splits the lowest band at 0.1 % (provisional)"
)


def probability_class(text: str) -> str | None:
    """The class id a text names ('10-50%', '10 – 50 %', 'CP3'), or None."""
    key = re.sub(r"\s+", "", text).replace("–", "-").replace("—", "-").replace(",", ".")
    if key.upper() in PROBABILITY_CLASSES:
        return key.upper()
    return key if key in PROBABILITY_CLASSES else None


def probability_value(value: float | str) -> float:
    """The probability a link fires with: the number, or a class's midpoint.

    A link is tried at most once per sample, so drawing its probability uniformly inside
    the class and then firing is the same as firing with the class's midpoint.
    """
    if isinstance(value, str):
        klass = probability_class(value)
        assert klass is not None  # checked when the workbook was read
        low, high = PROBABILITY_CLASSES[klass]
        return (low + high) / 2
    return float(value)


def _id(v: str) -> str:
    if not re.match(ID_PATTERN, v):
        raise ValueError(f"id {v!r} may hold only letters, digits, '.', '_' and '-'")
    return v


class Variant(BaseModel):
    """One intensity of a risk: a scenario and the intensity's name."""

    model_config = ConfigDict(extra="forbid")
    scenario: str
    intensity: str = ""


class Risk(BaseModel):
    """A risk (risk category) drawn as its variants of rising intensity."""

    model_config = ConfigDict(extra="allow")
    id: str = Field(max_length=100)
    title: str = Field(min_length=1, max_length=500)
    variants: list[Variant] = Field(min_length=1)

    _check = field_validator("id")(lambda cls, v: _id(v))

    @field_validator("variants", mode="before")
    @classmethod
    def _short(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [{"scenario": x} if isinstance(x, str) else x for x in v]
        return v

    @property
    def scenario_ids(self) -> list[str]:
        """The variants' scenarios, lowest intensity first."""
        return [v.scenario for v in self.variants]


class Link(BaseModel):
    """'Scenario ``source`` can cause scenario ``target``', with a conditional probability."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    probability: float | str
    rationale: str = Field(default="", max_length=20000)
    sources: list[str] = Field(default_factory=list)

    @field_validator("probability", mode="before")
    @classmethod
    def _probability(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError(
                "a probability is a number between 0 and 1 or a class such as '10-50%'"
            )
        if isinstance(v, int | float):
            if not 0.0 <= float(v) <= 1.0:
                raise ValueError(f"a probability lies between 0 and 1; got {v}")
            return float(v)
        if isinstance(v, str):
            klass = probability_class(v)
            if klass is None:
                raise ValueError(
                    f"unknown probability class {v!r}; use a number between 0 and 1 or one of "
                    + ", ".join(PROBABILITY_CLASSES)
                )
            return klass
        raise ValueError("a probability is a number between 0 and 1 or a class such as '10-50%'")

    @property
    def value(self) -> float:
        """The probability the link fires with (a class's midpoint)."""
        return probability_value(self.probability)


class Compound(BaseModel):
    """Scenarios that strike together, as a scenario of its own."""

    model_config = ConfigDict(extra="allow")
    id: str = Field(max_length=100)
    title: str = Field(min_length=1, max_length=500)
    scenarios: list[str] = Field(min_length=2)
    likelihood: str | float
    description: str = ""

    _check = field_validator("id")(lambda cls, v: _id(v))


class Mapping(BaseModel):
    """A regional scenario and the national scenario or risk it stands for."""

    model_config = ConfigDict(extra="forbid")
    scenario: str
    national: str | None = None  # a national scenario id
    risk: str | None = None  # or a national risk (risk category) id

    @model_validator(mode="after")
    def _one(self) -> Mapping:
        if (self.risk is None) == (self.national is None):
            raise ValueError("map a regional scenario to one of 'national' (a scenario) or 'risk'")
        return self

    @property
    def target(self) -> str:
        """The national scenario or risk id."""
        return self.national or self.risk or ""


class Region(BaseModel):
    """A regional edition's place in the national picture."""

    model_config = ConfigDict(extra="allow")
    id: str = Field(max_length=100)
    name: str = Field(min_length=1, max_length=300)
    mapping: list[Mapping] = Field(default_factory=list)

    _check = field_validator("id")(lambda cls, v: _id(v))


@dataclass(frozen=True)
class Stacking:
    """The four sections of one workbook, validated."""

    risks: list[Risk]
    links: list[Link]
    compounds: list[Compound]
    region: Region | None

    @property
    def empty(self) -> bool:
        """Whether the workbook says nothing about how its threats combine."""
        return not (self.risks or self.links or self.compounds or self.region)


@dataclass(frozen=True)
class Finding:
    """A problem in a stacking section: its data path, subject, field and message."""

    loc: tuple[Any, ...]
    subject: str
    field: str
    message: str


def _parse(model: type[BaseModel], item: Any, loc: tuple[Any, ...], out: list[Finding]) -> Any:
    try:
        return model.model_validate(item)
    except ValidationError as exc:
        for err in exc.errors():
            path = tuple(p for p in err["loc"] if not str(p).startswith(("function-", "union")))
            field = ".".join(str(p) for p in path)
            msg = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "missing":
                msg = "required field is missing"
            elif err["type"] == "extra_forbidden":
                msg = "unknown field; check its spelling"
            head = str(loc[0]).rstrip("s") if loc[0] != "region" else "region"
            subject = f"{head} #{loc[1] + 1}" if len(loc) > 1 else head
            out.append(Finding(loc + path[:1], subject, field, msg))
        return None


def _listed(extra: dict[str, Any], key: str, out: list[Finding]) -> list[Any]:
    value = extra.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        out.append(Finding((key,), key, "", f"'{key}' is a list"))
        return []
    return value


def read_stacking(book: Workbook) -> tuple[Stacking, list[Finding]]:
    """The stacking sections of a workbook and every problem with them."""
    extra = book.model_extra or {}
    found: list[Finding] = []
    models: dict[str, type[BaseModel]] = {"risks": Risk, "links": Link, "compounds": Compound}
    parsed: dict[str, list[Any]] = {}
    for key, model in models.items():
        items = [
            _parse(model, x, (key, i), found) for i, x in enumerate(_listed(extra, key, found))
        ]
        parsed[key] = [x for x in items if x is not None]
    region = _parse(Region, extra["region"], ("region",), found) if "region" in extra else None
    stacking = Stacking(parsed["risks"], parsed["links"], parsed["compounds"], region)
    found += _references(book, stacking, extra)
    return stacking, found


def _references(book: Workbook, st: Stacking, extra: dict[str, Any]) -> list[Finding]:
    """Links, variants, compounds and mappings must name scenarios of this workbook."""
    ids = {s.id for s in book.scenarios}
    out: list[Finding] = []

    def missing(loc: tuple[Any, ...], subject: str, field: str, sid: str) -> None:
        if sid not in ids:
            out.append(Finding(loc, subject, field, f"scenario {sid!r} is not in this workbook"))

    raw_links = extra.get("links") or []
    for i, item in enumerate(raw_links):
        if not isinstance(item, dict):
            continue
        src, dst = item.get("from"), item.get("to")
        subject = f"link #{i + 1} ({src} -> {dst})"
        for end, sid in (("from", src), ("to", dst)):
            if isinstance(sid, str):
                missing(("links", i, end), subject, end, sid)
        if isinstance(src, str) and src == dst:
            out.append(Finding(("links", i, "to"), subject, "to", "a scenario cannot cause itself"))
    seen: dict[tuple[str, str], int] = {}
    for i, link in enumerate(st.links):
        pair = (link.source, link.target)
        if pair in seen:
            msg = f"the same link is also link #{seen[pair] + 1}; give each pair once"
            out.append(Finding(("links", i), f"link #{i + 1}", "from", msg))
        seen.setdefault(pair, i)
    in_risk: dict[str, str] = {}
    for i, risk in enumerate(st.risks):
        for j, v in enumerate(risk.variants):
            missing(("risks", i, "variants", j), f"risk {risk.id}", f"variants.{j}", v.scenario)
            if v.scenario in in_risk:
                msg = (
                    f"scenario {v.scenario!r} is already a variant of risk {in_risk[v.scenario]!r}"
                )
                out.append(Finding(("risks", i, "variants", j), f"risk {risk.id}", "variants", msg))
            in_risk.setdefault(v.scenario, risk.id)
    for i, comp in enumerate(st.compounds):
        for j, sid in enumerate(comp.scenarios):
            missing(("compounds", i, "scenarios", j), f"compound {comp.id}", f"scenarios.{j}", sid)
        if comp.id in ids:
            msg = f"compound id {comp.id!r} is also a scenario id; ids must be unique"
            out.append(Finding(("compounds", i, "id"), f"compound {comp.id}", "id", msg))
    if st.region is not None:
        for j, m in enumerate(st.region.mapping):
            missing(("region", "mapping", j), f"region {st.region.id}", f"mapping.{j}", m.scenario)
    return out


def stacking_of(book: Workbook) -> Stacking:
    """The stacking sections of a workbook that passed its checks."""
    return read_stacking(book)[0]


def visible_sections(top: dict[str, Any], ids: set[str]) -> dict[str, Any]:
    """The stored sections (plain data) without anything that names a scenario outside
    ``ids``: a link with a hidden end, a hidden variant (and a risk left with none), a
    compound with a hidden member, a regional mapping of a hidden scenario. What a reader
    may not see is absent, not marked."""
    out = dict(top)

    def named(item: Any, *keys: str) -> list[Any]:
        return [item.get(k) for k in keys] if isinstance(item, dict) else [None]

    if isinstance(top.get("links"), list):
        out["links"] = [lk for lk in top["links"] if all(v in ids for v in named(lk, "from", "to"))]
    if isinstance(top.get("risks"), list):
        risks = []
        for risk in top["risks"]:
            if not isinstance(risk, dict) or not isinstance(risk.get("variants"), list):
                continue
            variants = [
                v
                for v in risk["variants"]
                if (v if isinstance(v, str) else named(v, "scenario")[0]) in ids
            ]
            if variants:
                risks.append({**risk, "variants": variants})
        out["risks"] = risks
    if isinstance(top.get("compounds"), list):
        out["compounds"] = [
            c
            for c in top["compounds"]
            if isinstance(c, dict) and all(s in ids for s in c.get("scenarios") or [])
        ]
    region = top.get("region")
    if isinstance(region, dict) and isinstance(region.get("mapping"), list):
        mapping = [m for m in region["mapping"] if named(m, "scenario")[0] in ids]
        out["region"] = {**region, "mapping": mapping}
    for key in ("links", "risks", "compounds"):
        if key in out and not out[key] and key in top and top[key]:
            del out[key]  # an emptied section goes, as if it had never been written
    return out
