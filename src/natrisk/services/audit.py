"""The audit trail: append-only and hash-chained.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's own canonical
JSON, so editing or deleting any entry breaks every hash after it. ``prev_hash`` is unique
in the table, so two writers who read the same tail cannot both append: the second
transaction fails and is retried by its caller.

The head (last id and hash) is kept apart and signed with an HMAC whose key lives outside
the database (NATRISK_AUDIT_KEY, or a key file per database), so someone who can write the
database but not read that key cannot cut entries off the end and move the head back. A
rollback of the whole database to an older, validly signed state is caught by comparing
with a checkpoint exported earlier (``natrisk audit checkpoint``); see docs/shared-system.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from natrisk.errors import InputError
from natrisk.store.database import serialize_appends
from natrisk.store.models import AuditEntry, AuditHead, Instance

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
    signature = sign_head(session, entry.id, entry.hash)
    if head is None:
        session.add(AuditHead(id=1, last_id=entry.id, last_hash=entry.hash, signature=signature))
    else:
        head.last_id, head.last_hash, head.signature = entry.id, entry.hash, signature
    return entry


def key_file(session: Session) -> Path:
    """Where this database's audit key lives when NATRISK_AUDIT_KEY is not set."""
    configured = os.environ.get("NATRISK_AUDIT_KEY_FILE")
    if configured:
        return Path(configured)
    row = session.get(Instance, 1)
    uid = row.uid if row else "unknown"
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "natrisk" / f"audit-{uid}.key"


def audit_key(session: Session, create: bool = True) -> bytes | None:
    """The key that signs the head: NATRISK_AUDIT_KEY, or the key file (made on first use)."""
    value = os.environ.get("NATRISK_AUDIT_KEY")
    if value:
        return value.encode()
    path = key_file(session)
    if not path.exists():
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip().encode()


def sign_head(session: Session, last_id: int, last_hash: str) -> str:
    """The HMAC of a head."""
    key = audit_key(session)
    assert key is not None
    return hmac.new(key, f"{last_id}:{last_hash}".encode(), hashlib.sha256).hexdigest()


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
    problems.extend(_head_problems(session, count, last_id, prev))
    return count, problems


def _head_problems(
    session: Session, count: int, last_id: int, last_hash: str
) -> list[ChainProblem]:
    head = session.get(AuditHead, 1)
    if head is None:
        return [ChainProblem(last_id, "the chain's head record is missing")] if count else []
    if head.last_id != last_id or head.last_hash != last_hash:
        return [
            ChainProblem(
                last_id, f"the chain should end at entry {head.last_id}: entries were deleted"
            )
        ]
    key = audit_key(session, create=False)
    if key is None:
        return [
            ChainProblem(
                last_id,
                "the head's signature cannot be checked: no audit key here "
                "(set NATRISK_AUDIT_KEY or NATRISK_AUDIT_KEY_FILE as the server has it)",
            )
        ]
    expected = hmac.new(key, f"{head.last_id}:{head.last_hash}".encode(), hashlib.sha256)
    if not hmac.compare_digest(head.signature or "", expected.hexdigest()):
        return [
            ChainProblem(
                last_id,
                "the head's signature does not match: the end of the chain was changed "
                "(or the head was never signed: run 'natrisk audit checkpoint' once)",
            )
        ]
    return []


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head at a moment, kept outside the database."""

    instance: str
    last_id: int
    last_hash: str
    count: int
    at: str

    def to_json(self) -> str:
        """The checkpoint as a JSON document."""
        return json.dumps(self.__dict__, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        """Read a checkpoint written by ``to_json``; a clear error for anything else."""
        try:
            data = json.loads(text)
            return cls(
                str(data["instance"]),
                int(data["last_id"]),
                str(data["last_hash"]),
                int(data["count"]),
                str(data["at"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"not a natrisk audit checkpoint: {exc}") from exc


def checkpoint(session: Session) -> Checkpoint:
    """Check the chain, sign an unsigned head, and return the head as a checkpoint."""
    count, problems = verify(session)
    unsigned = [p for p in problems if "never signed" in p.message]
    head = session.get(AuditHead, 1)
    if unsigned and head is not None and len(problems) == 1 and not (head.signature or ""):
        head.signature = sign_head(session, head.last_id, head.last_hash)
        problems = []
    if problems:
        raise InputError(
            f"the audit trail is broken ({problems[0].message}); no checkpoint was written"
        )
    row = session.get(Instance, 1)
    return Checkpoint(
        instance=row.uid if row else "",
        last_id=head.last_id if head else 0,
        last_hash=head.last_hash if head else GENESIS,
        count=count,
        at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )


def against_checkpoint(session: Session, mark: Checkpoint) -> list[ChainProblem]:
    """What contradicts an earlier checkpoint: another database, or the chain cut or rewritten
    at or before the checkpointed entry."""
    row = session.get(Instance, 1)
    if row is not None and mark.instance and row.uid != mark.instance:
        return [ChainProblem(0, "the checkpoint belongs to another database")]
    if mark.last_id == 0:
        return []
    entry = session.get(AuditEntry, mark.last_id)
    if entry is None or entry.hash != mark.last_hash:
        return [
            ChainProblem(
                mark.last_id,
                f"entry {mark.last_id} of the checkpoint of {mark.at} is missing or changed: "
                "the chain was cut back or rewritten",
            )
        ]
    return []


def history(session: Session, key: str, clearance: int) -> list[AuditEntry]:
    """Entries for one key (e.g. a score), oldest first, only those the reader may see."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.key == key, AuditEntry.classification <= clearance)
        .order_by(AuditEntry.id)
    )
    return list(session.scalars(stmt))
