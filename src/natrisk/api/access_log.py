"""The access log: one line per request, with who asked and without secrets.

``2026-12-02T07:31:02Z 127.0.0.1 analyst1 "GET /editions/3?lang=…" 200 41ms``

The query string keeps its names, never its values (a feed token, a search, a return
address), and the token of a password-reset link is left out of its path; cookies,
``Authorization`` headers and bodies are never written. ``NATRISK_ACCESS_LOG`` says where the
lines go: ``-`` (standard error, the default), a file path, or ``off``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import sys
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SETTING = "NATRISK_ACCESS_LOG"
LOGGER = "natrisk.access"
# a path segment that is a secret: the token of a reset link
_SECRET_SEGMENTS = re.compile(r"^(/reset/)[^/]+")


def logger() -> logging.Logger | None:
    """The access logger as the setting asks for, set up once; None when it is off."""
    where = os.environ.get(SETTING, "-").strip() or "-"
    if where.lower() == "off":
        return None
    log = logging.getLogger(LOGGER)
    if getattr(log, "_natrisk_where", None) != where:
        for old in list(log.handlers):
            log.removeHandler(old)
        handler: logging.Handler = (
            logging.StreamHandler(sys.stderr) if where == "-" else logging.FileHandler(where)
        )
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
        log._natrisk_where = where  # type: ignore[attr-defined]
    return log


def shown_path(scope: Scope) -> str:
    """The path as the log shows it: secrets in the path and every query value left out."""
    path = _SECRET_SEGMENTS.sub(r"\1…", str(scope.get("path", "")))
    query = scope.get("query_string", b"").decode("latin-1")
    if query:
        names = [part.split("=", 1)[0] for part in query.split("&") if part]
        path += "?" + "&".join(f"{name}=…" for name in names)
    return path


def who(scope: Scope) -> str:
    """The signed-in user of a request (as the app found them), or '-'."""
    state: dict[str, Any] = scope.get("state") or {}
    found = state.get("sign_in")
    actor = getattr(found, "actor", None)
    return str(getattr(actor, "username", "") or "-")


class AccessLog:
    """ASGI middleware writing one line per HTTP request once its answer has started."""

    def __init__(self, app: ASGIApp, log: logging.Logger) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})  # the app's request.state: it names the user there
        start = time.perf_counter()
        status = [500]

        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, noting)
        finally:
            client = scope.get("client") or ("-", 0)
            took = (time.perf_counter() - start) * 1000
            when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            self.log.info(
                '%s %s %s "%s %s" %d %.0fms',
                when,
                client[0],
                who(scope),
                scope.get("method", "-"),
                shown_path(scope),
                status[0],
                took,
            )
