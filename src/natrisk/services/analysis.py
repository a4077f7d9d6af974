"""The assessment a user sees of a stored edition, computed once per edition version.

Many readers ask for the same picture; a change bumps the edition's version. Results are
cached by (edition, version, clearance, method, profile) and computed by one request while
the others wait for it (single flight), so a burst of readers costs one computation.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict

from sqlalchemy.orm import Session

from natrisk.errors import InputError
from natrisk.method.aggregation import METHODS
from natrisk.services.access import Actor, edition_for
from natrisk.services.assessment import Assessment, assess, impact_bounds, resolve_settings
from natrisk.services.assessment_json import assessment_bytes
from natrisk.services.workspace import cache_scope, framework_of, table_view
from natrisk.store.models import Edition

_LOCK = threading.Lock()
_RESULTS: OrderedDict[tuple[object, ...], Assessment] = OrderedDict()
_JSON: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
_FLIGHTS: dict[tuple[object, ...], threading.Lock] = {}
CAPACITY = 64


def assessment_for(
    session: Session,
    actor: Actor,
    edition_id: int,
    method: str = "weighted-sum",
    profile: str | None = None,
) -> Assessment:
    """The deterministic assessment of what the actor may see of an edition."""
    edition, _ = edition_for(session, actor, edition_id)
    return assessment_of(session, actor, edition, method, profile)


def assessment_of(
    session: Session,
    actor: Actor,
    edition: Edition,
    method: str = "weighted-sum",
    profile: str | None = None,
) -> Assessment:
    """``assessment_for`` of an edition the caller has checked access to already."""
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; choose {', '.join(METHODS)}")
    scope = cache_scope(session)
    if scope is None:  # this transaction has written: compute, do not cache
        book, table = table_view(session, edition, actor.clearance)
        return assess(
            table, book, resolve_settings(framework_of(session, edition), method, profile)
        )
    key = (scope, edition.id, edition.version, actor.clearance, method, profile)
    with _LOCK:
        hit = _RESULTS.get(key)
        if hit is not None:
            _RESULTS.move_to_end(key)
            return hit
        flight = _FLIGHTS.setdefault(key, threading.Lock())
    with flight:
        with _LOCK:
            hit = _RESULTS.get(key)
        if hit is not None:
            return hit
        book, table = table_view(session, edition, actor.clearance)
        result = assess(
            table, book, resolve_settings(framework_of(session, edition), method, profile)
        )
        with _LOCK:
            _RESULTS[key] = result
            _FLIGHTS.pop(key, None)
            while len(_RESULTS) > CAPACITY:
                _RESULTS.popitem(last=False)
        return result


def assessment_json(
    session: Session,
    actor: Actor,
    edition_id: int,
    method: str = "weighted-sum",
    profile: str | None = None,
) -> bytes:
    """The assessment as JSON bytes, serialised once per edition version and view."""
    edition, _ = edition_for(session, actor, edition_id)
    return json_of(session, actor, edition, method, profile)


def json_of(
    session: Session,
    actor: Actor,
    edition: Edition,
    method: str = "weighted-sum",
    profile: str | None = None,
) -> bytes:
    """``assessment_json`` of an edition the caller has checked access to already."""
    result = assessment_of(session, actor, edition, method, profile)
    key = (cache_scope(session), edition.id, edition.version, actor.clearance, method, profile)
    if key[0] is None:
        return assessment_bytes(result)
    with _LOCK:
        hit = _JSON.get(key)
        if hit is not None:
            return hit
        flight = _FLIGHTS.setdefault(("json", *key), threading.Lock())
    with flight:  # one request serialises, the others wait for its bytes
        with _LOCK:
            hit = _JSON.get(key)
        if hit is None:
            hit = assessment_bytes(result)
            with _LOCK:
                _JSON[key] = hit
                _FLIGHTS.pop(("json", *key), None)
                while len(_JSON) > CAPACITY:
                    _JSON.popitem(last=False)
    return hit


def picture_json(
    session: Session,
    actor: Actor,
    edition_id: int,
    method: str = "weighted-sum",
    profile: str | None = None,
) -> bytes:
    """The compact risk picture as JSON bytes: per scenario only what the diagram draws."""
    edition, _ = edition_for(session, actor, edition_id)
    return picture_of(session, actor, edition, method, profile)


def picture_of(
    session: Session,
    actor: Actor,
    edition: Edition,
    method: str = "weighted-sum",
    profile: str | None = None,
) -> bytes:
    """``picture_json`` of an edition the caller has checked access to already."""
    result = assessment_of(session, actor, edition, method, profile)
    t = result.table
    fw = t.framework
    low, high = impact_bounds(result)
    ids = t.scenario_ids
    order = sorted(range(len(ids)), key=lambda s: (int(result.ranks[s]), ids[s]))
    numbers = {s: place for place, s in enumerate(order, start=1)}
    mid = result.impact_position
    rows = [
        {
            "id": scen.id,
            "n": numbers[s],
            "title": scen.title,
            "theme": scen.theme,
            "likelihood": round(float(t.likelihood_pos[s][0]), 4),
            "impact": round(float(mid[s]), 4),
            "bars": {
                "likelihood": [
                    round(float(t.likelihood_pos[s][1]), 4),
                    round(float(t.likelihood_pos[s][2]), 4),
                ],
                "impact": [round(float(low[s]), 4), round(float(high[s]), 4)],
            },
        }
        for s, scen in enumerate(t.scenarios)
    ]
    data = {
        "edition": edition.id,
        "version": edition.version,
        "method": result.settings.method,
        "profile": result.settings.profile,
        "likelihood_classes": list(fw.likelihood.ids),
        "impact_classes": list(fw.impact_classes.ids),
        "scenarios": rows,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
