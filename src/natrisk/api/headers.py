"""Security headers on every response: content policy, framing, MIME sniffing, referrer."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Scripts only from natrisk's own static files: no inline code and no eval (charts interpret
# their expressions, see web/static/natrisk.js), so markup that slips into a page cannot run.
# Inline styles stay allowed: vega-embed, vega-tooltip and htmx insert <style> elements and the
# pages colour heat-map cells with style attributes; CSS cannot run script in today's browsers.
# img-src takes data: and blob: for the favicon and the charts' PNG/SVG export.
CSP = (
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'; img-src 'self' data: blob:; "
    "style-src 'self' 'unsafe-inline'"
)
# The API reference (Swagger UI) is served from natrisk itself (static/vendor, no CDN: it works
# without internet access) and FastAPI starts it with an inline script, so /docs gets a policy
# of its own, deliberately, rather than weakening the one every natrisk page has.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect")
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: a form post returns to the page it came from by its
    # Referer (web/session.py), while other sites never see natrisk's addresses
    "Referrer-Policy": "same-origin",
}


def policy_for(path: str) -> str:
    """The Content-Security-Policy of a path: the strict one except on the API docs."""
    return DOCS_CSP if path in DOCS_PATHS else CSP


def security_headers(path: str) -> dict[str, str]:
    """Every security header of a response to ``path``."""
    return {"Content-Security-Policy": policy_for(path), **HEADERS}


class SecurityHeaders:
    """Add the security headers to every HTTP response the app sends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = policy_for(scope.get("path", ""))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = policy
                for name, value in HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)
