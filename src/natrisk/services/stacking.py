"""Stacking threats: intensity variants, cascades, compound scenarios and the regional roll-up.

Turns an assessed edition and its stacking sections (domain/stacking.py) into the arrays of
``method/cascades.py``, runs the propagation and describes the result per scenario, risk,
compound and region. What a reader may not see is left out before anything is computed: a
link with an end above the reader's clearance is absent, and so is its contribution; only
their number is told.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from natrisk.domain.edition import Scenario, Workbook
from natrisk.domain.framework import Framework
from natrisk.domain.stacking import (
    PROBABILITY_CLASSES,
    PROBABILITY_SOURCE,
    Compound,
    Stacking,
    stacking_of,
)
from natrisk.errors import Problem, WorkbookError
from natrisk.method import cascades as mc
from natrisk.method import likelihood as lik
from natrisk.method.rollup import rollup_classes
from natrisk.method.scale import class_position
from natrisk.services import cluster
from natrisk.services.assessment import (
    Assessment,
    Settings,
    assess,
    class_value_array,
    read_total,
    resolve_settings,
)
from natrisk.services.cluster import DaskMapper
from natrisk.services.scoring import ScoreTable

FOUND_COMPOUNDS = 3


# ---------------------------------------------------------------- arrays from an edition


def bounds_of(fw: Framework, criteria: list[str]) -> NDArray[np.float64]:
    """(C, K) inclusive lower bounds of each quantity criterion's classes; NaN elsewhere."""
    ids = fw.impact_classes.ids[1:]
    out = np.full((len(criteria), len(ids)), np.nan)
    for j, cid in enumerate(criteria):
        crit = fw.criterion(cid)
        if crit is not None and crit.thresholds and not crit.parts:
            out[j] = [crit.thresholds.get(k, np.nan) for k in ids]
    return out


def class_quantity(bounds: NDArray[np.float64], k: int) -> float:
    """The quantity a class stands for where quantities add: the geometric mean of its band
    (the top band as wide, on a log scale, as the one below); 0 for none."""
    b = bounds[~np.isnan(bounds)]
    if k <= 0 or b.size == 0:
        return 0.0
    k = min(k, b.size)
    low = b[k - 1]
    high = b[k] if k < b.size else (b[-1] ** 2 / b[-2] if b.size > 1 else b[-1] * 10)
    return float(math.sqrt(low * high)) if low > 0 else float(high / 2)


def impacts_of(table: ScoreTable, stacking: Stacking) -> mc.Impacts:
    """Each cell's quantity (quantity criteria) and class, the floors and the variant groups."""
    fw = table.framework
    bounds = bounds_of(fw, table.criteria)
    qty = np.full(table.point.shape, np.nan)
    for s, scen in enumerate(table.scenarios):
        for j, cid in enumerate(table.criteria):
            if np.isnan(bounds[j]).all():
                continue
            score = scen.impacts.get(cid)
            r = score.quantity if score is not None else None
            if r is not None:
                qty[s, j] = math.sqrt(r.min * r.max) if r.min > 0 else (r.min + r.max) / 2
            else:
                qty[s, j] = class_quantity(bounds[j], int(table.point[s, j]))
    ids = fw.impact_classes.ids
    floor = np.zeros(len(table.criteria), dtype=np.int64)
    for j, cid in enumerate(table.criteria):
        crit = fw.criterion(cid)
        counts_from = getattr(crit, "counts_from", None) if crit is not None else None
        if counts_from is None and crit is not None:
            interest = next((i for i in fw.interests if i.id == crit.interest), None)
            counts_from = getattr(interest, "counts_from", None)
        if counts_from in ids:
            floor[j] = ids.index(counts_from)
    index = {s.id: i for i, s in enumerate(table.scenarios)}
    group = np.arange(len(table.scenarios), dtype=np.int64)
    for risk in stacking.risks:
        members = [index[v] for v in risk.scenario_ids if v in index]
        if members:
            group[members] = members[0]
    return mc.Impacts(qty, table.point.copy(), bounds, floor, group)


def probability_of(fw: Framework, value: Any) -> float:
    """A representative probability over the horizon: a probability (range: geometric mean)
    or the geometric mean of a class's band (the open lowest band given one decade)."""
    if isinstance(value, int | float):
        return float(value)
    if getattr(value, "probability", None) is not None:
        p = value.probability
        return math.sqrt(p.min * p.max) if p.min > 0 else (p.min + p.max) / 2
    klass = value if isinstance(value, str) else (value.expected or value.klass)
    klass = klass.partition("-")[0] if klass not in fw.likelihood.ids else klass
    band = next(c for c in fw.likelihood.classes if c.id == klass)
    low = band.min if band.min > 0 else band.max / 10
    return math.sqrt(low * band.max)


def _x(fw: Framework, p: float) -> float:
    lower = np.array([c.min for c in fw.likelihood.classes])
    upper = np.array([c.max for c in fw.likelihood.classes])
    return lik.axis_position(min(max(p, 1e-12), 1.0), lower, upper)


def subset(table: ScoreTable, keep: list[int]) -> ScoreTable:
    """The table of some of its scenarios only."""
    return replace(
        table,
        scenarios=[table.scenarios[i] for i in keep],
        dist=table.dist[keep],
        point=table.point[keep],
        low=table.low[keep],
        high=table.high[keep],
        likelihood_point=table.likelihood_point[keep],
        likelihood_low=table.likelihood_low[keep],
        likelihood_high=table.likelihood_high[keep],
        likelihood_pos=table.likelihood_pos[keep],
    )


# ---------------------------------------------------------------- results


@dataclass
class Stacked:
    """Everything the chapter, the pages and the API show about how threats combine."""

    edition: str
    framework: str
    settings: Settings
    samples: int
    seed: int
    scenarios: list[dict[str, Any]]
    risks: list[dict[str, Any]]
    compounds: list[dict[str, Any]]
    links: list[dict[str, Any]]
    hidden_links: int
    warnings: list[str] = field(default_factory=list)

    def scenario(self, sid: str) -> dict[str, Any] | None:
        """One scenario's cascade result."""
        return next((r for r in self.scenarios if r["id"] == sid), None)

    def to_json(self) -> dict[str, Any]:
        """Plain data (``natrisk cascades --json`` and the API)."""
        return {
            "edition": self.edition,
            "framework": self.framework,
            "method": self.settings.method,
            "profile": self.settings.profile,
            "samples": self.samples,
            "seed": self.seed,
            "probability_classes": {
                k: {"min": lo, "max": hi} for k, (lo, hi) in PROBABILITY_CLASSES.items()
            },
            "probability_source": PROBABILITY_SOURCE,
            "links": self.links,
            "links_not_shown": self.hidden_links,
            "scenarios": self.scenarios,
            "risks": self.risks,
            "compounds": self.compounds,
            "warnings": self.warnings,
        }


def visible_stacking(stacking: Stacking, ids: set[str]) -> tuple[Stacking, int]:
    """The sections without anything that names a scenario not in ``ids``; how many links went."""
    links = [lk for lk in stacking.links if lk.source in ids and lk.target in ids]
    risks = []
    for risk in stacking.risks:
        variants = [v for v in risk.variants if v.scenario in ids]
        if variants:
            risks.append(risk.model_copy(update={"variants": variants}))
    compounds = [c for c in stacking.compounds if all(s in ids for s in c.scenarios)]
    kept = Stacking(risks, links, compounds, stacking.region)
    return kept, len(stacking.links) - len(links)


def analyse(
    a: Assessment,
    samples: int = 10000,
    seed: int = 0,
    lang: str = "en",
    workers: int = 2,
    hidden_links: int = 0,
    mapper: DaskMapper | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Stacked:
    """Variants, cascades and compounds of an assessed edition (only what it holds); the
    samples run on threads, or on a Dask cluster through ``mapper``, with the same result."""
    table, fw, settings = a.table, a.table.framework, a.settings
    ids = [s.id for s in table.scenarios]
    stacking, dropped = visible_stacking(stacking_of(a.book), set(ids))
    index = {sid: i for i, sid in enumerate(ids)}
    imp = impacts_of(table, stacking)
    n, cv = len(ids), class_value_array(fw, settings)
    weights = np.array([settings.weights[c] for c in table.criteria])
    roots = np.arange(n)
    ctab = mc.contributions(settings.method, weights, cv, table.point, roots)
    src = np.array([index[lk.source] for lk in stacking.links], dtype=np.int64)
    dst = np.array([index[lk.target] for lk in stacking.links], dtype=np.int64)
    prob = np.array([lk.value for lk in stacking.links], dtype=np.float64)
    graph = mc.Graph.build(n, src, dst, prob)
    direct_cls = mc.combine(imp, roots, roots, n)
    direct = mc.scores(ctab, direct_cls, roots if ctab.shape[0] > 1 else np.zeros(n, np.int64))
    upper = float(ctab.max(axis=2).sum(axis=1).max())
    lower = float(ctab.min(axis=2).sum(axis=1).min())
    bounds = (lower, upper)
    tally = (
        mc.propagate(
            graph, imp, ctab, roots, samples, seed, bounds, workers=workers, progress=progress
        )
        if mapper is None
        else cluster.propagate(mapper, graph, imp, ctab, roots, samples, seed, bounds, progress)
    )
    share = tally.fired / tally.n_samples  # q[r, b]
    p_direct = np.array([probability_of(fw, s.likelihood) for s in table.scenarios])
    p_induced = mc.induced_probability(p_direct, share)
    p_total = 1 - (1 - p_direct) * (1 - p_induced)
    mean = tally.mean_score(ctab)
    q5, q50, q95 = (tally.quantile(q) for q in (0.05, 0.5, 0.95))
    position = _positions(a, np.stack([direct, mean, q5, q50, q95]))
    rows = []
    for s, scen in enumerate(table.scenarios):
        causes = [(r, p_direct[r] * share[r, s]) for r in range(n) if r != s and share[r, s] > 0]
        effects = [
            (b, share[s, b] * max(direct[b], 1e-12)) for b in range(n) if b != s and share[s, b] > 0
        ]
        total_c = sum(w for _, w in causes) or 1.0
        total_e = sum(w for _, w in effects) or 1.0
        x0 = float(table.likelihood_pos[s, 0])
        rows.append(
            {
                "id": scen.id,
                "title": scen.title,
                "theme": scen.theme,
                "direct_score": float(direct[s]),
                "cascaded_mean": float(mean[s]),
                "cascaded_p5": float(q5[s]),
                "cascaded_median": float(q50[s]),
                "cascaded_p95": float(q95[s]),
                "direct_position": float(position[0, s]),
                "cascaded_position": float(position[1, s]),
                "direct_reading": _reading(a, position[0, s], lang),
                "cascaded_reading": _reading(a, position[1, s], lang),
                "direct_classes": _classes(fw, table.criteria, direct_cls[s]),
                "cascaded_classes": _classes(fw, table.criteria, _median_class(tally.classes[s])),
                "probability_direct": float(p_direct[s]),
                "probability_induced": float(p_induced[s]),
                "probability_total": float(p_total[s]),
                "share_from_others": float((p_total[s] - p_direct[s]) / p_total[s])
                if p_total[s] > 0
                else 0.0,
                "x_direct": x0,
                "x_cascaded": x0 + _x(fw, float(p_total[s])) - _x(fw, float(p_direct[s])),
                "causes": _by_share(
                    [
                        {
                            "id": ids[r],
                            "title": table.scenarios[r].title,
                            "share": float(w / total_c),
                            "probability": float(share[r, s]),
                        }
                        for r, w in causes
                    ]
                ),
                "effects": _by_share(
                    [
                        {
                            "id": ids[b],
                            "title": table.scenarios[b].title,
                            "share": float(w / total_e),
                            "probability": float(share[s, b]),
                        }
                        for b, w in effects
                    ]
                ),
            }
        )
    links = [
        {
            "from": lk.source,
            "to": lk.target,
            "probability": lk.probability,
            "value": lk.value,
            "rationale": lk.rationale,
        }
        for lk in stacking.links
    ]
    risks, warnings = _variants(a, stacking, index, direct_cls, position[0], lang)
    compounds = _compounds(a, stacking, imp, ctab, index, tally, p_direct, lang)
    return Stacked(
        a.book.edition.id,
        fw.id,
        settings,
        samples,
        seed,
        rows,
        risks,
        compounds,
        links,
        hidden_links + dropped,
        warnings,
    )


def _by_share(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda c: -c["share"])


def _positions(a: Assessment, scores: NDArray[np.float64]) -> NDArray[np.float64]:
    if a.settings.method == "evamix":
        return scores
    if a.settings.method == "medal":
        n_crit = len(a.table.criteria)
        return np.where(scores > 0, np.log(np.maximum(scores, 1e-12)) / math.log(n_crit + 1) + 1, 0)
    return class_position(scores, class_value_array(a.table.framework, a.settings))


def _reading(a: Assessment, position: float, lang: str) -> str:
    if a.settings.method == "evamix":
        return ""
    return read_total(a.table.framework, float(position), lang)


def _classes(fw: Framework, criteria: list[str], row: NDArray[np.int64]) -> dict[str, str]:
    ids = fw.impact_classes.ids
    return {c: ids[int(k)] for c, k in zip(criteria, row, strict=True)}


def _median_class(counts: NDArray[np.int64]) -> NDArray[np.int64]:
    """(C,) the upper median class per criterion from class counts (C, K+1)."""
    cum = np.cumsum(counts, axis=1)
    return np.argmax(cum > cum[:, -1:] / 2, axis=1)


def _variants(
    a: Assessment,
    stacking: Stacking,
    index: dict[str, int],
    direct_cls: NDArray[np.int64],
    position: NDArray[np.float64],
    lang: str,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Each risk's variants; the dominating one (docs/method.md §10.1); warnings."""
    table, fw = a.table, a.table.framework
    out, warnings = [], []
    for risk in stacking.risks:
        members = [(v, index[v.scenario]) for v in risk.variants if v.scenario in index]
        rows: list[dict[str, Any]] = [
            {
                "id": v.scenario,
                "title": table.scenarios[s].title,
                "intensity": v.intensity,
                "likelihood": fw.likelihood.ids[int(table.likelihood_point[s])],
                "x": float(table.likelihood_pos[s, 0]),
                "score": float(a.scores[s]),
                "position": float(position[s]),
                "reading": _reading(a, position[s], lang),
                "dominant_risk": bool(a.dominant[s]),
            }
            for v, s in members
        ]
        pool = [r for r in rows if r["dominant_risk"]] or rows
        top = max(pool, key=lambda r: float(r["score"])) if pool else None
        warnings += _order_warnings(risk.id, [(v.scenario, s) for v, s in members], direct_cls)
        out.append(
            {
                "id": risk.id,
                "title": risk.title,
                "variants": rows,
                "dominating": top["id"] if top else None,
            }
        )
    return out, warnings


def _order_warnings(
    risk: str, members: list[tuple[str, int]], direct_cls: NDArray[np.int64]
) -> list[str]:
    """A variant of lower intensity that is worse than the next one up: a warning, not an error."""
    out = []
    for (v1, s1), (v2, s2) in zip(members, members[1:], strict=False):
        lo, hi = direct_cls[s1], direct_cls[s2]
        if np.all(lo >= hi) and np.any(lo > hi):
            out.append(
                f"risk {risk}: variant {v1} (lower intensity) is at least as bad "
                f"as {v2} on every criterion and worse on some; check the order"
            )
    return out


def variant_warnings(table: ScoreTable, book: Workbook) -> list[str]:
    """The order warnings of a workbook's variants, without running the cascades."""
    stacking = stacking_of(book)
    if not stacking.risks:
        return []
    index = {sc.id: i for i, sc in enumerate(table.scenarios)}
    n = len(index)
    direct = mc.combine(impacts_of(table, stacking), np.arange(n), np.arange(n), n)
    out: list[str] = []
    for risk in stacking.risks:
        members = [(v.scenario, index[v.scenario]) for v in risk.variants if v.scenario in index]
        out += _order_warnings(risk.id, members, direct)
    return out


def _compounds(
    a: Assessment,
    stacking: Stacking,
    imp: mc.Impacts,
    ctab: NDArray[np.float64],
    index: dict[str, int],
    tally: mc.CascadeTally,
    p_direct: NDArray[np.float64],
    lang: str,
) -> list[dict[str, Any]]:
    """Given compounds and the most frequent co-occurrences found by the propagation."""
    fw = a.table.framework
    out = []
    given = set()
    for comp in stacking.compounds:
        members = [index[s] for s in comp.scenarios]
        given.add(tuple(sorted(members)))
        out.append(
            _compound(a, imp, ctab, members, comp, probability_of(fw, comp.likelihood), lang)
        )
    ranked = tally.sets.weighted(
        p_direct / max(tally.sets.samples, 1), top=FOUND_COMPOUNDS + len(given)
    )
    found = [(k, w) for k, w in ranked if k not in given]
    for key, w in found[:FOUND_COMPOUNDS]:
        out.append(_compound(a, imp, ctab, list(key), None, w, lang))
    return out


def _compound(
    a: Assessment,
    imp: mc.Impacts,
    ctab: NDArray[np.float64],
    members: list[int],
    comp: Compound | None,
    p: float,
    lang: str,
) -> dict[str, Any]:
    table, fw = a.table, a.table.framework
    classes = mc.chain_classes(imp, np.array(members))
    if ctab.shape[0] > 1:  # Evamix: against the others, as the first member would be
        score = float(mc.scores(ctab, classes[None], np.array([members[0]]))[0])
    else:
        score = float(mc.scores(ctab, classes[None], np.zeros(1, np.int64))[0])
    pos = float(_positions(a, np.array([score]))[0])
    ids = [table.scenarios[m].id for m in members]
    return {
        "id": comp.id if comp else "found:" + "+".join(ids),
        "title": comp.title if comp else " + ".join(table.scenarios[m].title for m in members),
        "given": comp is not None,
        "scenarios": ids,
        "probability": p,
        "x": _x(fw, p) if p > 0 else 0.5,
        "score": score,
        "position": pos,
        "reading": _reading(a, pos, lang),
        "classes": _classes(fw, table.criteria, classes),
    }


# ---------------------------------------------------------------- the regional roll-up


def check_regional_framework(
    national: Framework, regional: Framework, base: Path | None, ref: str | None = None
) -> None:
    """A regional framework may add criteria but must not change a national one; ``ref`` is
    the edition's framework reference (a file is then named, with the criterion's line)."""
    if regional.id == national.id:
        return
    from natrisk.io.workbook import read_raw
    from natrisk.services.frameworks import bundled_path, framework_file

    problems = []
    path = (framework_file(ref, base) if ref else None) or (
        bundled_path(regional.id) or framework_file(regional.id, base)
    )
    where: dict[tuple[Any, ...], str] = {}
    if path is not None:
        try:
            where = read_raw(path)[1]
        except WorkbookError:
            where = {}
    name = str(path) if path else regional.id
    for i, crit in enumerate(regional.criteria):
        mine = national.criterion(crit.id)
        if mine is None:
            continue
        changed = [
            f
            for f in ("interest", "type", "unit", "thresholds", "axes", "matrix")
            if getattr(mine, f) != getattr(crit, f)
        ]
        if any(
            (getattr(mine.name, lang) or "").strip().lower()
            != (getattr(crit.name, lang) or "").strip().lower()
            for lang in ("en", "nl")
        ):
            changed.insert(0, "name")
        if changed:
            msg = (
                f"redefines national criterion {crit.id} of {national.id} ({', '.join(changed)} "
                f"{'differs' if len(changed) == 1 else 'differ'}); a regional framework may add "
                "criteria but not change a national one"
            )
            problems.append(
                Problem(name, where.get(("criteria", i), ""), f"criteria.{crit.id}", msg)
            )
    if problems:
        raise WorkbookError(f"{name}: {len(problems)} problem(s)", problems)


@dataclass(frozen=True)
class RegionalEdition:
    """A regional edition ready for the roll-up: where it came from and its assessment."""

    path: str
    book: Workbook
    assessment: Assessment
    where: dict[tuple[Any, ...], str]
    ref: int | None = None  # the stored edition's id, when it came from the database


def rollup(
    national: Assessment, regions: list[RegionalEdition], lang: str = "en", strict: bool = True
) -> dict[str, Any]:
    """Per national scenario (or risk), the regions that assessed it and the national impact
    built from their events (docs/method.md §10.4); never a sum of the regions' scores.

    ``strict`` refuses a mapping to a national scenario or risk the edition lacks (files);
    otherwise such a mapping is left out (stored editions: it may be meant for another
    national edition, or name a scenario above the reader's clearance)."""
    fw = national.table.framework
    nat_ids = {s.id: i for i, s in enumerate(national.table.scenarios)}
    stacking = stacking_of(national.book)
    risks = {r.id: r for r in stacking.risks}
    problems: list[Problem] = []
    events: dict[str, list[tuple[int, RegionalEdition, int]]] = {}
    for k, reg in enumerate(regions):
        region = stacking_of(reg.book).region
        if region is None:
            msg = "a regional edition needs a 'region' section with its id, name and mapping"
            problems.append(Problem(reg.path, "", "region", msg))
            continue
        local = {s.id: i for i, s in enumerate(reg.assessment.table.scenarios)}
        for j, m in enumerate(region.mapping):
            target = m.national if m.national is not None else m.risk
            known = nat_ids if m.national is not None else risks
            if target not in known and not strict:
                continue
            if target not in known:
                what = "scenario" if m.national is not None else "risk"
                field_name = "national" if m.national is not None else "risk"
                place = reg.where.get(
                    ("region", "mapping", j, field_name),
                    reg.where.get(("region", "mapping", j), ""),
                )
                problems.append(
                    Problem(
                        reg.path,
                        ", ".join(p for p in (place, f"region {region.id}") if p),
                        f"mapping.{j}.{field_name}",
                        f"national {what} {target!r} is not in edition {national.book.edition.id}",
                    )
                )
                continue
            events.setdefault(str(target), []).append((k, reg, local[m.scenario]))
    if problems:
        raise WorkbookError(f"{len(problems)} problem(s) in the regional editions", problems)
    national_bounds = bounds_of(fw, national.table.criteria)
    weights = np.array([national.settings.weights[c] for c in national.table.criteria])
    cv = class_value_array(fw, national.settings)
    method = national.settings.method if national.settings.method != "evamix" else "weighted-sum"
    ctab = mc.contributions(method, weights, cv)
    rows = []
    for target, evs in events.items():
        rows.append(_rolled(national, target, evs, national_bounds, ctab, risks, nat_ids, lang))
    order = {s.id: i for i, s in enumerate(national.table.scenarios)}
    rows.sort(key=lambda r: (order.get(r["target"], len(order)), r["target"]))
    region_list = []
    for reg in regions:
        region = stacking_of(reg.book).region
        assert region is not None
        region_list.append(
            {
                "id": region.id,
                "name": region.name,
                "edition": reg.book.edition.id,
                "framework": reg.assessment.table.framework.id,
                **({"edition_id": reg.ref} if reg.ref is not None else {}),
            }
        )
    return {
        "edition": national.book.edition.id,
        "framework": fw.id,
        "method": method,
        "regions": region_list,
        "rows": rows,
    }


def _regional_quantities(
    national: Assessment, reg: RegionalEdition, s: int, bounds: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """One regional scenario on the national criteria: quantities and classes."""
    table = reg.assessment.table
    rfw = table.framework
    rbounds = bounds_of(rfw, table.criteria)
    crit_index = {c: j for j, c in enumerate(table.criteria)}
    n_c = len(national.table.criteria)
    qty, klass = np.zeros(n_c), np.zeros(n_c, dtype=np.int64)
    scen: Scenario = table.scenarios[s]
    for j, cid in enumerate(national.table.criteria):
        rj = crit_index.get(cid)
        if rj is None:
            continue
        klass[j] = int(table.point[s, rj])
        score = scen.impacts.get(cid)
        if score is not None and score.quantity is not None:
            r = score.quantity
            qty[j] = math.sqrt(r.min * r.max) if r.min > 0 else (r.min + r.max) / 2
        elif not np.isnan(rbounds[rj]).all():
            qty[j] = class_quantity(rbounds[rj], int(table.point[s, rj]))
    qty[np.isnan(bounds).all(axis=1)] = np.nan
    return qty, klass


def _rolled(
    national: Assessment,
    target: str,
    evs: list[tuple[int, RegionalEdition, int]],
    bounds: NDArray[np.float64],
    ctab: NDArray[np.float64],
    risks: dict[str, Any],
    nat_ids: dict[str, int],
    lang: str,
) -> dict[str, Any]:
    fw = national.table.framework
    criteria = national.table.criteria
    parts = [_regional_quantities(national, reg, s, bounds) for _, reg, s in evs]
    qty = np.stack([p[0] for p in parts])
    klass = np.stack([p[1] for p in parts])
    group = np.array([k for k, _, _ in evs], dtype=np.int64)
    imp = mc.Impacts(qty, klass, bounds, np.zeros(len(criteria), np.int64), group)
    classes = rollup_classes(imp)
    score = float(mc.scores(ctab, classes[None], np.zeros(1, np.int64))[0])
    assess_like = (
        replace(national.settings, method="weighted-sum")
        if ctab.shape[0] == 1
        else national.settings
    )
    pos = float(class_position(np.array([score]), class_value_array(fw, assess_like))[0])
    nat_s = nat_ids.get(target)
    if nat_s is None and target in risks:  # a risk: compare with its first listed variant
        nat_s = next((nat_ids[v] for v in risks[target].scenario_ids if v in nat_ids), None)
    p_regions = [
        probability_of(reg.assessment.table.framework, reg.assessment.table.scenarios[s].likelihood)
        for _, reg, s in evs
    ]
    regions = []
    for (_, reg, s), (q, k) in zip(evs, parts, strict=True):
        region = stacking_of(reg.book).region
        assert region is not None
        own = mc.Impacts(
            q[None], k[None], bounds, np.zeros(len(criteria), np.int64), np.zeros(1, np.int64)
        )
        own_cls = rollup_classes(own)
        nat_cls = national.table.point[nat_s] if nat_s is not None else None
        diffs = {}
        if nat_cls is not None:
            given = reg.assessment.table.scenarios[s].impacts
            for j, cid in enumerate(criteria):
                if cid in given and own_cls[j] != nat_cls[j]:
                    diffs[cid] = {
                        "region": fw.impact_classes.ids[int(own_cls[j])],
                        "national": fw.impact_classes.ids[int(nat_cls[j])],
                    }
        ra = reg.assessment
        rpos = float(ra.impact_position[s])
        regions.append(
            {
                "region": region.id,
                "name": region.name,
                "scenario": ra.table.scenarios[s].id,
                "title": ra.table.scenarios[s].title,
                "likelihood": ra.table.framework.likelihood.ids[int(ra.table.likelihood_point[s])],
                "score": float(ra.scores[s]),
                "position": rpos,
                "reading": ra.impact_reading(s, lang),
                "differences": diffs,
            }
        )
    p = max(p_regions) if p_regions else 0.0
    out: dict[str, Any] = {
        "target": target,
        "kind": "scenario" if target in nat_ids else "risk",
        "title": national.table.scenarios[nat_s].title if nat_s is not None else target,
        "regions": regions,
        "classes": _classes(fw, criteria, classes),
        "score": score,
        "position": pos,
        "reading": read_total(fw, pos, lang),
        "probability": p,
        "likelihood": fw.likelihood.ids[
            lik.class_of_probability(p, np.array([c.min for c in fw.likelihood.classes]))
        ],
    }
    if nat_s is not None:
        out["national"] = {
            "id": national.table.scenarios[nat_s].id,
            "score": float(national.scores[nat_s]),
            "position": float(national.impact_position[nat_s]),
            "reading": national.impact_reading(nat_s, lang),
            "classes": _classes(fw, criteria, national.table.point[nat_s]),
        }
    return out


def heat_rows(roll: dict[str, Any]) -> dict[str, Any]:
    """Regions x national scenarios: each cell the region's impact on the class scale."""
    regions = [r["id"] for r in roll["regions"]]
    cells = []
    for row in roll["rows"]:
        by = {r["region"]: r for r in row["regions"]}
        cells.append(
            {
                "target": row["target"],
                "title": row["title"],
                "cells": [by.get(reg) for reg in regions],
            }
        )
    return {"regions": roll["regions"], "rows": cells}


def open_regional(path: Path, national: Assessment) -> RegionalEdition:
    """A regional edition file, checked against the national framework and assessed with
    the national method."""
    from natrisk.io.workbook import read_raw
    from natrisk.services.edition import open_edition

    ed = open_edition(path)
    check_regional_framework(
        national.table.framework, ed.framework, Path(path).parent, ed.book.edition.framework
    )
    settings = resolve_settings(ed.framework, national.settings.method)
    where = read_raw(Path(path))[1]
    return RegionalEdition(str(path), ed.book, assess(ed.table, ed.book, settings), where)


# ---------------------------------------------------------------- the report's chapter


def says_how_threats_combine(book: Workbook) -> bool:
    """Whether a workbook has links, variants or compounds (its report gets the chapter)."""
    st = stacking_of(book)
    return bool(st.links or st.risks or st.compounds)


def chapter_of(
    a: Assessment, stacked: Stacked | None, roll: dict[str, Any] | None, lang: str
) -> dict[str, Any] | None:
    """The report's chapter on cascades and stacking, or None when there is nothing to say."""
    from natrisk.report.stacking import chapter

    if stacked is None and not (roll and roll["rows"]):
        return None
    if stacked is None:
        stacked = analyse(a, 1, 0, lang)
    return chapter(a.table.framework, a.settings.method, stacked.to_json(), roll, lang)


def file_chapter(
    a: Assessment, regions: list[Path], lang: str, samples: int, seed: int
) -> tuple[Stacked | None, dict[str, Any] | None, dict[str, Any] | None]:
    """Cascades, roll-up and chapter of an edition file and regional edition files."""
    stacked = analyse(a, samples, seed, lang) if says_how_threats_combine(a.book) else None
    roll = rollup(a, [open_regional(p, a) for p in regions], lang) if regions else None
    if roll is not None:
        roll["heat"] = heat_rows(roll)
    return stacked, roll, chapter_of(a, stacked, roll, lang)


def regional_files(paths: list[Path]) -> list[Path]:
    """Regional edition files: each path a file, or a folder of workbooks (sorted)."""
    from natrisk.errors import OptionError

    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(
                f for f in p.iterdir() if f.suffix.lower() in (".yaml", ".yml", ".json", ".xlsx")
            )
            if not found:
                raise OptionError(f"--regions: {p} holds no workbook (.yaml, .json or .xlsx)")
            out += found
        elif p.is_file():
            out.append(p)
        else:
            raise OptionError(f"--regions: {p} is neither a workbook file nor a folder")
    return out
