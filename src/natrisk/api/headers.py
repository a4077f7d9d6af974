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
# FastAPI's Swagger UI and ReDoc load their code from a CDN and start it with an inline script.
# They show the OpenAPI schema and no stored data, so they get a looser policy of their own,
# deliberately, rather than weakening the one every natrisk page has.
_CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = (
    f"default-src 'self'; script-src 'self' 'unsafe-inline' {_CDN}; "
    f"style-src 'self' 'unsafe-inline' {_CDN} https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")
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
