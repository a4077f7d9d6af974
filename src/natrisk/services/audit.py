"""The audit trail: append-only and hash-chained.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's own canonical
JSON, so editing or deleting any entry breaks every hash after it. ``prev_hash`` is unique
in the table, so two writers who read the same tail cannot both append: the second
transaction fails and is retried by its caller.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from natrisk.store.database import serialize_appends
from natrisk.store.models import AuditEntry, AuditHead

GENESIS = "0" * 64


def _digest(prev: str, entry: AuditEntry) -> str:
    body = {
        "at": entry.at,
        "actor": entry.actor,
        "edition": entry.edition_id,
        "entity": entry.entity,
        "key": entry.key,
        "classification": entry.classification,
        "old": entry.old,
        "new": entry.new,
        "reason": entry.reason,
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256((prev + text).encode("utf-8")).hexdigest()


def record(
    session: Session,
    actor: str,
    entity: str,
    key: str,
    old: Any,
    new: Any,
    reason: str = "",
    edition_id: int | None = None,
    classification: int = 0,
) -> AuditEntry:
    """Append one entry after the current tail (inside the caller's transaction)."""
    serialize_appends(session)
    tail = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()
    prev = tail.hash if tail else GENESIS
    entry = AuditEntry(
        at=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        actor=actor,
        edition_id=edition_id,
        entity=entity,
        key=key,
        classification=classification,
        old=old,
        new=new,
        reason=reason,
        prev_hash=prev,
    )
    entry.hash = _digest(prev, entry)
    session.add(entry)
    session.flush()
    head = session.get(AuditHead, 1)
    if head is None:
        session.add(AuditHead(id=1, last_id=entry.id, last_hash=entry.hash))
    else:
        head.last_id, head.last_hash = entry.id, entry.hash
    return entry


@dataclass(frozen=True)
class ChainProblem:
    """Where the chain breaks."""

    entry_id: int
    message: str


def verify(session: Session) -> tuple[int, list[ChainProblem]]:
    """Walk the whole chain; return the number of entries and every break found."""
    prev = GENESIS
    problems: list[ChainProblem] = []
    count = 0
    last_id = 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        count += 1
        if entry.prev_hash != prev:
            problems.append(
                ChainProblem(entry.id, "does not follow the previous entry (deleted or reordered)")
            )
        if _digest(entry.prev_hash, entry) != entry.hash:
            problems.append(ChainProblem(entry.id, "content does not match its hash (edited)"))
        prev = entry.hash
        last_id = entry.id
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_id != last_id or head.last_hash != prev):
        problems.append(
            ChainProblem(
                last_id, f"the chain should end at entry {head.last_id}: entries were deleted"
            )
        )
    if head is None and count:
        problems.append(ChainProblem(last_id, "the chain's head record is missing"))
    return count, problems


def history(session: Session, key: str, clearance: int) -> list[AuditEntry]:
    """Entries for one key (e.g. a score), oldest first, only those the reader may see."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.key == key, AuditEntry.classification <= clearance)
        .order_by(AuditEntry.id)
    )
    return list(session.scalars(stmt))
