"""The user's own account: password change and the sessions they hold (and can end)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from natrisk.api.deps import SESSION_COOKIE, Id
from natrisk.errors import InputError
from natrisk.services import accounts, signins
from natrisk.store.models import User
from natrisk.web.render import page
from natrisk.web.session import PageActor, PageSession, check_csrf

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)


def _context(request: Request, s: PageSession, actor: PageActor) -> dict[str, Any]:
    from natrisk.security import level_name

    user = s.get(User, actor.user_id)
    assert user is not None
    return {
        "me": {
            "username": user.username,
            "name": user.display_name,
            "clearance": level_name(user.clearance),
            "admin": user.is_admin,
        },
        "organisation": user.organisation.slug,
        "sessions": signins.open_sessions(s, actor.user_id),
        "current": request.state.sign_in.sign_in_id,
    }


@router.get("/account")
def account(request: Request, actor: PageActor, s: PageSession) -> Response:
    """Who I am, my password, and where I am signed in."""
    done = request.query_params.get("done") or ""
    return page(request, "account.html", error=None, done=done, **_context(request, s, actor))


@router.post("/account/password", dependencies=[Csrf])
async def change_password(request: Request, actor: PageActor, s: PageSession) -> Response:
    """Change my password: every session ends, this browser gets a fresh one."""
    form = await request.form()
    current, new, again = (str(form.get(k) or "") for k in ("current", "new", "again"))
    user = s.get(User, actor.user_id)
    assert user is not None
    try:
        if new != again:
            raise InputError("the two new passwords differ")
        accounts.change_password(s, user, current, new)
    except InputError as exc:
        s.rollback()
        context = _context(request, s, actor)
        return page(request, "account.html", status=400, error=exc.message, done="", **context)
    token = signins.issue_token(
        user, s, kind="browser", agent=request.headers.get("user-agent") or ""
    )
    response = RedirectResponse("/account?done=password", status_code=303)
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax", max_age=signins.token_age()
    )
    return response


@router.post("/account/sessions/{sign_in_id}/end", dependencies=[Csrf])
def end_session(sign_in_id: Id, actor: PageActor, s: PageSession) -> Response:
    """End one of my sessions (another browser, a lost laptop, a token I gave a script)."""
    signins.end_own(s, actor, sign_in_id)
    return RedirectResponse("/account?done=ended", status_code=303)
