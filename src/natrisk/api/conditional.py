"""Conditional reads: an ETag on expensive answers, and 304 Not Modified when it still holds.

A tag is an HMAC (with this database's key) of everything the answer depends on: the
edition's id and version in the database (every change bumps it, in any web process), the
reader's clearance and role, and the request's parameters; pages add the user and their
session, since a page carries its CSRF token. A reader therefore never gets a 304 for a
copy that is stale or that someone of a higher clearance fetched. The tag is computed only
after access was checked, so a 304 is never an answer to someone who may not read at all.

Tags are weak (``W/"…"``): the same tag holds for the gzipped and the plain body.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session

from natrisk import __version__
from natrisk.services.access import Actor
from natrisk.services.signins import signing_key
from natrisk.store.models import Edition

CACHE_CONTROL = "private, no-cache"  # a browser may keep it, but asks again every time
VARY = "Authorization, Cookie, Accept-Encoding"
GZIP_MINIMUM = 1024  # smaller answers go as they are (api/app.py compresses the rest alike)
_LOCK = threading.Lock()
_BODIES: OrderedDict[tuple[str, str], bytes] = OrderedDict()  # (tag, encoding) -> bytes
CAPACITY = 64


def edition_tag(
    session: Session, actor: Actor, edition: Edition, role: str, *params: object
) -> str:
    """The tag of a read of ``edition`` by ``actor`` with ``params``."""
    parts: list[Any] = [
        __version__,
        edition.id,
        edition.version,
        actor.clearance,
        role,
        actor.is_admin,
        *params,
    ]
    text = json.dumps(parts, default=str, separators=(",", ":"))
    mac = hmac.new(signing_key(session, "etag"), text.encode(), hashlib.sha256)
    return f'W/"{mac.hexdigest()[:32]}"'


def page_tag(
    request: Request, session: Session, actor: Actor, edition: Edition, role: str, *seen: object
) -> str:
    """The tag of a page about ``edition``: also the user, their session (the page carries its
    CSRF token), the query and what else the page shows (``seen``)."""
    sign_in = getattr(request.state, "sign_in", None)
    return edition_tag(
        session,
        actor,
        edition,
        role,
        "page",
        request.url.path,
        actor.user_id,
        sign_in.sign_in_id if sign_in is not None else None,
        sorted(request.query_params.multi_items()),
        *seen,
    )


def _matches(header: str | None, tag: str) -> bool:
    """Whether If-None-Match names ``tag`` (weak comparison, as RFC 9110 asks for GET)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    bare = tag.removeprefix("W/")
    return any(t.strip().removeprefix("W/") == bare for t in header.split(","))


def not_modified(request: Request, tag: str) -> Response | None:
    """A 304 when the client's copy carries ``tag``; None when the answer must be sent."""
    if not _matches(request.headers.get("if-none-match"), tag):
        return None
    return Response(status_code=304, headers=_headers(tag))


def tagged(response: Response, tag: str) -> Response:
    """``response`` with its tag and the caching rules that go with it."""
    response.headers.update(_headers(tag))
    return response


def _headers(tag: str) -> dict[str, str]:
    return {"ETag": tag, "Cache-Control": CACHE_CONTROL, "Vary": VARY}


def _accepts_gzip(request: Request) -> bool:
    # the same test as the compression middleware's, so both answer a client alike
    return "gzip" in request.headers.get("accept-encoding", "")


def _remembered(tag: str, encoding: str, make: Callable[[], bytes]) -> bytes:
    """The body of ``tag`` in ``encoding``, made once per tag (a tag names one content)."""
    key = (tag, encoding)
    with _LOCK:
        hit = _BODIES.get(key)
        if hit is not None:
            _BODIES.move_to_end(key)
            return hit
    body = make()
    with _LOCK:
        _BODIES[key] = body
        while len(_BODIES) > CAPACITY:
            _BODIES.popitem(last=False)
    return body


def send(
    request: Request, tag: str, media_type: str, build: Callable[[], bytes], keep: bool = True
) -> Response:
    """The answer of ``tag``: 304 when the client has it, else the body, gzipped once when the
    client takes gzip. ``keep`` remembers the plain body too (for answers whose making is
    expensive and not cached elsewhere)."""
    unchanged = not_modified(request, tag)
    if unchanged is not None:
        return unchanged
    plain = _remembered(tag, "identity", build) if keep else build()
    if len(plain) >= GZIP_MINIMUM and _accepts_gzip(request):
        body = _remembered(tag, "gzip", lambda: gzip.compress(plain, compresslevel=3, mtime=0))
        response = Response(body, media_type=media_type, headers={"Content-Encoding": "gzip"})
    else:
        response = Response(plain, media_type=media_type)
    return tagged(response, tag)
