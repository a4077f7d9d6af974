"""Horizon scanning: what changed between two scans, and which scenarios signals touch.

Both work on plain signal states (status, strength, direction, linked scenarios), so the
threat picture, the API and the tests read the same results.

- **Changes** (docs/method.md §11.2). Against the previous scan a signal is *new* (not seen
  before), *escalated* (it became escalated, or its strength rose), *faded* (gone, dismissed,
  weaker, de-escalated, or turned falling) or *absorbed* (taken up into a scenario). A scan
  compared with itself has no changes.
- **Re-assessment flags** (§11.3). Only signals an analyst judged and kept open (assessed,
  watch, escalated) count. A scenario is flagged when at least one escalated signal, at
  least one strong rising signal, or at least two rising signals of moderate or greater
  strength bear on it. Each rule counts signals, so removing or dismissing a signal can
  never raise a flag.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

STRENGTH_RANK = {"weak": 1, "moderate": 2, "strong": 3}
OPEN = frozenset({"assessed", "watch", "escalated"})
GONE = frozenset({"dismissed"})


@dataclass(frozen=True)
class State:
    """What a scan knows of one signal."""

    status: str
    strength: str | None = None
    direction: str | None = None
    scenarios: tuple[str, ...] = ()


@dataclass
class Changes:
    """Signal ids per kind of change, each list sorted."""

    new: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    faded: list[str] = field(default_factory=list)
    absorbed: list[str] = field(default_factory=list)

    def empty(self) -> bool:
        """Whether nothing changed."""
        return not (self.new or self.escalated or self.faded or self.absorbed)


def _rank(state: State) -> int:
    return STRENGTH_RANK.get(state.strength or "", 0)


def _faded(before: State, now: State) -> bool:
    return (
        now.status in GONE
        or _rank(now) < _rank(before)
        or (before.status == "escalated" and now.status in {"watch", "assessed"})
        or (now.direction == "falling" and before.direction != "falling")
    )


def _escalated(before: State, now: State) -> bool:
    return (now.status == "escalated" and before.status != "escalated") or _rank(now) > _rank(
        before
    )


def changes(
    previous: Mapping[str, State],
    current: Mapping[str, State],
    latest: Mapping[str, State] | None = None,
) -> Changes:
    """How ``current`` differs from ``previous`` (both: signal id -> state).

    A signal of the previous scan that the current one no longer gathers (it was closed) is
    *absorbed* when ``latest`` (its state now) says so, and *faded* otherwise."""
    out = Changes()
    for sid, now in current.items():
        before = previous.get(sid)
        if before is None:
            if now.status not in GONE:
                out.new.append(sid)
        elif before.status in GONE:
            continue  # already gone in the previous scan
        elif now.status == "absorbed" and before.status != "absorbed":
            out.absorbed.append(sid)
        elif _escalated(before, now):
            out.escalated.append(sid)
        elif _faded(before, now):
            out.faded.append(sid)
    for sid, before in previous.items():
        if sid in current or before.status in GONE | {"absorbed"}:
            continue
        last = (latest or {}).get(sid)
        (out.absorbed if last is not None and last.status == "absorbed" else out.faded).append(sid)
    for kind in (out.new, out.escalated, out.faded, out.absorbed):
        kind.sort()
    return out


@dataclass(frozen=True)
class Flag:
    """Why a scenario should be re-assessed: signal counts by (strength, direction), and
    how many of them are escalated; ``signals`` lists their ids."""

    counts: tuple[tuple[str, str, int], ...]
    escalated: int
    signals: tuple[str, ...]


def _flagged(states: list[tuple[str, State]]) -> bool:
    if any(s.status == "escalated" for _, s in states):
        return True
    rising = [s for _, s in states if s.direction == "rising"]
    return any(s.strength == "strong" for s in rising) or sum(_rank(s) >= 2 for s in rising) >= 2


def reassessment_flags(
    signals: Iterable[tuple[str, State]], scenarios: Iterable[str]
) -> dict[str, Flag]:
    """The scenarios (of those given) that the open, judged signals flag, with the reason."""
    known = set(scenarios)
    bearing: dict[str, list[tuple[str, State]]] = {}
    for sid, state in signals:
        if state.status not in OPEN or state.strength is None:
            continue
        for scen in state.scenarios:
            if scen in known:
                bearing.setdefault(scen, []).append((sid, state))
    out: dict[str, Flag] = {}
    for scen, states in sorted(bearing.items()):
        if not _flagged(states):
            continue
        count = Counter((s.strength or "", s.direction or "") for _, s in states)
        order = sorted(count.items(), key=lambda kv: (-STRENGTH_RANK[kv[0][0]], kv[0][1]))
        out[scen] = Flag(
            counts=tuple((st, di, n) for (st, di), n in order),
            escalated=sum(s.status == "escalated" for _, s in states),
            signals=tuple(sorted(sid for sid, _ in states)),
        )
    return out
