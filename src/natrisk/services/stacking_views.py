"""How threats combine in a stored edition, as one reader may see it.

The cascades of an edition are computed on the reader's view (links, variants and compounds
naming a scenario above their clearance are gone before anything is computed, and so is
their contribution) and cached per edition version, clearance and settings. Only the number
of links left out is told ("n links not shown").

The roll-up into a national edition takes the stored regional editions the reader may see
whose workbook has a ``region`` section mapping at least one of its scenarios to a scenario
or risk of the national edition that the reader sees (docs/web.md, "Stacking threats").
A regional edition whose framework changes a national criterion is left out and named.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from natrisk.domain.stacking import stacking_of
from natrisk.errors import InputError, WorkbookError
from natrisk.services.access import Actor, NotFound, edition_for, visible_editions
from natrisk.services.analysis import assessment_for
from natrisk.services.assessment import Assessment
from natrisk.services.sensitivity import REQUEST_SAMPLES
from natrisk.services.stacking import (
    RegionalEdition,
    Stacked,
    analyse,
    check_regional_framework,
    heat_rows,
    rollup,
    says_how_threats_combine,
)
from natrisk.services.workspace import cache_scope, framework_of
from natrisk.store.models import Edition, ScenarioRecord

DEFAULT_SAMPLES = 5000
CAPACITY = 32
_LOCK = threading.Lock()
_CASCADES: OrderedDict[tuple[Any, ...], Stacked] = OrderedDict()
_FLIGHTS: dict[tuple[Any, ...], threading.Lock] = {}


def check_samples(samples: int) -> None:
    """A request computes at most REQUEST_SAMPLES cascade samples, at once."""
    if samples < 1:
        raise InputError(f"samples: at least 1 (you asked {samples:,})")
    if samples > REQUEST_SAMPLES:
        raise InputError(
            f"samples: at most {REQUEST_SAMPLES:,} in one request (you asked {samples:,}); "
            "for more, run `natrisk cascades FILE --samples N` on the exported workbook"
        )


def hidden_links(session: Session, edition: Edition, book: Any) -> int:
    """How many stored links of the edition's scenarios in the picture the reader cannot see
    (a withdrawn scenario's links are out of the picture for everyone, and not counted)."""
    stored = (edition.extra or {}).get("workbook", {}).get("links")
    if not isinstance(stored, list):
        return 0
    active = set(
        session.scalars(
            select(ScenarioRecord.slug).where(
                ScenarioRecord.edition_id == edition.id, ScenarioRecord.withdrawn.is_(False)
            )
        )
    )
    in_picture = [
        lk
        for lk in stored
        if isinstance(lk, dict) and lk.get("from") in active and lk.get("to") in active
    ]
    return max(0, len(in_picture) - len(stacking_of(book).links))


def cascades_for(
    session: Session,
    actor: Actor,
    edition_id: int,
    method: str = "weighted-sum",
    profile: str | None = None,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    lang: str = "en",
) -> Stacked:
    """Variants, cascades and compounds of what the actor may see of an edition."""
    check_samples(samples)
    a = assessment_for(session, actor, edition_id, method, profile)
    edition, _ = edition_for(session, actor, edition_id)
    scope = cache_scope(session)
    key = (
        scope,
        edition.id,
        edition.version,
        actor.clearance,
        method,
        profile,
        samples,
        seed,
        lang,
    )
    hidden = hidden_links(session, edition, a.book)
    if scope is None:  # this transaction has written: compute, do not cache
        return analyse(a, samples, seed, lang, hidden_links=hidden)
    with _LOCK:
        hit = _CASCADES.get(key)
        if hit is not None:
            _CASCADES.move_to_end(key)
            return hit
        flight = _FLIGHTS.setdefault(key, threading.Lock())
    with flight:  # one request computes, the others of a burst wait for its result
        with _LOCK:
            hit = _CASCADES.get(key)
        if hit is not None:
            return hit
        result = analyse(a, samples, seed, lang, hidden_links=hidden)
        with _LOCK:
            _CASCADES[key] = result
            _FLIGHTS.pop(key, None)
            while len(_CASCADES) > CAPACITY:
                _CASCADES.popitem(last=False)
        return result


def regional_editions(
    session: Session, actor: Actor, national_id: int, national: Assessment
) -> tuple[list[RegionalEdition], list[dict[str, Any]]]:
    """The stored regional editions that roll up into a national one, and those left out."""
    targets = {s.id for s in national.table.scenarios}
    targets |= {r.id for r in stacking_of(national.book).risks}
    national_fw = national.table.framework
    chosen, left_out = [], []
    for edition, _ in visible_editions(session, actor):
        region = (edition.extra or {}).get("workbook", {}).get("region")
        if edition.id == national_id or not isinstance(region, dict):
            continue
        try:
            a = assessment_for(session, actor, edition.id, national.settings.method)
        except NotFound:  # none of its scenarios visible: absent, like an edition not shown
            continue
        mapping = stacking_of(a.book).region
        if mapping is None or not any(m.target in targets for m in mapping.mapping):
            continue
        try:
            check_regional_framework(national_fw, framework_of(session, edition), None)
        except WorkbookError as exc:
            left_out.append(
                {
                    "edition_id": edition.id,
                    "edition": edition.slug,
                    "reason": "; ".join(p.message for p in exc.problems) or exc.message,
                }
            )
            continue
        chosen.append(RegionalEdition(f"edition {edition.id}", a.book, a, {}, edition.id))
    return chosen, left_out


def rollup_for(
    session: Session,
    actor: Actor,
    edition_id: int,
    method: str = "weighted-sum",
    lang: str = "en",
) -> dict[str, Any]:
    """The roll-up of the stored regional editions into one national edition, with the
    regions x scenarios heat map."""
    national = assessment_for(session, actor, edition_id, method)
    regions, left_out = regional_editions(session, actor, edition_id, national)
    result = rollup(national, regions, lang, strict=False)
    result["heat"] = heat_rows(result)
    result["left_out"] = left_out
    result["rule"] = (
        "regional editions you may see whose 'region' section maps at least one scenario to "
        "a scenario or risk of this edition"
    )
    return result


def report_parts(
    session: Session, actor: Actor, edition_id: int, method: str, lang: str
) -> tuple[Stacked | None, dict[str, Any] | None]:
    """The cascades (when the edition has links, variants or compounds) and the roll-up (when
    regional editions roll up into it) that the report's chapter shows."""
    a = assessment_for(session, actor, edition_id, method)
    stacked = None
    if says_how_threats_combine(a.book):
        stacked = cascades_for(session, actor, edition_id, method, None, DEFAULT_SAMPLES, 0, lang)
    roll = rollup_for(session, actor, edition_id, method, lang)
    return stacked, roll if roll["rows"] else None
