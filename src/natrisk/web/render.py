"""Rendering pages: the Jinja2 environment, language, CSRF token and page context."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from natrisk import __version__
from natrisk.domain.edition import class_text
from natrisk.i18n import LANGUAGES, format_number, method_label, profile_label, translations
from natrisk.web.markdown import render_markdown

TEMPLATES = Path(__file__).parent / "templates"
LANG_COOKIE = "natrisk_lang"
_ENVS: dict[str, jinja2.Environment] = {}
# JSON never needs these characters outside its strings, so their \u escapes mean the same to
# JSON.parse, while HTML can no longer read "</script>", "<!--", an entity or a quote in them
_HTML_JSON = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "'": "\\u0027",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)


def rank_chart(result: dict[str, Any], lang: str) -> dict[str, Any]:
    """The rank-interval chart of a sensitivity run's result (drawn by vega-embed)."""
    from natrisk.report.diagram import rank_interval_spec

    return rank_interval_spec(result, lang)


def html_json(value: Any) -> Markup:
    """JSON that cannot end the element or attribute it is put in (a str is JSON text already).

    Every JSON a template embeds (``<script type="application/json">``, ``hx-headers``) goes
    through this one filter; the pages hand over specs serialised once (they are cached).
    """
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return Markup(text.translate(_HTML_JSON))  # escaped just above


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
        env.filters["html_json"] = html_json
        env.filters["class_text"] = class_text
        env.filters["markdown"] = render_markdown
        env.filters["number"] = lambda value, digits=6: format_number(value, lang, digits)
        env.globals["method_label"] = lambda method: method_label(method, lang)
        env.globals["rank_interval_spec"] = lambda result: rank_chart(result, lang)
        env.globals["profile_label"] = lambda fw, profile: profile_label(fw, profile, lang)
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
    """This session's CSRF token (an HMAC of the session), or the sign-in form's token."""
    found = getattr(request.state, "sign_in", None)
    if found is not None:
        return str(found.csrf)
    return str(getattr(request.state, "login_csrf", ""))


def lang_url(request: Request, code: str) -> str:
    """This page in another language, keeping its state (method, profile, uncertainty, ...)."""
    from urllib.parse import urlencode

    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return f"{request.url.path}?{urlencode([*kept, ('lang', code)])}"


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
            lang_url=lambda code: lang_url(request, code),
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=3600 * 24 * 365)
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
