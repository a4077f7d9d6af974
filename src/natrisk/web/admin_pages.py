"""The administration page (one's own organisation's users, new organisations) and the page
where a reset link sets a new password."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from natrisk.api.deps import database
from natrisk.errors import NatriskError
from natrisk.security import level_name, levels
from natrisk.services import administration
from natrisk.store.database import Database
from natrisk.web.render import page
from natrisk.web.session import PageActor, PageSession, check_csrf, text_field

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)


def _admin(request: Request, s: Any, actor: Any, status: int = 200, **extra: Any) -> Response:
    from natrisk.web.pages import _me

    context: dict[str, Any] = {"error": None, "link": None, "done": ""} | extra
    return page(
        request,
        "admin.html",
        status=status,
        me=_me(s, actor),
        users=administration.users_of(s, actor),
        levels=levels()[: actor.clearance + 1],
        level_name=level_name,
        **context,
    )


@router.get("/admin")
def admin(request: Request, actor: PageActor, s: PageSession) -> Response:
    """Users of one's organisation: create, deactivate, clearance, reset links; organisations."""
    return _admin(request, s, actor, done=request.query_params.get("done") or "")


@router.post("/admin/users", dependencies=[Csrf])
async def create_user(request: Request, actor: PageActor, s: PageSession) -> Response:
    """A new user of one's organisation."""
    form = await request.form()
    try:
        administration.create_user(
            s,
            actor,
            text_field(form.get("username"), "username", 100, True),
            str(form.get("password") or ""),
            str(form.get("clearance") or "") or 0,
            form.get("is_admin") == "on",
            text_field(form.get("display_name"), "name", 300) or None,
        )
    except NatriskError as exc:
        s.rollback()
        return _admin(request, s, actor, 400, error=exc.message)
    return RedirectResponse("/admin?done=created", status_code=303)


@router.post("/admin/users/{username}", dependencies=[Csrf])
async def change_user(
    request: Request, username: str, actor: PageActor, s: PageSession
) -> Response:
    """Change a user's clearance, or (de)activate them."""
    form = await request.form()
    state = form.get("active")
    try:
        administration.change_user(
            s,
            actor,
            username,
            clearance=str(form.get("clearance")) if form.get("clearance") else None,
            active=None if state is None else state == "1",
            reason=text_field(form.get("reason"), "reason", 5000),
        )
    except NatriskError as exc:
        s.rollback()
        return _admin(request, s, actor, 400, error=exc.message)
    return RedirectResponse("/admin?done=changed", status_code=303)


@router.post("/admin/users/{username}/reset", dependencies=[Csrf])
def reset_link(request: Request, username: str, actor: PageActor, s: PageSession) -> Response:
    """A one-time reset link, shown this once (only its hash is stored)."""
    link = administration.create_reset(s, actor, username)
    url = f"{str(request.base_url).rstrip('/')}/reset/{link.token}"
    response = _admin(
        request, s, actor, link={"user": username, "url": url, "expires": link.expires_at}
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/admin/organisations", dependencies=[Csrf])
async def create_organisation(request: Request, actor: PageActor, s: PageSession) -> Response:
    """A new organisation with its first administrator."""
    form = await request.form()
    try:
        administration.create_organisation(
            s,
            actor,
            text_field(form.get("slug"), "id", 100, True),
            text_field(form.get("name"), "name", 300, True),
            text_field(form.get("admin_username"), "administrator", 100, True),
            str(form.get("admin_password") or ""),
            str(form.get("admin_clearance") or "") or 0,
        )
    except NatriskError as exc:
        s.rollback()
        return _admin(request, s, actor, 400, error=exc.message)
    return RedirectResponse("/admin?done=organisation", status_code=303)


@router.get("/reset/{token}")
def reset_form(
    request: Request, token: str, db: Annotated[Database, Depends(database)]
) -> Response:
    """Set a new password with a reset link (no sign-in: the link is the proof)."""
    with db.session(write=False) as s:
        try:
            administration.reset_for(s, token[:100])
            error = None
        except NatriskError as exc:
            error = exc.message
    return _reset_page(request, token, error, 200 if error is None else 400)


def _reset_page(request: Request, token: str, error: str | None, status: int) -> Response:
    response = page(
        request, "reset.html", status=status, token=token[:100], error=error, done=False
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/reset/{token}")
async def reset(
    request: Request, token: str, db: Annotated[Database, Depends(database)]
) -> Response:
    """Use the link once: the new password is set and every session of the user ends."""
    form = await request.form()
    new, again = str(form.get("new") or ""), str(form.get("again") or "")
    try:
        if new != again:
            from natrisk.errors import InputError

            raise InputError("the two new passwords differ")
        with db.session() as s:
            administration.use_reset(s, token[:100], new)
    except NatriskError as exc:
        return _reset_page(request, token, exc.message, 400)
    response = page(request, "reset.html", token="", error=None, done=True)
    response.headers["Cache-Control"] = "no-store"
    return response
