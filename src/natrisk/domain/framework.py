"""A framework: the yardstick (interests, criteria, classes, likelihood, weights) as data.

Each value that comes from a method guide carries ``source`` and ``status`` so that a
reader can trace it, and so that unverified figures are visible as such:

- ``verified``: a public source was read and is cited (title, year, section or page);
- ``contradicted``: a source disagrees; ``says`` records what it says;
- ``provisional``: not yet checked against a source.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Status = Literal["verified", "contradicted", "provisional"]
STATUSES = ("verified", "contradicted", "provisional")
CriterionType = Literal["quantity", "matrix", "levels"]


class Text(BaseModel):
    """A user-facing text in English and Dutch."""

    model_config = ConfigDict(extra="forbid")
    en: str
    nl: str

    def get(self, lang: str) -> str:
        """The text in ``lang`` ("en" or "nl"), English when unknown."""
        return self.nl if lang == "nl" else self.en


class Sourced(BaseModel):
    """Mixin: where a value comes from and whether it has been checked against that source."""

    model_config = ConfigDict(extra="forbid")
    source: str = ""
    status: Status
    says: str | None = None  # what a disagreeing source says (status contradicted), or a note

    @model_validator(mode="after")
    def _cited(self) -> Sourced:
        if self.status in ("verified", "contradicted") and not self.source.strip():
            raise ValueError(
                f"status {self.status!r} needs a source: cite the document "
                "(title, year, section or page)"
            )
        if self.status == "contradicted" and not (self.says or "").strip():
            raise ValueError("status 'contradicted' needs 'says': what the source says instead")
        return self


class ImpactLevel(BaseModel):
    """One impact class (A..E, or 1..5) with its label."""

    model_config = ConfigDict(extra="forbid")
    # short: a three-point estimate 'C (B-E)' is stored in one 20-character column
    id: str = Field(min_length=1, max_length=5, pattern=r"^[A-Za-z0-9]+$")
    label: Text


class ImpactScale(Sourced):
    """The ordered impact classes, lowest first; ``none`` is the class for no impact."""

    none: str = "X"
    none_label: Text = Text(en="none / not applicable", nl="geen / niet van toepassing")
    levels: list[ImpactLevel] = Field(min_length=2)

    @property
    def ids(self) -> list[str]:
        """All class ids, the none class first (index 0)."""
        return [self.none] + [lvl.id for lvl in self.levels]


class ClassValues(Sourced):
    """Numeric value of each class for the weighted sum (a geometric scale)."""

    values: dict[str, float]


class LikelihoodClass(BaseModel):
    """One likelihood class with its probability band over the horizon, [min, max)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9]+$")
    label: Text
    min: float = Field(ge=0.0, le=1.0)
    max: float = Field(gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> LikelihoodClass:
        if self.max <= self.min:
            raise ValueError(f"likelihood class {self.id}: max {self.max} <= min {self.min}")
        return self


class LikelihoodScale(Sourced):
    """Likelihood classes, lowest first, over a horizon in years."""

    horizon_years: float = Field(gt=0)
    classes: list[LikelihoodClass] = Field(min_length=2)
    malicious_note: Text | None = None
    # whether a likelihood may be placed inside its class ('B-high'; NRA 2014, Table 1)
    positions: bool = False

    @model_validator(mode="after")
    def _contiguous(self) -> LikelihoodScale:
        for lo, hi in zip(self.classes, self.classes[1:], strict=False):
            if abs(lo.max - hi.min) > 1e-12:
                raise ValueError(f"likelihood classes {lo.id} and {hi.id} are not contiguous")
        return self

    @property
    def ids(self) -> list[str]:
        """Class ids, lowest first."""
        return [c.id for c in self.classes]


class Interest(Sourced):
    """A vital interest (nationaal veiligheidsbelang)."""

    id: str = Field(min_length=1)
    name: Text
    counts_from: str | None = None  # classes below this count as none (NVS 2019, interest 6)


class Axis(BaseModel):
    """One dimension of a two-dimensional impact criterion (e.g. people x duration)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z_]+$")
    unit: str
    bands: list[float] = Field(min_length=1)  # inclusive lower bounds, ascending

    @field_validator("bands")
    @classmethod
    def _ascending(cls, v: list[float]) -> list[float]:
        if any(b <= a for a, b in zip(v, v[1:], strict=False)):
            raise ValueError("axis bands must be strictly ascending")
        return v


class Criterion(Sourced):
    """An impact criterion and how a raw score turns into a class."""

    id: str = Field(min_length=1)
    interest: str | None = None  # None for the parts of a composite criterion
    name: Text
    type: CriterionType
    unit: str | None = None
    thresholds: dict[str, float] | None = None  # class id -> inclusive lower bound
    axes: list[Axis] | None = None
    matrix: list[list[str]] | None = None  # rows: axes[0] bands, columns: axes[1] bands
    levels: dict[str, Text] | None = None  # described levels per class
    parts: list[Criterion] | None = None  # composite: the class is the highest of the parts
    note: Text | None = None

    @model_validator(mode="after")
    def _shape(self) -> Criterion:
        if self.type == "quantity" and not self.thresholds and not self.parts:
            raise ValueError(f"criterion {self.id}: type quantity needs thresholds")
        if self.type == "matrix":
            if not self.axes or len(self.axes) != 2 or not self.matrix:
                raise ValueError(f"criterion {self.id}: type matrix needs two axes and a matrix")
            rows, cols = len(self.axes[0].bands), len(self.axes[1].bands)
            if len(self.matrix) != rows or any(len(r) != cols for r in self.matrix):
                raise ValueError(f"criterion {self.id}: matrix must be {rows} x {cols}")
        return self


class WeightProfile(BaseModel):
    """A named set of criterion weights (a preference profile)."""

    model_config = ConfigDict(extra="forbid")
    label: Text
    weights: dict[str, float] = Field(default_factory=dict)  # missing criteria: weight 1


class Weights(Sourced):
    """Default weights and named profiles."""

    default_profile: str = "equal"
    profiles: dict[str, WeightProfile]


DominantRuleName = Literal["impact-only", "impact-and-likelihood"]


class DominantRule(Sourced):
    """Which scenarios are dominant risks: serious harm to an interest, and where the source
    says so, a likelihood of at least some class."""

    rule: DominantRuleName = "impact-only"
    impact_from: str
    likelihood_from: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> DominantRule:
        if self.rule == "impact-and-likelihood" and self.likelihood_from is None:
            raise ValueError(
                "rule impact-and-likelihood needs likelihood_from (a likelihood class)"
            )
        return self


class Theme(BaseModel):
    """A theme that groups scenarios (e.g. the nine themes of the 2022 analysis)."""

    model_config = ConfigDict(extra="forbid")
    id: str
    name: Text


class Framework(Sourced):
    """The yardstick of one method version ("één meetlat")."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: Text
    description: Text | None = None
    dominant_from: str | None = None  # older form: impact-only rule from this class
    dominant: DominantRule | None = None
    impact_classes: ImpactScale
    class_values: ClassValues
    likelihood: LikelihoodScale
    interests: list[Interest] = Field(min_length=1)
    criteria: list[Criterion] = Field(min_length=1)
    weights: Weights
    themes: list[Theme] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Framework:
        classes = set(self.impact_classes.ids)
        interests = {i.id for i in self.interests}
        seen: set[str] = set()
        for crit in self._all_criteria():
            if crit.id in seen:
                raise ValueError(f"criterion id {crit.id} appears twice")
            seen.add(crit.id)
            for cls_id in crit.thresholds or {}:
                if cls_id not in classes:
                    raise ValueError(f"criterion {crit.id}: unknown class {cls_id} in thresholds")
            for row in crit.matrix or []:
                for cell in row:
                    if cell not in classes:
                        raise ValueError(f"criterion {crit.id}: unknown class {cell} in matrix")
        for crit in self.criteria:
            if crit.interest not in interests:
                raise ValueError(f"criterion {crit.id}: unknown interest {crit.interest}")
        missing = classes - set(self.class_values.values)
        if missing:
            raise ValueError(f"class_values lacks classes {sorted(missing)}")
        for name, prof in self.weights.profiles.items():
            unknown = set(prof.weights) - {c.id for c in self.criteria}
            if unknown:
                raise ValueError(f"weight profile {name}: unknown criteria {sorted(unknown)}")
            if any(w < 0 for w in prof.weights.values()):
                raise ValueError(f"weight profile {name}: weights must not be negative")
        if self.weights.default_profile not in self.weights.profiles:
            raise ValueError(f"default profile {self.weights.default_profile} is not defined")
        impact_from = self.dominant.impact_from if self.dominant else None
        for cls_id in filter(
            None, [self.dominant_from, impact_from, *(i.counts_from for i in self.interests)]
        ):
            if cls_id not in classes:
                raise ValueError(f"unknown impact class {cls_id}")
        if self.dominant and self.dominant_from:
            raise ValueError("give 'dominant' or the older 'dominant_from', not both")
        lik_from = self.dominant.likelihood_from if self.dominant else None
        if lik_from is not None and lik_from not in self.likelihood.ids:
            raise ValueError(f"dominant.likelihood_from: unknown likelihood class {lik_from}")
        return self

    def dominant_rule(self, name: str | None = None) -> DominantRule | None:
        """The framework's rule for dominant risks, or the rule ``name`` on its thresholds
        (``impact-only`` keeps the older reading of the same impact threshold)."""
        rule = self.dominant
        if rule is None and self.dominant_from:
            rule = DominantRule(
                rule="impact-only",
                impact_from=self.dominant_from,
                source=self.source,
                status="provisional",
            )
        if rule is None or name is None or name == rule.rule:
            return rule
        if name == "impact-only":
            return rule.model_copy(update={"rule": "impact-only"})
        raise ValueError(
            f"framework {self.id} gives no likelihood threshold for rule {name!r}; use impact-only"
        )

    def unverified(self) -> list[tuple[str, Sourced]]:
        """Every sourced value that is not verified, with where it sits in the framework."""
        found: list[tuple[str, Sourced]] = []

        def visit(where: str, item: Sourced) -> None:
            if item.status != "verified":
                found.append((where, item))

        visit("framework", self)
        visit("impact_classes", self.impact_classes)
        visit("class_values", self.class_values)
        visit("likelihood", self.likelihood)
        if self.dominant is not None:
            visit("dominant", self.dominant)
        visit("weights", self.weights)
        for i in self.interests:
            visit(f"interest {i.id}", i)
        for c in self._all_criteria():
            visit(f"criterion {c.id}", c)
        return found

    def _all_criteria(self) -> list[Criterion]:
        out: list[Criterion] = []
        for crit in self.criteria:
            out.append(crit)
            out.extend(crit.parts or [])
        return out

    @property
    def criterion_ids(self) -> list[str]:
        """Ids of the aggregated criteria, in framework order."""
        return [c.id for c in self.criteria]

    def criterion(self, cid: str) -> Criterion | None:
        """The criterion or part with this id, if any."""
        return next((c for c in self._all_criteria() if c.id == cid), None)

    def parent_of(self, part_id: str) -> Criterion | None:
        """The composite criterion that holds part ``part_id``."""
        return next((c for c in self.criteria if part_id in {p.id for p in c.parts or []}), None)

    def profile_weights(self, name: str | None = None) -> dict[str, float]:
        """Weight per criterion for a profile (default profile when ``name`` is None)."""
        prof = self.weights.profiles[name or self.weights.default_profile]
        return {cid: float(prof.weights.get(cid, 1.0)) for cid in self.criterion_ids}

    def theme_name(self, theme_id: str, lang: str = "en") -> str:
        """Display name of a theme; the id made readable when the framework does not know it."""
        for theme in self.themes:
            if theme.id == theme_id:
                return theme.name.get(lang)
        return theme_id.replace("-", " ").capitalize()
