"""The forms under each review comment of the scenario page: reply, resolve and reopen."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from natrisk.api.deps import Id
from natrisk.errors import NatriskError
from natrisk.services import comment_threads
from natrisk.web.pages import _me, _scenario_ctx
from natrisk.web.render import page
from natrisk.web.session import PageActor, PageSession, check_csrf, text_field

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)


def _again(
    request: Request,
    s: Any,
    actor: Any,
    edition_id: int,
    slug: str,
    exc: NatriskError,
    thread: dict[str, Any],
) -> Response:
    """The scenario page again, the message under the comment, what was typed kept."""
    s.rollback()
    ctx = _scenario_ctx(s, actor, edition_id, slug)
    return page(request, "scenario.html", status=exc.status, me=_me(s, actor), thread=thread, **ctx)


def _back(edition_id: int, slug: str, comment_id: int) -> Response:
    return RedirectResponse(
        f"/editions/{edition_id}/scenarios/{slug}#comment-{comment_id}", status_code=303
    )


@router.post(
    "/editions/{edition_id}/scenarios/{slug}/comments/{comment_id}/replies",
    dependencies=[Csrf],
)
async def reply(
    request: Request, edition_id: Id, slug: str, comment_id: Id, actor: PageActor, s: PageSession
) -> Response:
    """Answer a comment; shown under it."""
    form = await request.form()
    typed = str(form.get("body") or "")
    try:
        comment_threads.reply(
            s, actor, edition_id, slug, comment_id, text_field(typed, "reply", 20000), None
        )
    except NatriskError as exc:
        thread = {"id": comment_id, "typed": typed, "reply_error": exc.message}
        return _again(request, s, actor, edition_id, slug, exc, thread)
    return _back(edition_id, slug, comment_id)


async def _settle(
    request: Request,
    edition_id: int,
    slug: str,
    comment_id: int,
    resolved: bool,
    actor: Any,
    s: Any,
) -> Response:
    """Resolve a comment, or reopen a resolved one (the version read guards a race)."""
    form = await request.form()
    version_text = str(form.get("version") or "").strip()
    try:
        comment_threads.settle(
            s,
            actor,
            edition_id,
            slug,
            comment_id,
            resolved,
            int(version_text) if version_text.isdigit() else None,
        )
    except NatriskError as exc:
        thread = {"id": comment_id, "typed": "", "settle_error": exc.message}
        return _again(request, s, actor, edition_id, slug, exc, thread)
    return _back(edition_id, slug, comment_id)


@router.post(
    "/editions/{edition_id}/scenarios/{slug}/comments/{comment_id}/resolve",
    dependencies=[Csrf],
)
async def resolve(
    request: Request, edition_id: Id, slug: str, comment_id: Id, actor: PageActor, s: PageSession
) -> Response:
    """Resolve a comment: its author, an analyst or a coordinator."""
    return await _settle(request, edition_id, slug, comment_id, True, actor, s)


@router.post(
    "/editions/{edition_id}/scenarios/{slug}/comments/{comment_id}/reopen",
    dependencies=[Csrf],
)
async def reopen(
    request: Request, edition_id: Id, slug: str, comment_id: Id, actor: PageActor, s: PageSession
) -> Response:
    """Reopen a resolved comment."""
    return await _settle(request, edition_id, slug, comment_id, False, actor, s)
