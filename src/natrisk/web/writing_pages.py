"""Writing in the browser: new editions and scenarios, the scenario's own fields, withdrawing
and restoring, the history of a scenario, an edition's settings, copy and members.

A form with problems comes back with what was typed and each message next to its field;
nothing is stored. A conflict shows the stored text beside the one typed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from natrisk.api.deps import Id
from natrisk.errors import NatriskError, WorkbookError
from natrisk.security import ROLES, allows, level_name, levels
from natrisk.services import accounts, members, scenarios, workspace
from natrisk.services.access import edition_for, scenario_for
from natrisk.services.framework_store import framework_ids
from natrisk.web.render import page
from natrisk.web.session import PageActor, PageSession, check_csrf, text_field

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)
FIELDS = ("id", "title", "theme", "description", "assumptions", "classification")


def _me(s: Any, actor: Any) -> dict[str, Any]:
    from natrisk.web.pages import _me as me

    return me(s, actor)


def _errors(exc: NatriskError) -> tuple[str, dict[str, str]]:
    """The general message and, per field, its problems (as a form shows them)."""
    by_field: dict[str, str] = {}
    for p in getattr(exc, "problems", []) or []:
        name = p.field.split(".")[0] or "form"
        by_field[name] = (by_field.get(name, "") + " " + p.message).strip()
    return exc.message, by_field


def _scenario_data(form: FormData) -> dict[str, Any]:
    """A scenario's fields as a form sends them (the likelihood with rationale and sources)."""
    data: dict[str, Any] = {
        name: str(form.get(name) or "") for name in FIELDS if form.get(name) is not None
    }
    if "malicious_shown" in form:
        data["malicious"] = form.get("malicious") == "on"
    if form.get("likelihood") is not None:
        data["likelihood"] = {
            "class": str(form.get("likelihood") or "").strip(),
            "rationale": str(form.get("likelihood_rationale") or "").strip(),
            "sources": [
                line.strip()
                for line in str(form.get("likelihood_sources") or "").splitlines()
                if line.strip()
            ],
        }
    return data


# ---------------------------------------------------------------------------- editions


@router.get("/editions/new")
def new_edition_form(request: Request, actor: PageActor, s: PageSession) -> Response:
    """Start an empty edition on a framework."""
    return _edition_form(request, s, actor, {}, None, {})


def _edition_form(
    request: Request,
    s: Any,
    actor: Any,
    values: dict[str, Any],
    error: str | None,
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    return page(
        request,
        "edition_new.html",
        status=status,
        me=_me(s, actor),
        frameworks=framework_ids(s),
        levels=levels()[: actor.clearance + 1],
        values=values,
        error=error,
        errors=errors,
    )


@router.post("/editions/new", dependencies=[Csrf])
async def new_edition(request: Request, actor: PageActor, s: PageSession) -> Response:
    """Store the new, empty edition; its creator coordinates it."""
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in ("slug", "title", "framework", "description")}
    values["classification"] = str(form.get("classification") or "")
    try:
        edition = workspace.create_empty(
            s,
            actor,
            values["slug"],
            values["title"],
            values["framework"],
            values["description"],
            values["classification"] or None,
        )
    except NatriskError as exc:
        s.rollback()
        error, errors = _errors(exc)
        return _edition_form(request, s, actor, values, error, errors, 400)
    return RedirectResponse(f"/editions/{edition.id}", status_code=303)


@router.get("/editions/{edition_id}/settings")
def settings(request: Request, edition_id: Id, actor: PageActor, s: PageSession) -> Response:
    """The edition's title, description and themes, the next cycle, and its members."""
    return _settings(request, s, actor, edition_id)


def _settings(
    request: Request,
    s: Any,
    actor: Any,
    edition_id: int,
    status: int = 200,
    **extra: Any,
) -> Response:
    edition, role = edition_for(s, actor, edition_id, "manage")
    themes = edition.extra.get("themes") or []
    context: dict[str, Any] = {
        "values": {
            "title": edition.title,
            "description": edition.description,
            "themes": "\n".join(f"{t['id']}: {t['name']}" for t in themes),
        },
        "error": None,
        "errors": {},
        "member_error": None,
        "member_warning": None,
        "member_typed": {},
        "copy_error": None,
        "done": request.query_params.get("done") or "",
    } | extra
    grantable = [r for r in ROLES if _may_grant(role, r)]
    return page(
        request,
        "edition_settings.html",
        status=status,
        me=_me(s, actor),
        edition=edition,
        role=role,
        members=members.members_of(s, actor, edition_id),
        roles=grantable,
        level_name=level_name,
        **context,
    )


def _may_grant(own: str, role: str) -> bool:
    from natrisk.security import may_grant

    return may_grant(own, role)


@router.post("/editions/{edition_id}/settings", dependencies=[Csrf])
async def save_settings(
    request: Request, edition_id: Id, actor: PageActor, s: PageSession
) -> Response:
    """Change the edition's title, description and own themes."""
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in ("title", "description", "themes")}
    try:
        workspace.update_edition(s, actor, edition_id, values, str(form.get("reason") or ""))
    except NatriskError as exc:
        s.rollback()
        error, errors = _errors(exc)
        return _settings(
            request, s, actor, edition_id, 400, values=values, error=error, errors=errors
        )
    return RedirectResponse(f"/editions/{edition_id}/settings?done=saved", status_code=303)


@router.post("/editions/{edition_id}/copy", dependencies=[Csrf])
async def copy(request: Request, edition_id: Id, actor: PageActor, s: PageSession) -> Response:
    """Start the next cycle from this edition (with its members)."""
    form = await request.form()
    try:
        new = workspace.copy_edition(
            s,
            actor,
            edition_id,
            text_field(form.get("slug"), "id", 100, True),
            text_field(form.get("title"), "title", 500, True),
        )
    except NatriskError as exc:
        s.rollback()
        return _settings(request, s, actor, edition_id, 400, copy_error=exc.message)
    return RedirectResponse(f"/editions/{new.id}", status_code=303)


@router.post("/editions/{edition_id}/members", dependencies=[Csrf])
async def set_member(
    request: Request, edition_id: Id, actor: PageActor, s: PageSession
) -> Response:
    """Give a user a role (a user of another organisation as 'organisation/name')."""
    form = await request.form()
    typed = {k: str(form.get(k) or "") for k in ("username", "role")}
    try:
        username = text_field(form.get("username"), "username", 201, True)
        accounts.set_role(
            s, actor, edition_id, username, text_field(form.get("role"), "role", 20, True)
        )
        warning = members.clearance_warning(s, actor, edition_id, username)
    except NatriskError as exc:
        s.rollback()
        return _settings(
            request, s, actor, edition_id, 400, member_error=exc.message, member_typed=typed
        )
    if warning:  # given, and said: the page shows the warning beside the members
        return _settings(request, s, actor, edition_id, 200, member_warning=warning)
    return RedirectResponse(f"/editions/{edition_id}/settings?done=member#members", status_code=303)


@router.post("/editions/{edition_id}/members/remove", dependencies=[Csrf])
async def remove_member(
    request: Request, edition_id: Id, actor: PageActor, s: PageSession
) -> Response:
    """Take a user's role away."""
    form = await request.form()
    try:
        members.remove_member(
            s, actor, edition_id, text_field(form.get("username"), "username", 201, True)
        )
    except NatriskError as exc:
        s.rollback()
        return _settings(request, s, actor, edition_id, 400, member_error=exc.message)
    return RedirectResponse(
        f"/editions/{edition_id}/settings?done=removed#members", status_code=303
    )


# ---------------------------------------------------------------------------- scenarios


@router.get("/editions/{edition_id}/scenarios/new")
def new_scenario_form(
    request: Request, edition_id: Id, actor: PageActor, s: PageSession
) -> Response:
    """A new scenario from the framework's template: its fields and a class per criterion."""
    return _scenario_form(request, s, actor, edition_id, {"description": scenarios.TEMPLATE})


def _scenario_form(
    request: Request,
    s: Any,
    actor: Any,
    edition_id: int,
    values: dict[str, Any],
    error: str | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    edition, role = edition_for(s, actor, edition_id, "edit")
    workspace.require_editable(edition)
    return page(
        request,
        "scenario_new.html",
        status=status,
        me=_me(s, actor),
        edition=edition,
        fw=workspace.framework_of(s, edition),
        themes=scenarios.themes_of(s, edition),
        levels=levels()[: actor.clearance + 1],
        values=values,
        error=error,
        errors=errors or {},
    )


@router.post("/editions/{edition_id}/scenarios/new", dependencies=[Csrf])
async def new_scenario(
    request: Request, edition_id: Id, actor: PageActor, s: PageSession
) -> Response:
    """Store the new scenario, or show the form again with every problem."""
    form = await request.form()
    data = _scenario_data(form)
    data["scores"] = {
        key.removeprefix("score-"): str(value).strip()
        for key, value in form.items()
        if key.startswith("score-") and str(value).strip()
    }
    try:
        rec = scenarios.create(s, actor, edition_id, data, str(form.get("reason") or ""))
    except NatriskError as exc:
        s.rollback()
        error, errors = _errors(exc)
        values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
        return _scenario_form(request, s, actor, edition_id, values, error, errors, 400)
    return RedirectResponse(f"/editions/{edition_id}/scenarios/{rec.slug}", status_code=303)


@router.post("/editions/{edition_id}/scenarios/{slug}/edit", dependencies=[Csrf])
async def edit_scenario(
    request: Request, edition_id: Id, slug: str, actor: PageActor, s: PageSession
) -> Response:
    """Save the scenario's own fields; a conflict keeps both texts on the page."""
    from natrisk.web.pages import _scenario_ctx

    form = await request.form()
    data = _scenario_data(form)
    try:
        version = int(str(form.get("version") or ""))
        scenarios.update(s, actor, edition_id, slug, data, version, str(form.get("reason") or ""))
    except (NatriskError, ValueError) as exc:
        s.rollback()
        conflict = isinstance(exc, scenarios.ScenarioConflict)
        if isinstance(exc, NatriskError):
            error, errors = _errors(exc) if not conflict else (exc.message, {})
        else:
            error, errors = "the version must be a number", {}
        edit = {
            "typed": {k: str(v) for k, v in form.items() if k != "csrf_token"},
            "error": error,
            "errors": errors,
            "conflict": {p.field: p.message for p in exc.problems} if conflict else {},  # type: ignore[union-attr]
            "version": exc.version if conflict else form.get("version"),  # type: ignore[union-attr]
        }
        ctx = _scenario_ctx(s, actor, edition_id, slug)
        return page(
            request,
            "scenario.html",
            status=409 if conflict else 400,
            me=_me(s, actor),
            edit=edit,
            **ctx,
        )
    return RedirectResponse(
        f"/editions/{edition_id}/scenarios/{slug}?saved=scenario", status_code=303
    )


@router.post("/editions/{edition_id}/scenarios/{slug}/state", dependencies=[Csrf])
async def withdraw_or_restore(
    request: Request, edition_id: Id, slug: str, actor: PageActor, s: PageSession
) -> Response:
    """Withdraw the scenario from the picture, or bring it back."""
    form = await request.form()
    withdraw = form.get("to") == "withdrawn"
    version = int(str(form.get("version") or "0"))
    scenarios.set_withdrawn(
        s,
        actor,
        edition_id,
        slug,
        withdraw,
        version,
        text_field(form.get("reason"), "reason", 5000),
    )
    done = "withdrawn" if withdraw else "restored"
    return RedirectResponse(
        f"/editions/{edition_id}/scenarios/{slug}?saved={done}", status_code=303
    )


@router.post("/editions/{edition_id}/scenarios/{slug}/duplicate", dependencies=[Csrf])
async def duplicate(
    request: Request, edition_id: Id, slug: str, actor: PageActor, s: PageSession
) -> Response:
    """A copy of the scenario under a new id."""
    form = await request.form()
    rec = scenarios.duplicate(
        s,
        actor,
        edition_id,
        slug,
        str(form.get("id") or ""),
        text_field(form.get("title"), "title", 500),
    )
    return RedirectResponse(f"/editions/{edition_id}/scenarios/{rec.slug}", status_code=303)


@router.get("/editions/{edition_id}/scenarios/{slug}/history")
def history(
    request: Request, edition_id: Id, slug: str, actor: PageActor, s: PageSession
) -> Response:
    """Every change to the scenario and its scores, with the differences of its texts."""
    edition, role = edition_for(s, actor, edition_id)
    rec = scenario_for(s, actor, edition, slug)
    return page(
        request,
        "scenario_history.html",
        me=_me(s, actor),
        edition=edition,
        rec=rec,
        entries=scenarios.history(s, actor, edition_id, slug),
        can_edit=allows(role, "edit"),
    )


__all__ = ["WorkbookError", "router"]
