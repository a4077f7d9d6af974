"""Frameworks: those an uploaded workbook may name, and storing a new one (administrators)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from natrisk.api.deps import ActorDep, SessionDep
from natrisk.services import framework_store

router = APIRouter(prefix="/api/frameworks", tags=["frameworks"])

_DOCUMENT = {
    "required": True,
    "content": {
        "application/yaml": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "object"}},
    },
}


@router.get("")
def list_frameworks(actor: ActorDep, s: SessionDep) -> list[dict[str, str]]:
    """The frameworks a workbook may name by id: bundled ones and stored ones (administrators)."""
    framework_store.require_admin(actor)
    return framework_store.framework_ids(s)


@router.post("", status_code=201, openapi_extra={"requestBody": _DOCUMENT})
async def add_framework(request: Request, actor: ActorDep, s: SessionDep) -> dict[str, Any]:
    """Store a framework (administrators): the body is the framework document, YAML, or JSON
    with ``Content-Type: application/json``. Uploaded workbooks may then name it by its id."""
    framework_store.require_admin(actor)  # before reading a body we will not use
    as_json = "json" in request.headers.get("content-type", "")
    record = framework_store.add_framework(s, actor, await request.body(), "request body", as_json)
    return {"id": record.id, "name": record.name, "source": "stored"}
