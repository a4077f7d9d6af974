"""Proposed clusters of signals, computed once per state of the signals a reader may see.

Clustering 20,000 signals takes seconds, so the cluster numbers are kept in this process,
keyed on the database, the edition and its version, the reader's clearance, the distance and
a stamp of the undismissed signals at or below that clearance (their number, highest row id,
sum of row versions and last change): any change to one of them (a new signal, an edit, a
lifecycle step, a cluster move) changes the stamp. Two readers share a result only when they
have the same clearance, so no one's proposals name a signal above another's clearance.

A computation runs in a thread of its own, once per key (a burst of requests waits for the
one run); a page waits a moment for it and otherwise tells how far it has come.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from natrisk.errors import Conflict
from natrisk.method import similarity
from natrisk.services.access import Actor
from natrisk.services.workspace import cache_scope
from natrisk.store.models import Edition, SignalRecord

CAPACITY = 16
_LOCK = threading.Lock()
_DONE: OrderedDict[tuple[Any, ...], tuple[tuple[int, ...], list[int]]] = OrderedDict()
_RUNNING: dict[tuple[Any, ...], _Run] = {}


@dataclass
class _Run:
    ids: tuple[int, ...]
    finished: threading.Event = field(default_factory=threading.Event)
    share: float = 0.0
    error: BaseException | None = None


@dataclass(frozen=True)
class Labels:
    """Cluster numbers in the order of ``ids``; ``labels`` is None while still computing."""

    ids: tuple[int, ...]
    labels: list[int] | None
    share: float = 1.0


def stamp(session: Session, actor: Actor, edition: Edition) -> tuple[Any, ...]:
    """What changes whenever an undismissed signal the actor may see changes."""
    row = session.execute(
        select(
            func.count(SignalRecord.id),
            func.max(SignalRecord.id),
            func.sum(SignalRecord.version),
            func.max(SignalRecord.updated_at),
        ).where(
            SignalRecord.edition_id == edition.id,
            SignalRecord.classification <= actor.clearance,
            SignalRecord.status != "dismissed",
        )
    ).one()
    return tuple(str(x) for x in row)


def labels_for(
    session: Session,
    actor: Actor,
    edition: Edition,
    row_ids: Sequence[int],
    texts: Callable[[], list[str]],
    distance: float,
    wait: float | None,
) -> Labels:
    """The cluster numbers of the signals ``row_ids``, whose texts ``texts()`` reads (only
    when they must be computed); wait at most ``wait`` seconds (None: until done)."""
    ids = tuple(row_ids)
    scope = cache_scope(session)
    if scope is None:  # this transaction has written: compute, do not keep
        return Labels(ids, similarity.clusters(texts(), distance).tolist())
    key = (scope, edition.id, edition.version, actor.clearance, distance,
           stamp(session, actor, edition))  # fmt: skip
    with _LOCK:
        done = _DONE.get(key)
        if done is not None and done[0] == ids:
            _DONE.move_to_end(key)
            return Labels(ids, done[1])
        run = _RUNNING.get(key)
        start = run is None or run.ids != ids
    if start:  # read the texts outside the lock; a burst may read them twice, runs once
        words = texts()
        if len(words) != len(ids):
            raise Conflict("the signals changed while they were read; reload to see the proposals")
        with _LOCK:
            run = _RUNNING.get(key)
            if run is None or run.ids != ids:
                run = _Run(ids)
                _RUNNING[key] = run
                threading.Thread(
                    target=_compute, args=(key, run, words, distance), daemon=True
                ).start()
    assert run is not None
    if not run.finished.wait(wait):
        return Labels(ids, None, run.share)
    if run.error is not None:
        raise run.error
    with _LOCK:
        done = _DONE.get(key)
    if done is None or done[0] != ids:
        return Labels(ids, None, run.share)
    return Labels(ids, done[1])


def _compute(key: tuple[Any, ...], run: _Run, texts: list[str], distance: float) -> None:
    def progress(share: float) -> None:
        run.share = share

    try:
        labels = similarity.clusters(texts, distance, progress).tolist()
        with _LOCK:
            _DONE[key] = (run.ids, labels)
            while len(_DONE) > CAPACITY:
                _DONE.popitem(last=False)
    except BaseException as exc:  # handed to the waiting request, which reports it
        run.error = exc
    finally:
        with _LOCK:
            if _RUNNING.get(key) is run:
                del _RUNNING[key]
        run.finished.set()


def forget() -> None:
    """Drop every kept result (tests and benchmarks measure a first visit with it)."""
    with _LOCK:
        _DONE.clear()
