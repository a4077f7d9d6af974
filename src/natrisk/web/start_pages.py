"""The start page of one's own work, and the search page behind the header's search box."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup, escape

from natrisk.errors import InputError
from natrisk.security import level_name
from natrisk.services import search, start
from natrisk.store.fulltext import MARK_END, MARK_START
from natrisk.web.pages import _me
from natrisk.web.render import page
from natrisk.web.session import PageActor, PageSession

router = APIRouter(include_in_schema=False)
_MARKED = re.compile(
    re.escape(MARK_START) + "([^" + MARK_START + MARK_END + "]*)" + re.escape(MARK_END)
)


def marked(snippet: str) -> Markup:
    """A snippet as HTML: escaped, with only the matched words in <mark>."""
    text = str(escape(snippet))
    return Markup(
        _MARKED.sub(r"<mark>\1</mark>", text).replace(MARK_START, "").replace(MARK_END, "")
    )


@router.get("/")
def start_page(request: Request, actor: PageActor, s: PageSession) -> Response:
    """What awaits this user: invitations, reviews, measures to report on, runs, editions."""
    return page(
        request,
        "start.html",
        me=_me(s, actor),
        level_name=level_name,
        **start.start_page(s, actor),
    )


def _page_number(raw: str) -> int:
    try:
        return int(raw or "1")
    except ValueError as exc:
        raise InputError(f"the page must be a whole number, not {raw[:20]!r}") from exc


@router.get("/search")
def search_page(request: Request, actor: PageActor, s: PageSession) -> Response:
    """Results of the header's search box, a page at a time, filtered by kind."""
    q = request.query_params
    text, kind = q.get("q") or "", q.get("kind") or ""
    error, results = None, None
    try:
        results = search.search(s, actor, text, kind, _page_number(q.get("page") or ""))
    except InputError as exc:
        error = exc.message
    return page(
        request,
        "search.html",
        status=400 if error else 200,
        me=_me(s, actor),
        query=text[: search.MAX_QUERY],
        kind=kind if kind in search.KINDS else "",
        kinds=search.KINDS,
        results=results,
        error=error,
        marked=marked,
    )
