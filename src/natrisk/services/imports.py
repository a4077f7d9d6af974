"""Importing an uploaded workbook (the browser's /import and POST /api/editions/upload).

Every problem comes at once, in the order of the file: a bad cell, the schema and the
framework's checks (criteria, classes, themes, likelihoods) each add theirs, at their line or
sheet row. A workbook whose id exists in the organisation is imported under another id when
one is given; the message names a free one.
"""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from natrisk.domain.edition import EditionInfo, Workbook
from natrisk.errors import Conflict, Problem, WorkbookError, problem_count
from natrisk.io.workbook import Locate, in_reading_order, load_upload_located
from natrisk.services import workspace
from natrisk.services.access import Actor
from natrisk.services.framework_store import upload_problems
from natrisk.store.models import Edition


class IdTaken(Conflict):
    """The workbook's edition id is used in the organisation; ``free`` is one that is not."""

    def __init__(self, message: str, free: str) -> None:
        super().__init__(message)
        self.free = free


def read_upload(session: Session, data: bytes, name: str) -> tuple[Workbook, Locate]:
    """The uploaded workbook and its locator; every problem of the file raised at once."""
    try:
        return load_upload_located(data, name)
    except WorkbookError as exc:
        if isinstance(exc.partial, Workbook):  # the framework's findings on the valid part
            found = upload_problems(session, exc.partial, name)  # by id: no file opened
            exc.problems += exc.locate(found) if exc.locate else found
            exc.message = f"{name}: {problem_count(len(exc.problems))}"
        exc.problems = in_reading_order(exc.problems)
        raise


def import_upload(
    session: Session, actor: Actor, data: bytes, name: str, new_id: str = ""
) -> Edition:
    """Store an uploaded workbook as a new draft edition (under ``new_id`` when given)."""
    book, locate = read_upload(session, data, name)
    if new_id:
        book = _renamed(book, new_id, name)
    taken = _taken(session, actor, book.edition.id)
    if taken is not None:
        free = free_id(session, actor, book.edition.id)
        raise IdTaken(
            f"edition {book.edition.id!r} already exists in your organisation (id {taken}); "
            f"import it as a new edition under another id, such as {free!r}",
            free,
        )
    try:
        return workspace.import_workbook(session, None, book, actor, name=name, themes=True)
    except WorkbookError as exc:
        exc.problems = in_reading_order(locate(exc.problems))
        raise


def _renamed(book: Workbook, new_id: str, name: str) -> Workbook:
    """The workbook under another edition id (checked like any id)."""
    try:
        info = EditionInfo.model_validate(book.edition.model_dump(by_alias=True) | {"id": new_id})
    except ValidationError as exc:
        why = "; ".join(str(e["msg"]) for e in exc.errors())
        problem = Problem(name, "edition", "id", f"{new_id!r} cannot be an edition id: {why}")
        raise WorkbookError(f"{name}: {problem_count(1)}", [problem]) from exc
    return book.model_copy(update={"edition": info})


def _taken(session: Session, actor: Actor, slug: str) -> int | None:
    found = session.scalars(
        select(Edition.id).where(
            Edition.organisation_id == actor.organisation_id, Edition.slug == slug
        )
    ).first()
    return int(found) if found is not None else None


def free_id(session: Session, actor: Actor, slug: str) -> str:
    """The first of slug-2, slug-3, ... not yet used in the actor's organisation."""
    n = 2
    while _taken(session, actor, f"{slug[:95]}-{n}") is not None:
        n += 1
    return f"{slug[:95]}-{n}"
