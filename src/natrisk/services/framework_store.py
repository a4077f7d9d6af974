"""Frameworks in the shared database, and the framework a workbook names.

A workbook uploaded to the server (API or browser) names its framework by id: a bundled
one (natrisk/frameworks) or one an administrator stored in the database. The server never
opens a file that an upload names, so whatever an upload gives that is not such an id gets
one and the same answer. A path works only on the command line, where the files are the
local user's own (``named_framework`` with a base folder).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from natrisk.domain.edition import Workbook
from natrisk.domain.framework import Framework
from natrisk.errors import FrameworkError, Problem, WorkbookError
from natrisk.frameworks import bundled_ids
from natrisk.io.workbook import read_document
from natrisk.services import audit
from natrisk.services.access import Actor, Conflict, Forbidden
from natrisk.services.frameworks import (
    framework_file,
    framework_problem,
    load_framework,
    parse_framework,
)
from natrisk.store.models import FrameworkRecord

# a framework id (as Framework.id) that fits the table's column; anything else is no id
FRAMEWORK_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
_LOCK = threading.Lock()
_PARSED: dict[str, Framework] = {}  # by content hash: a stored framework never changes


def parsed(record: FrameworkRecord) -> Framework:
    """A stored framework as the model (parsed once per content hash)."""
    with _LOCK:
        fw = _PARSED.get(record.sha256)
    if fw is None:
        fw = Framework.model_validate(record.document)
        with _LOCK:
            _PARSED[record.sha256] = fw
    return fw


def store_framework(session: Session, fw: Framework) -> FrameworkRecord:
    """Keep the exact framework an edition was assessed on (by id; a changed file is refused)."""
    document = fw.model_dump(mode="json")
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    record = session.get(FrameworkRecord, fw.id)
    if record is None:
        record = FrameworkRecord(id=fw.id, name=fw.name.en, document=document, sha256=digest)
        session.add(record)
    elif record.sha256 != digest:
        raise WorkbookError(f"framework {fw.id} differs from the one stored under that id", [])
    return record


def require_admin(actor: Actor) -> None:
    """Frameworks are managed by administrators."""
    if not actor.is_admin:
        raise Forbidden("only administrators manage frameworks")


def framework_ids(session: Session) -> list[dict[str, str]]:
    """Every framework an upload may name: the bundled ones, then those stored."""
    out = [
        {"id": fid, "name": load_framework(fid).name.en, "source": "bundled"}
        for fid in bundled_ids()
    ]
    bundled = set(bundled_ids())
    for record in session.scalars(select(FrameworkRecord).order_by(FrameworkRecord.id)):
        if record.id not in bundled:
            out.append({"id": record.id, "name": record.name, "source": "stored"})
    return out


def by_id(session: Session, ref: str) -> Framework | None:
    """A bundled or stored framework by id; None for anything else (no file is opened)."""
    if not FRAMEWORK_ID.fullmatch(ref):
        return None
    if ref in bundled_ids():
        return load_framework(ref)
    record = session.get(FrameworkRecord, ref)
    return parsed(record) if record is not None else None


def named_framework(session: Session, ref: str, base_dir: Path | None = None) -> Framework:
    """The framework a workbook names: an id, or, only given ``base_dir`` (the command
    line), a framework file by a path relative to it."""
    if base_dir is not None and ref not in bundled_ids() and framework_file(ref, base_dir):
        return load_framework(ref, base_dir)
    found = by_id(session, ref)
    if found is not None:
        return found
    ids = ", ".join(f["id"] for f in framework_ids(session))
    if base_dir is not None:
        raise FrameworkError(
            f"unknown framework {ref!r}: neither a framework id ({ids}) "
            "nor a framework file (.yaml/.json)"
        )
    # the same words whatever was given: an upload learns nothing of the server's files
    raise FrameworkError(
        f"edition.framework must be the id of a framework on this server: {ids}. "
        "A file path works only on the command line (natrisk db import); an administrator "
        "stores a new framework with POST /api/frameworks or natrisk db add-framework."
    )


def upload_problems(session: Session, book: Workbook, name: str) -> list[Problem]:
    """The framework's findings on the valid part of an invalid uploaded workbook."""
    from natrisk.services.scoring import resolve

    try:
        resolve(book, named_framework(session, book.edition.framework), name, themes=True)
    except FrameworkError as exc:
        return [framework_problem(name, exc)]
    except WorkbookError as exc:
        return exc.problems
    return []


def add_framework(
    session: Session, actor: Actor, data: bytes, name: str, as_json: bool = False
) -> FrameworkRecord:
    """Store a framework document, YAML or JSON (administrators), so that uploads may name
    it by id.

    A stored framework is never changed, since editions were assessed on it: a changed
    yardstick gets a new id.
    """
    require_admin(actor)
    raw, where = read_document(data, name, as_json)
    fw = parse_framework(raw, where, name)
    if fw.id in bundled_ids() or session.get(FrameworkRecord, fw.id) is not None:
        raise Conflict(
            f"framework {fw.id} exists already, and a stored framework never changes; "
            "give a changed framework a new id"
        )
    record = store_framework(session, fw)
    session.flush()
    audit.record(
        session,
        actor.username,
        "framework",
        f"framework:{fw.id}",
        None,
        {"id": fw.id, "name": record.name, "sha256": record.sha256},
        "stored",
    )
    return record
