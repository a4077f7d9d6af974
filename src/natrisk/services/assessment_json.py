"""An assessment as JSON bytes, built from pieces kept per scenario content.

A change to one score makes a new edition version, and every reader then needs the whole
assessment again. Serialising 500 scenarios from scratch (``Assessment.to_json`` and
``json.dumps``) costs tens of milliseconds; most rows have not changed. Each row is three
pieces: what the scenario is (id, title, theme), what it was scored (classes, ranges,
interests, likelihood) and where the method placed it (score, position, reading, rank,
dominance). The first two are kept per content, so a new version re-serialises only the
third, which is a few numbers. The bytes equal ``json.dumps(result.to_json(),
ensure_ascii=False)``; tests hold the two equal.
"""

from __future__ import annotations

import json
import math
import threading
from typing import Any

import numpy as np

from natrisk.method.scale import reading
from natrisk.services.assessment import Assessment, read_total

_LOCK = threading.Lock()
_PIECES: dict[tuple[object, ...], dict[object, str]] = {}  # per framework shape
LIMIT = 50_000  # pieces per shape before the store starts over (scenarios x variants seen)


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _number(x: float) -> str:
    # json.dumps writes a finite float as its repr; only infinities and NaN need it
    return repr(x) if math.isfinite(x) else _dumps(x)


def _inner(mapping: dict[str, Any]) -> str:
    """A JSON object's members without the braces, as json.dumps writes them."""
    return _dumps(mapping)[1:-1]


def assessment_bytes(result: Assessment) -> bytes:
    """``result.to_json()`` as JSON bytes (UTF-8), from cached pieces where possible."""
    t = result.table
    fw = t.framework
    ids, lik_ids, criteria = t.class_ids, fw.likelihood.ids, list(t.criteria)
    interests = [i.id for i in fw.interests]
    shape = (tuple(ids), tuple(lik_ids), tuple(criteria), tuple(interests))
    with _LOCK:
        pieces = _PIECES.setdefault(shape, {})
        if len(pieces) > LIMIT:
            pieces.clear()
    lik = np.stack([t.likelihood_point, t.likelihood_low, t.likelihood_high], axis=1)
    scored = np.concatenate([t.point, t.low, t.high, lik, result.interest_classes], axis=1)
    scored = np.ascontiguousarray(scored, dtype=np.int32)
    positions = result.impact_position.tolist()
    scores, ranks = result.scores.tolist(), result.ranks.tolist()
    dominant = result.dominant.tolist()
    evamix = result.settings.method == "evamix"
    readings: dict[tuple[int, int], str] = {}
    rows = []
    for s, scen in enumerate(t.scenarios):
        head_key = ("head", scen.id, scen.title, scen.theme, scen.malicious)
        head = pieces.get(head_key)
        if head is None:
            head = _inner(
                {
                    "id": scen.id,
                    "title": scen.title,
                    "theme": scen.theme,
                    "malicious": scen.malicious,
                }
            )
            pieces[head_key] = head
        body_key = ("body", scen.id, scored[s].tobytes())
        body = pieces.get(body_key)
        if body is None:
            body = _scored(result, s, ids, lik_ids, criteria)
            pieces[body_key] = body
        position = positions[s]
        pair = (0, 0) if evamix else reading(position)
        words = readings.get(pair)
        if words is None:
            words = readings[pair] = _dumps("" if evamix else read_total(fw, position))
        rows.append(
            f'{{{head}, "impact_score": {_number(scores[s])}, '
            f'"impact_class_position": {_number(round(position, 4))}, '
            f'"impact_reading": {words}, "rank": {ranks[s]}, {body}, '
            f'"dominant": {"true" if dominant[s] else "false"}}}'
        )
    whole = result.to_json_header()
    text = _dumps(whole)[:-1] + ', "scenarios": [' + ", ".join(rows) + "]}"
    return text.encode("utf-8")


def _scored(
    result: Assessment, s: int, ids: list[str], lik_ids: list[str], criteria: list[str]
) -> str:
    """The members of a row that follow from the scores alone (as ``to_json`` writes them)."""
    t = result.table
    lo, hi = t.likelihood_low[s], t.likelihood_high[s]
    return _inner(
        {
            "likelihood": lik_ids[t.likelihood_point[s]],
            "likelihood_range": lik_ids[lo] if lo == hi else f"{lik_ids[lo]}-{lik_ids[hi]}",
            "criteria": {c: ids[t.point[s, j]] for j, c in enumerate(criteria)},
            "criteria_range": {
                c: ids[t.low[s, j]]
                if t.low[s, j] == t.high[s, j]
                else f"{ids[t.low[s, j]]}-{ids[t.high[s, j]]}"
                for j, c in enumerate(criteria)
            },
            "interests": {
                i.id: ids[result.interest_classes[s, k]]
                for k, i in enumerate(t.framework.interests)
            },
        }
    )
