"""Security headers on every response: pages, API JSON, static files, errors and the API docs.

The app runs through httpx's ASGI transport on a real SQLite file with one administrator and
one small edition; pages are asked for with the session cookie, the API with a bearer token.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_support import Http, small_raw

from natrisk.api.app import MAX_BODY, create_app
from natrisk.io.workbook import parse_workbook
from natrisk.services import accounts, workspace
from natrisk.services.access import Actor
from natrisk.store.database import Database

STRICT = (
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'; img-src 'self' data: blob:; "
    "style-src 'self' 'unsafe-inline'"
)


class Site:
    """The app, a signed-in browser (cookie), an API client (token) and a stranger."""

    def __init__(self, db: Database) -> None:
        with db.session() as s:
            user = accounts.add_user(
                s, "admin", "admin-correct-horse-battery", "org1", "Openbaar", True
            )
            token = accounts.issue_token(user)
            edition = workspace.import_workbook(
                s,
                None,
                parse_workbook(small_raw("headers-2026", "Headers"), {}, "h"),
                Actor.of(user),
            )
            self.edition = edition.id
        self.http = Http(create_app(db))
        self.browser = self.http.client(headers={"Cookie": f"natrisk_session={token}"})
        self.api = self.http.client(token)
        self.anon = self.http.client()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, api_environment: None) -> Iterator[Site]:
    db = Database(f"sqlite:///{Path(tmp_path_factory.mktemp('headers')) / 'natrisk.db'}")
    site = Site(db)
    yield site
    site.http.close()
    db.close()


def assert_secured(r: httpx.Response, csp: str = STRICT) -> None:
    """The four headers, exactly as natrisk sends them."""
    where = f"{r.request.method} {r.request.url.path} ({r.status_code})"
    assert r.headers.get("content-security-policy") == csp, where
    assert r.headers.get("x-frame-options") == "DENY", where
    assert r.headers.get("x-content-type-options") == "nosniff", where
    # same-origin keeps the Referer that a form post returns by (web/session.py)
    assert r.headers.get("referrer-policy") == "same-origin", where


def test_pages_carry_the_strict_policy(site: Site) -> None:
    for path in (
        "/login",
        "/editions",
        f"/editions/{site.edition}",
        f"/editions/{site.edition}/diff",
    ):
        r = site.browser.get(path)
        assert r.status_code == 200, (path, r.status_code)
        assert r.headers["content-type"].startswith("text/html")
        assert_secured(r)
    # a redirect to the sign-in page, and an HTMX fragment
    r = site.anon.get(f"/editions/{site.edition}")
    assert r.status_code == 303
    assert_secured(r)
    r = site.browser.get(f"/editions/{site.edition}?theme=cyber", headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text
    assert_secured(r)


def test_api_json_and_reports_carry_them(site: Site) -> None:
    for path in (
        "/api/me",
        "/api/editions",
        f"/api/editions/{site.edition}/scenarios",
        f"/api/editions/{site.edition}/report.html",
        "/openapi.json",
    ):
        r = site.api.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        assert_secured(r)


def test_static_files_carry_them(site: Site) -> None:
    for path in ("/static/natrisk.js", "/static/forms.js", "/static/natrisk.css"):
        r = site.anon.get(path)
        assert r.status_code == 200, path
        assert_secured(r)


def test_error_responses_carry_them(site: Site) -> None:
    cases = [
        (site.anon.get("/api/me"), 401),
        (site.api.get("/api/editions/987654"), 404),
        (site.api.get("/api/nothing-here"), 404),
        (site.browser.get("/nothing-here"), 404),  # the HTML error page
        (site.browser.get("/editions/987654"), 404),
        (site.anon.get("/static/no-such-file.js"), 404),
        (site.api.post(f"/api/editions/{site.edition}/copy", json={"slug": "x"}), 422),
        (
            site.api.post(
                "/api/editions",
                content=b"{}",
                headers={"content-type": "application/json", "content-length": str(MAX_BODY + 1)},
            ),
            413,  # refused by the body limit, before the app
        ),
    ]
    for r, status in cases:
        assert r.status_code == status, (r.request.url.path, r.status_code, r.text[:300])
        assert_secured(r)
    page = site.browser.get("/nothing-here")
    assert page.headers["content-type"].startswith("text/html")


def test_the_api_docs_get_their_own_looser_policy(site: Site) -> None:
    """Swagger UI (served by natrisk itself) starts with an inline script; no stored data is
    on it, and nothing comes from another site."""
    r = site.anon.get("/docs")
    assert r.status_code == 200 and "swagger-ui" in r.text
    csp = r.headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-inline';" in csp and "https:" not in csp
    assert "/static/vendor/swagger-ui-bundle.js" in r.text and "cdn" not in r.text.lower()
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert site.anon.get(f"/static/vendor/{asset}").status_code == 200, asset
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "unsafe-eval" not in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    # only the docs: the schema they read and every page keep the strict policy
    assert_secured(site.anon.get("/openapi.json"))
    assert_secured(site.anon.get("/docs-not-really"))


def test_an_unexpected_error_answers_with_the_headers_too(tmp_path: Path) -> None:
    """Starlette answers an unhandled exception outside the middleware stack; the handler
    itself sets the headers, so even a bug's 500 carries the policy."""
    import asyncio

    db = Database(f"sqlite:///{tmp_path / 'natrisk.db'}")
    app = create_app(db)

    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/broken-for-test", broken)
    app.add_api_route("/broken-for-test", broken)

    async def get(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            return await c.get(path)

    try:
        for path in ("/api/broken-for-test", "/broken-for-test"):
            r = asyncio.run(get(path))
            assert r.status_code == 500
            assert r.headers["content-security-policy"] == STRICT, path
            assert r.headers["x-frame-options"] == "DENY"
            assert r.headers["x-content-type-options"] == "nosniff"
            assert "a bug" not in r.text
    finally:
        db.close()
