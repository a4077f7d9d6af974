"""Rendering pages: the Jinja2 environment, language, CSRF token and page context."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from natrisk import __version__
from natrisk.i18n import LANGUAGES, translations

TEMPLATES = Path(__file__).parent / "templates"
LANG_COOKIE = "natrisk_lang"
CSRF_COOKIE = "natrisk_csrf"
_ENVS: dict[str, jinja2.Environment] = {}


def environment(lang: str) -> jinja2.Environment:
    """One Jinja2 environment per language, with gettext installed."""
    env = _ENVS.get(lang)
    if env is None:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            extensions=["jinja2.ext.i18n"],
            undefined=jinja2.StrictUndefined,
        )
        env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
        _ENVS[lang] = env
    return env


def language(request: Request) -> str:
    """The page language: ?lang=, then the cookie, then the browser's preference, then English."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if asked in LANGUAGES:
        return str(asked)
    accept = request.headers.get("accept-language", "")
    return "nl" if accept.lower().startswith("nl") else "en"


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser (double-submit: cookie and form field must match)."""
    return request.cookies.get(CSRF_COOKIE) or request.state.__dict__.setdefault(
        "new_csrf", secrets.token_urlsafe(24)
    )


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page or an HTMX fragment (templates starting with '_' are fragments)."""
    lang = language(request)
    token = csrf_token(request)
    context.setdefault("me", None)
    html = (
        environment(lang)
        .get_template(template)
        .render(
            request=request,
            lang=lang,
            csrf=token,
            version=__version__,
            path=request.url.path,
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=3600 * 24 * 365)
    if "new_csrf" in request.state.__dict__:
        response.set_cookie(CSRF_COOKIE, token, samesite="strict", httponly=False)
    return response


def error_page(request: Request, exc: Exception, status: int | None = None) -> HTMLResponse:
    """An error as a page (or, for HTMX, a message fragment), with the right status."""
    code = status or int(getattr(exc, "status", 500))
    message = getattr(exc, "message", str(exc))
    problems = getattr(exc, "problems", [])
    if request.headers.get("hx-request"):
        # HTMX swaps only 2xx responses by default: say it in the fragment, with status 200
        return page(
            request, "_message.html", status=200, kind="error", message=message, problems=problems
        )
    return page(
        request, "error.html", status=code, code=code, message=message, problems=problems, me=None
    )
