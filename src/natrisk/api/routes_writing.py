"""Writing in the application: new and changed editions, scenarios, members and history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from natrisk.api.deps import ActorDep, Id, SessionDep
from natrisk.api.routes_editions import edition_json, scenario_json
from natrisk.api.versions import IfMatch, sent_version
from natrisk.services import members, scenarios, workspace
from natrisk.services.access import edition_for

router = APIRouter(prefix="/api/editions", tags=["writing"])


class NewEdition(BaseModel):
    slug: str = Field(max_length=100)
    title: str = Field(max_length=500)
    framework: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=100_000)
    classification: str | None = Field(default=None, max_length=100)


class EditionChange(BaseModel):
    title: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, max_length=100_000)
    themes: list[dict[str, str]] | None = Field(default=None, max_length=200)
    reason: str = Field(default="", max_length=5000)


class NewScenario(BaseModel):
    id: str = Field(max_length=10_000)  # checked by the service, with a located message
    title: str = Field(max_length=10_000)
    theme: str = Field(max_length=10_000)
    malicious: bool = False
    description: str = Field(default="", max_length=100_000)
    assumptions: str = Field(default="", max_length=100_000)
    classification: str | None = Field(default=None, max_length=100)
    likelihood: Any
    scores: dict[str, Any] = Field(default_factory=dict, max_length=200)
    reason: str = Field(default="", max_length=5000)


class ScenarioChange(BaseModel):
    title: str | None = Field(default=None, max_length=10_000)
    theme: str | None = Field(default=None, max_length=10_000)
    malicious: bool | None = None
    description: str | None = Field(default=None, max_length=100_000)
    assumptions: str | None = Field(default=None, max_length=100_000)
    classification: str | None = Field(default=None, max_length=100)
    likelihood: Any = None
    version: int | None = Field(default=None, ge=0)
    reason: str = Field(default="", max_length=5000)


class Duplicate(BaseModel):
    id: str = Field(max_length=10_000)
    title: str = Field(default="", max_length=500)


class StateChange(BaseModel):
    version: int | None = Field(default=None, ge=0)
    reason: str = Field(default="", max_length=5000)


@router.post("/empty", status_code=201)
def create_empty(body: NewEdition, actor: ActorDep, s: SessionDep) -> dict[str, Any]:
    """Start an empty draft edition on a framework (any user; they become its coordinator)."""
    e = workspace.create_empty(
        s, actor, body.slug, body.title, body.framework, body.description, body.classification
    )
    return edition_json(e, "coordinator", 0)


@router.patch("/{edition_id}")
def change_edition(
    edition_id: Id, body: EditionChange, actor: ActorDep, s: SessionDep
) -> dict[str, Any]:
    """Change the edition's title, description or own themes (coordinators)."""
    data = body.model_dump(exclude_unset=True, exclude={"reason"})
    e = workspace.update_edition(s, actor, edition_id, data, body.reason)
    _, role = edition_for(s, actor, edition_id)
    return edition_json(e, role) | {"themes": e.extra.get("themes") or []}


@router.get("/{edition_id}/members")
def list_members(edition_id: Id, actor: ActorDep, s: SessionDep) -> list[dict[str, Any]]:
    """Who holds which role on the edition (coordinators)."""
    return members.members_of(s, actor, edition_id)


@router.delete("/{edition_id}/members/{username}")
def remove_member(edition_id: Id, username: str, actor: ActorDep, s: SessionDep) -> dict[str, str]:
    """Take a user's role on the edition away (coordinators)."""
    members.remove_member(s, actor, edition_id, username)
    return {"status": "removed"}


@router.post("/{edition_id}/scenarios", status_code=201)
def create_scenario(
    edition_id: Id, body: NewScenario, actor: ActorDep, s: SessionDep
) -> dict[str, Any]:
    """Write a new scenario (analysts); ``scores`` may give first classes per criterion."""
    data = body.model_dump(exclude={"reason"})
    rec = scenarios.create(s, actor, edition_id, data, body.reason)
    return scenario_json(rec, actor.clearance)


@router.patch("/{edition_id}/scenarios/{slug}")
def change_scenario(
    edition_id: Id,
    slug: str,
    body: ScenarioChange,
    actor: ActorDep,
    s: SessionDep,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Change a scenario's own fields; send its version (a stale one is a 409 whose
    ``problems`` hold the stored value of each field you sent differently)."""
    version = sent_version(if_match, body.version)
    data = body.model_dump(exclude_unset=True, exclude={"version", "reason"})
    rec = scenarios.update(s, actor, edition_id, slug, data, version, body.reason)
    return scenario_json(rec, actor.clearance)


@router.post("/{edition_id}/scenarios/{slug}/duplicate", status_code=201)
def duplicate_scenario(
    edition_id: Id, slug: str, body: Duplicate, actor: ActorDep, s: SessionDep
) -> dict[str, Any]:
    """A copy of the scenario, with its scores, under a new id."""
    rec = scenarios.duplicate(s, actor, edition_id, slug, body.id, body.title)
    return scenario_json(rec, actor.clearance)


@router.post("/{edition_id}/scenarios/{slug}/withdraw")
def withdraw_scenario(
    edition_id: Id,
    slug: str,
    body: StateChange,
    actor: ActorDep,
    s: SessionDep,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Take the scenario out of the picture; it is kept, with its history."""
    version = sent_version(if_match, body.version)
    rec = scenarios.set_withdrawn(s, actor, edition_id, slug, True, version, body.reason)
    return scenario_json(rec, actor.clearance)


@router.post("/{edition_id}/scenarios/{slug}/restore")
def restore_scenario(
    edition_id: Id,
    slug: str,
    body: StateChange,
    actor: ActorDep,
    s: SessionDep,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Bring a withdrawn scenario back into the picture."""
    version = sent_version(if_match, body.version)
    rec = scenarios.set_withdrawn(s, actor, edition_id, slug, False, version, body.reason)
    return scenario_json(rec, actor.clearance)


@router.get("/{edition_id}/scenarios/{slug}/history")
def scenario_history(
    edition_id: Id, slug: str, actor: ActorDep, s: SessionDep
) -> list[dict[str, Any]]:
    """Every change to the scenario and its scores, newest first, with word differences."""
    return scenarios.history(s, actor, edition_id, slug)
