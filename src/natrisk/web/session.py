"""Who is browsing: the session cookie, sign-in redirects and the CSRF check on forms."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from natrisk.api.deps import CSRF_HEADER, READ_METHODS, SESSION_COOKIE, database
from natrisk.errors import InputError
from natrisk.services import signins
from natrisk.services.access import Actor, Forbidden
from natrisk.services.signins import Unauthorized
from natrisk.store.database import Database


class SignInRequired(Exception):
    """No valid session: the browser goes to the sign-in page and comes back afterwards."""

    def __init__(self, next_path: str, expired: bool) -> None:
        super().__init__(next_path)
        self.next_path = next_path
        self.expired = expired


def login_url(next_path: str, expired: bool = False) -> str:
    """The sign-in page that returns to ``next_path``."""
    return f"/login?next={quote(next_path)}" + ("&expired=1" if expired else "")


def db_session(request: Request, db: Annotated[Database, Depends(database)]) -> Iterator[Session]:
    """One transaction per page request, committed before the response is sent (GET: read only)."""
    with db.session(write=request.method not in READ_METHODS) as s:
        yield s


def browser(
    request: Request, s: Annotated[Session, Depends(db_session, scope="function")]
) -> Actor:
    """The signed-in user of this browser; unsafe requests must carry the CSRF token."""
    cookie = request.cookies.get(SESSION_COOKIE)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = (
            request.headers.get("hx-current-url") or request.headers.get("referer") or "/editions"
        )
    if not cookie:
        raise SignInRequired(target, expired=False)
    try:
        found = signins.resolve(s, cookie)
    except Unauthorized as exc:
        raise SignInRequired(target, expired=True) from exc
    request.state.sign_in = found
    return found.actor


async def check_csrf(request: Request, _actor: Annotated[Actor, Depends(browser)]) -> None:
    """Refuse a form post or HTMX request without this session's CSRF token.

    The token is an HMAC of the session that ``browser`` resolved, never a value the
    browser chose, so a planted cookie is useless.
    """
    found = getattr(request.state, "sign_in", None)
    sent = request.headers.get(CSRF_HEADER) or ""
    if not sent:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else ""
    if found is None or not secrets.compare_digest(sent.encode(), found.csrf.encode()):
        raise Forbidden(
            "the form has expired or did not come from this site; reload the page and try again"
        )


def text_field(value: object, name: str, limit: int = 20000, required: bool = False) -> str:
    """A form text field, trimmed and bounded; a clear error when it is missing or too long."""
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise InputError(f"{name} is required")
    if len(text) > limit:
        raise InputError(f"{name} is too long ({len(text):,} characters; at most {limit:,})")
    return text


PageActor = Annotated[Actor, Depends(browser)]
PageSession = Annotated[Session, Depends(db_session, scope="function")]
