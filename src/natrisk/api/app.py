"""The ASGI application: error shape, body limit, routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from natrisk import __version__
from natrisk.api import access_log
from natrisk.api.headers import SecurityHeaders, security_headers
from natrisk.api.inflight import InFlight, limit_for_pool
from natrisk.errors import NatriskError, OutputError, Unavailable, WorkbookError
from natrisk.io import long_numbers
from natrisk.store.database import Database

MAX_BODY = 25 * 1024 * 1024
STATIC = Path(__file__).resolve().parent.parent / "web" / "static"
# answers of at least 1 KB are gzipped for clients that take it (PDFs and images are
# compressed already); level 6 costs a third of level 9's time for nearly the same size
COMPRESSION: dict[str, Any] = {
    "minimum_size": 1024,
    "compresslevel": 6,
    "exclude_content_types": (*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/pdf"),
}


def error_body(
    status: int, kind: str, message: str, problems: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """The one error shape of the API."""
    body: dict[str, Any] = {"error": {"status": status, "type": kind, "message": message}}
    if problems:
        body["error"]["problems"] = problems
    return body


class BodyLimit:
    """Refuse request bodies over the limit (declared or streamed) with 413."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or {}).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(send)
            return
        seen = 0
        too_large = False

        async def limited() -> Message:
            nonlocal seen, too_large
            if too_large:
                return {"type": "http.disconnect"}
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                too_large = True  # stop the app reading; it will see a disconnected client
                return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            if not too_large:
                await send(message)

        try:
            await self.app(scope, limited, guarded)
        except Exception:
            if not too_large:
                raise
        if too_large:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        response = JSONResponse(
            error_body(413, "PayloadTooLarge", f"request body over {self.limit // 1048576} MB"), 413
        )
        await response({"type": "http"}, _empty_receive, send)


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}


def _api_reference(app: FastAPI) -> None:
    """Swagger UI at /docs from static/vendor (copied from the npm package by make)."""
    from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="natrisk API",
            swagger_js_url="/static/vendor/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui.css",
            swagger_favicon_url="/static/vendor/swagger-favicon.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def oauth2_redirect() -> Response:
        return get_swagger_ui_oauth2_redirect_html()


def create_app(db: Database | None = None) -> FastAPI:
    """The natrisk API on a database (the default database when none is given)."""
    from natrisk.api import (
        routes_accounts,
        routes_admin,
        routes_analysis,
        routes_editions,
        routes_foresight,
        routes_frameworks,
        routes_picture,
        routes_plans,
        routes_search,
        routes_signals,
        routes_stacking,
        routes_writing,
    )
    from natrisk.web import (
        account_pages,
        admin_pages,
        comment_pages,
        deepdive_form,
        foresight_pages,
        pages,
        plan_pages,
        signal_pages,
        stacking_pages,
        start_pages,
        writing_pages,
    )
    from natrisk.web.render import error_page
    from natrisk.web.session import SignInRequired, login_url

    app = FastAPI(
        title="natrisk",
        version=__version__,
        description="National security risk assessment: editions, scenarios, scores, assessments.",
        docs_url=None,  # served below from natrisk's own files: no CDN, works offline
        redoc_url=None,
    )
    _api_reference(app)
    app.state.db = db or Database()

    @app.exception_handler(NatriskError)
    async def _natrisk(request: Request, exc: NatriskError) -> Response:
        if not request.url.path.startswith("/api"):
            return error_page(request, exc)
        problems = None
        if isinstance(exc, WorkbookError) or getattr(exc, "problems", None):
            problems = [
                {"file": p.file, "where": p.where, "field": p.field, "message": p.message}
                for p in getattr(exc, "problems", [])
            ]
        status = exc.status if 400 <= exc.status < 600 else 500
        retry = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Unavailable) else None
        return JSONResponse(
            error_body(status, type(exc).__name__, exc.message, problems), status, headers=retry
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # a bug still answers in the error shape (the traceback goes to the server's log)
        fault = OutputError("internal error; the request was not completed")
        if not request.url.path.startswith("/api"):
            response: Response = error_page(request, fault, 500)
        else:
            response = JSONResponse(error_body(500, "InternalError", fault.message), 500)
        # Starlette answers an unhandled error outside every middleware: set them here
        response.headers.update(security_headers(request.url.path))
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if not request.url.path.startswith("/api"):
            return error_page(request, NatriskError("the address or form is not valid"), 404)
        problems = [
            {
                "file": "",
                "where": "request",
                "field": ".".join(str(p) for p in e["loc"]),
                "message": str(e["msg"]),
            }
            for e in exc.errors()
        ]
        return JSONResponse(
            error_body(422, "ValidationError", "the request is not valid", problems), 422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not request.url.path.startswith(("/api", "/static", "/docs", "/openapi")):
            return error_page(request, NatriskError(str(exc.detail)), exc.status_code)
        if exc.status_code == 413:
            return JSONResponse(error_body(413, "PayloadTooLarge", str(exc.detail)), 413)
        if exc.status_code == 400 and long_numbers.refused_by_python(exc.__cause__):
            # valid JSON, but with a whole number Python will not read (io/long_numbers.py)
            message = f"the request body holds a number too long to read; {long_numbers.HOW}"
            return JSONResponse(error_body(400, "InputError", message), 400)
        if exc.status_code == 400 and "parsing the body" in str(exc.detail):
            # a body that is not even text (e.g. not UTF-8) is invalid JSON like any other
            return JSONResponse(
                error_body(422, "ValidationError", "the request body is not valid JSON"), 422
            )
        return JSONResponse(
            error_body(exc.status_code, "HTTPError", str(exc.detail)), exc.status_code
        )

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        target = login_url(exc.next_path, exc.expired)
        if request.headers.get("hx-request"):
            return Response(status_code=200, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    app.include_router(routes_accounts.router)
    app.include_router(routes_admin.router)
    app.include_router(routes_writing.router)  # before /{edition_id} routes: /empty is a path
    app.include_router(routes_editions.router)
    app.include_router(routes_picture.router)
    app.include_router(routes_analysis.router)
    app.include_router(routes_stacking.router)
    app.include_router(routes_plans.router)
    app.include_router(routes_foresight.router)
    app.include_router(routes_signals.router)
    app.include_router(routes_signals.feed_router)
    app.include_router(routes_frameworks.router)
    app.include_router(routes_search.router)
    app.include_router(writing_pages.router)  # first: /editions/new is not an edition id
    app.include_router(deepdive_form.router)
    app.include_router(admin_pages.router)
    app.include_router(start_pages.router)  # before pages: "/" is the start page
    app.include_router(pages.router)
    app.include_router(comment_pages.router)
    app.include_router(plan_pages.router)
    app.include_router(foresight_pages.router)
    app.include_router(signal_pages.router)
    app.include_router(stacking_pages.router)
    app.include_router(account_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # fewer requests inside than connections (api/inflight.py)
    gate = limit_for_pool(app.state.db.engine.pool)
    app.add_middleware(InFlight, limit=gate)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(GZipMiddleware, **COMPRESSION)  # large JSON and pages
    app.add_middleware(SecurityHeaders)  # a 413 of the body limit gets them too
    log = access_log.logger()  # outside the rest: every answer is logged, with its user
    if log is not None:
        app.add_middleware(access_log.AccessLog, log=log)
    return app


class BodyLimitMiddleware(BodyLimit):
    """BodyLimit with the default limit, in the form Starlette's add_middleware expects."""
