"""Editions, scenarios, scores, the workflow, expert judgements and comments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from pydantic import BaseModel, Field

from natrisk.api.conditional import edition_tag, send
from natrisk.api.deps import ActorDep, Id, SessionDep
from natrisk.api.downloads import attachment
from natrisk.api.versions import IfMatch, sent_version
from natrisk.errors import InputError
from natrisk.io.workbook import dump_workbook, parse_workbook
from natrisk.security import level_name
from natrisk.services import comment_threads, editing, imports, review, workspace
from natrisk.services.access import (
    Actor,
    edition_for,
    require_import,
    scenario_for,
    visible_editions,
)
from natrisk.services.diff import diff_editions
from natrisk.store.models import Edition, ScenarioRecord, User

router = APIRouter(prefix="/api/editions", tags=["editions"])


class Transition(BaseModel):
    to: str = Field(pattern="^(draft|review|adopted|published)$")
    reason: str = Field(default="", max_length=5000)


class CopyRequest(BaseModel):
    slug: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=500)


class RoleRequest(BaseModel):
    role: str = Field(min_length=1, max_length=20)


class Change(BaseModel):
    value: Any
    version: int | None = Field(default=None, ge=0)
    reason: str = Field(default="", max_length=5000)


class InviteRequest(BaseModel):
    expert: str = Field(min_length=1, max_length=100)
    scenarios: list[str] = Field(min_length=1, max_length=1000)


class JudgementRequest(BaseModel):
    klass: str = Field(alias="class", min_length=1, max_length=20)
    rationale: str = Field(default="", max_length=20000)


class CommentRequest(BaseModel):
    body: str = Field(min_length=1, max_length=20000)
    criterion: str | None = Field(default=None, max_length=50)
    classification: str | None = Field(default=None, max_length=100)


class ReplyRequest(BaseModel):
    body: str = Field(max_length=20000)
    classification: str | None = Field(default=None, max_length=100)


class SettleRequest(BaseModel):
    version: int | None = Field(default=None, ge=0)


def edition_json(e: Edition, role: str, visible: int | None = None) -> dict[str, Any]:
    """An edition's header as the API shows it."""
    out = {
        "id": e.id,
        "slug": e.slug,
        "title": e.title,
        "description": e.description,
        "framework": e.framework_id,
        "status": e.status,
        "classification": level_name(e.classification),
        "parent": e.parent_id,
        "your_role": role,
    }
    if visible is not None:
        out["scenarios"] = visible
    return out


def scenario_json(rec: ScenarioRecord, clearance: int) -> dict[str, Any]:
    """A scenario with its scores, grounds above the clearance withheld."""
    scores = {}
    for s in rec.scores:
        score = workspace.score_of(s, clearance)
        scores[s.criterion] = score.model_dump(mode="json", by_alias=True, exclude_none=True) | {
            "version": s.version,
            "withheld": s.rationale_classification > clearance,
        }
    return {
        "id": rec.slug,
        "title": rec.title,
        "theme": rec.theme,
        "malicious": rec.malicious,
        "description": rec.description,
        "assumptions": rec.assumptions,
        "classification": level_name(rec.classification),
        "likelihood": rec.likelihood,
        "version": rec.version,
        "withdrawn": rec.withdrawn,
        "scores": scores,
    }


def _visible(edition: Edition, actor: Actor) -> int:
    """How many of the edition's scenarios the actor may see (never the hidden ones)."""
    return sum(
        1 for r in edition.scenarios if r.classification <= actor.clearance and not r.withdrawn
    )


@router.get("")
def list_editions(actor: ActorDep, s: SessionDep) -> list[dict[str, Any]]:
    """The editions you may see, with your role on each."""
    return [edition_json(e, role) for e, role in visible_editions(s, actor)]


@router.post("", status_code=201)
def create_edition(workbook: dict[str, Any], actor: ActorDep, s: SessionDep) -> dict[str, Any]:
    """Import a workbook (JSON body in the workbook format) as a new draft edition."""
    require_import(s, actor)
    book = parse_workbook(workbook, {}, "request body")
    edition = workspace.import_workbook(s, None, book, actor, themes=True)
    return edition_json(edition, "coordinator", _visible(edition, actor))


@router.post("/upload", status_code=201)
async def upload_edition(
    actor: ActorDep,
    s: SessionDep,
    file: Annotated[UploadFile, File()],
    new_id: Annotated[str, Form(max_length=100)] = "",
) -> dict[str, Any]:
    """Import a workbook file (.yaml, .json or .xlsx) as a new draft edition (under ``new_id``
    when the workbook's id is taken); every problem of the file at once, in its order."""
    require_import(s, actor)
    name = Path(file.filename or "upload.yaml").name
    edition = imports.import_upload(s, actor, await file.read(), name, new_id)
    return edition_json(edition, "coordinator", _visible(edition, actor))


@router.post("/{edition_id}/replace")
async def replace_edition(
    edition_id: Id, actor: ActorDep, s: SessionDep, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    """Replace a draft's scenarios by a workbook file's: changed ones get a new version,
    missing ones are withdrawn (restorable), new ones created; nothing stored on any problem."""
    from natrisk.services.import_replace import replace_draft

    name = Path(file.filename or "upload.yaml").name
    edition, counts = replace_draft(s, actor, edition_id, await file.read(), name)
    return {"id": edition.id, "slug": edition.slug, **counts}


@router.get("/{edition_id}")
def get_edition(edition_id: Id, actor: ActorDep, s: SessionDep) -> dict[str, Any]:
    """One edition's header and the number of scenarios you may see."""
    e, role = edition_for(s, actor, edition_id)
    return edition_json(e, role, _visible(e, actor))


@router.get(
    "/{edition_id}/export",
    responses={304: {"description": "Not modified: the copy named in If-None-Match is current"}},
)
def export_edition(
    edition_id: Id, request: Request, actor: ActorDep, s: SessionDep, format: str = "json"
) -> Response:
    """The edition as a workbook, holding only what your clearance allows (with an ETag)."""
    if format not in ("json", "yaml"):
        raise InputError("format is json or yaml")
    e, role = edition_for(s, actor, edition_id)
    tag = edition_tag(s, actor, e, role, "export", format)

    def build() -> bytes:
        book, notes = workspace.workbook_view(s, e, actor.clearance)
        data = dump_workbook(book)
        if format == "yaml":
            return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode("utf-8")
        return json.dumps(data | {"withheld": notes}, ensure_ascii=False).encode("utf-8")

    media = "application/yaml" if format == "yaml" else "application/json"
    response = send(request, tag, media, build)
    if format == "yaml":  # saved as the edition's id and the day, not as "export"
        response.headers.update(attachment(e.slug, "yaml"))
    return response


@router.post("/{edition_id}/transition")
def transition(edition_id: Id, body: Transition, actor: ActorDep, s: SessionDep) -> dict[str, Any]:
    """Move the edition along draft -> review -> adopted -> published (coordinators)."""
    e = workspace.transition(s, actor, edition_id, body.to, body.reason)
    return edition_json(e, "coordinator")


@router.post("/{edition_id}/copy", status_code=201)
def copy(edition_id: Id, body: CopyRequest, actor: ActorDep, s: SessionDep) -> dict[str, Any]:
    """Start the next cycle: a new draft edition copied from this one."""
    e = workspace.copy_edition(s, actor, edition_id, body.slug, body.title)
    return edition_json(e, "coordinator", _visible(e, actor))


@router.put("/{edition_id}/members/{username}")
def set_member(
    edition_id: Id, username: str, body: RoleRequest, actor: ActorDep, s: SessionDep
) -> dict[str, str]:
    """Give a user of your organisation a role on the edition."""
    from natrisk.services.accounts import set_role
    from natrisk.services.members import clearance_warning

    member = set_role(s, actor, edition_id, username, body.role)
    out = {"username": username, "role": member.role}
    warning = clearance_warning(s, actor, edition_id, username)
    return out | ({"warning": warning} if warning else {})


@router.get("/{edition_id}/scenarios")
def list_scenarios(edition_id: Id, actor: ActorDep, s: SessionDep) -> list[dict[str, Any]]:
    """The scenarios you may see, with their scores."""
    e, _ = edition_for(s, actor, edition_id)
    return [
        scenario_json(r, actor.clearance)
        for r in workspace.scenario_records(s, e)
        if r.classification <= actor.clearance
    ]


@router.get("/{edition_id}/scenarios/{slug}")
def get_scenario(edition_id: Id, slug: str, actor: ActorDep, s: SessionDep) -> dict[str, Any]:
    """One scenario with its scores; an invited expert gets a criterion's score only once
    they have judged it (``NATRISK_BLIND_JUDGEMENTS``, against anchoring)."""
    e, role = edition_for(s, actor, edition_id)
    out = scenario_json(scenario_for(s, actor, e, slug), actor.clearance)
    if role == "expert" and review.blind_judgements():
        judged = review.session_summary(s, actor, edition_id, slug)
        out["scores"] = {
            cid: score if cid in judged else {"hidden_until_judged": True}
            for cid, score in out["scores"].items()
        }
    return out


@router.put("/{edition_id}/scenarios/{slug}/likelihood")
def put_likelihood(
    edition_id: Id,
    slug: str,
    body: Change,
    actor: ActorDep,
    s: SessionDep,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Change the likelihood; send the scenario's version (If-Match or body)."""
    version = sent_version(if_match, body.version if body else None)
    rec = editing.set_likelihood(s, actor, edition_id, slug, body.value, version, body.reason)
    return {"likelihood": rec.likelihood, "version": rec.version}


@router.put("/{edition_id}/scenarios/{slug}/scores/{criterion}")
def put_score(
    edition_id: Id,
    slug: str,
    criterion: str,
    body: Change,
    actor: ActorDep,
    s: SessionDep,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Create or change a score; send the version you read (If-Match or body; 0 for a new score)."""
    version = sent_version(if_match, body.version if body else None)
    rec = editing.set_score(s, actor, edition_id, slug, criterion, body.value, version, body.reason)
    score = workspace.score_of(rec, actor.clearance)
    return score.model_dump(mode="json", by_alias=True, exclude_none=True) | {
        "version": rec.version
    }


@router.get("/{edition_id}/scenarios/{slug}/scores/{criterion}/history")
def score_history(
    edition_id: Id, slug: str, criterion: str, actor: ActorDep, s: SessionDep
) -> list[dict[str, Any]]:
    """Every change to one score, from the audit trail."""
    return editing.score_history(s, actor, edition_id, slug, criterion)


@router.post("/{edition_id}/invitations", status_code=201)
def invite(edition_id: Id, body: InviteRequest, actor: ActorDep, s: SessionDep) -> dict[str, int]:
    """Invite an expert to judge scenarios (coordinators)."""
    return {"invited": review.invite(s, actor, edition_id, body.expert, body.scenarios)}


@router.put("/{edition_id}/scenarios/{slug}/judgements/{criterion}")
def put_judgement(
    edition_id: Id,
    slug: str,
    criterion: str,
    body: JudgementRequest,
    actor: ActorDep,
    s: SessionDep,
) -> dict[str, str]:
    """An invited expert's judgement of one criterion (a class or a range)."""
    j = review.judge(s, actor, edition_id, slug, criterion, body.klass, body.rationale)
    return {"class": j.klass, "rationale": j.rationale}


@router.get("/{edition_id}/scenarios/{slug}/judgements")
def get_judgements(edition_id: Id, slug: str, actor: ActorDep, s: SessionDep) -> dict[str, Any]:
    """Per criterion: the judgements, their spread and the combined range."""
    return review.session_summary(s, actor, edition_id, slug)


@router.post("/{edition_id}/scenarios/{slug}/comments", status_code=201)
def post_comment(
    edition_id: Id, slug: str, body: CommentRequest, actor: ActorDep, s: SessionDep
) -> dict[str, Any]:
    """A review comment (reviewers, analysts, coordinators)."""
    c = review.add_comment(
        s, actor, edition_id, slug, body.body, body.criterion, body.classification
    )
    return {"id": c.id, "body": c.body}


@router.post("/{edition_id}/scenarios/{slug}/comments/{comment_id}/replies", status_code=201)
def post_reply(
    edition_id: Id, slug: str, comment_id: Id, body: ReplyRequest, actor: ActorDep, s: SessionDep
) -> dict[str, Any]:
    """Answer a comment (reviewers, analysts, coordinators); shown under it."""
    r = comment_threads.reply(
        s, actor, edition_id, slug, comment_id, body.body, body.classification
    )
    return {"id": r.id, "reply_to": r.parent_id, "body": r.body}


def _settled(c: Any, s: Any) -> dict[str, Any]:
    by = s.get(User, c.resolved_by_id) if c.resolved_by_id is not None else None
    return {
        "id": c.id,
        "state": c.state,
        "resolved_by": by.username if by is not None else None,
        "resolved_at": comment_threads.when(c.resolved_at),
        "version": c.version,
    }


@router.post("/{edition_id}/scenarios/{slug}/comments/{comment_id}/resolve")
def resolve_comment(
    edition_id: Id,
    slug: str,
    comment_id: Id,
    actor: ActorDep,
    s: SessionDep,
    body: SettleRequest | None = None,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Resolve a comment: its author, an analyst or a coordinator (409 if resolved already)."""
    version = sent_version(if_match, body.version if body else None)
    c = comment_threads.settle(s, actor, edition_id, slug, comment_id, True, version)
    return _settled(c, s)


@router.post("/{edition_id}/scenarios/{slug}/comments/{comment_id}/reopen")
def reopen_comment(
    edition_id: Id,
    slug: str,
    comment_id: Id,
    actor: ActorDep,
    s: SessionDep,
    body: SettleRequest | None = None,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Reopen a resolved comment: its author, an analyst or a coordinator."""
    version = sent_version(if_match, body.version if body else None)
    c = comment_threads.settle(s, actor, edition_id, slug, comment_id, False, version)
    return _settled(c, s)


@router.get("/{edition_id}/scenarios/{slug}/comments")
def get_comments(edition_id: Id, slug: str, actor: ActorDep, s: SessionDep) -> list[dict[str, Any]]:
    """The comments you may see, each with its state and its replies."""
    return review.comments(s, actor, edition_id, slug)


@router.get("/{edition_id}/diff/{other_id}")
def diff(
    edition_id: Id, other_id: Id, actor: ActorDep, s: SessionDep, method: str = "weighted-sum"
) -> dict[str, Any]:
    """What changed from this edition to the other one."""
    return diff_editions(s, actor, edition_id, other_id, method)
