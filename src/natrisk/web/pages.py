"""The pages: each route checks the browser's user, calls a service and renders a template."""

from __future__ import annotations

import json
import secrets
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from natrisk.api.deps import CSRF_COOKIE, SESSION_COOKIE, Id, OptionalId, database
from natrisk.api.downloads import attachment
from natrisk.api.routes_accounts import client_address
from natrisk.errors import InputError, NatriskError, WorkbookError
from natrisk.i18n import translator
from natrisk.method.aggregation import METHODS
from natrisk.security import ROLES, TRANSITIONS, allows, level_name, levels
from natrisk.services import accounts, editing, review, runs, scenarios, signins, workspace
from natrisk.services.access import Actor, edition_for, may_import, scenario_for, visible_editions
from natrisk.services.analysis import assessment_for
from natrisk.store.database import Database
from natrisk.store.models import Edition, User
from natrisk.web import run_pages
from natrisk.web.render import language, page
from natrisk.web.session import PageActor, PageSession, check_csrf, text_field

router = APIRouter(include_in_schema=False)
router.include_router(run_pages.router)  # the run fragment, cancel and retry
_DRAWN: dict[tuple[Any, ...], dict[str, Any]] = {}
_DRAWN_LOCK = threading.Lock()
HEAT_ROWS = 100  # rows of the heat map on the page (the highest ranked); the rest on request
Csrf = Depends(check_csrf)


LOGIN_COOKIE = "natrisk_login"


@router.get("/login")
def login_form(
    request: Request,
    db: Annotated[Database, Depends(database)],
    next: str = "/",
    expired: int = 0,
) -> Response:
    """The sign-in form, with a CSRF token bound to a fresh cookie of this browser."""
    nonce = secrets.token_urlsafe(24)
    with db.session(write=False) as s:
        request.state.login_csrf = signins.login_csrf(s, nonce)
    response = page(request, "login.html", next=_safe_next(next), expired=bool(expired), error=None)
    response.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="strict", max_age=3600)
    return response


def _safe_next(target: str) -> str:
    """A path on this site to return to (a full URL keeps only its path): never an open redirect."""
    from urllib.parse import urlsplit

    parts = urlsplit(target)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if parts.scheme and parts.scheme not in ("http", "https"):
        return "/editions"
    return path if path.startswith("/") and not path.startswith("//") else "/editions"


@router.post("/login")
async def login(request: Request, db: Annotated[Database, Depends(database)]) -> Response:
    """Check the form's CSRF token and the credentials, set the session cookie, go back."""
    form = await request.form()
    username = text_field(form.get("username"), "username", 100)
    password = form.get("password") if isinstance(form.get("password"), str) else ""
    target = _safe_next(str(form.get("next") or "/"))
    nonce = request.cookies.get(LOGIN_COOKIE) or ""
    sent = form.get("csrf_token")
    with db.session(write=False) as s:
        expected = signins.login_csrf(s, nonce) if nonce else ""
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        _ = translator(language(request))
        return _login_again(
            request, db, 403, target, _("The sign-in form has expired; please try again.")
        )
    agent = request.headers.get("user-agent") or ""
    try:
        # argon2 takes a tenth of a second: off the event loop, so other requests go on
        done = await run_in_threadpool(
            accounts.sign_in, db, username, str(password), client_address(request), "browser", agent
        )
    except (accounts.Unauthorized, accounts.TooManyAttempts) as exc:
        return _login_again(request, db, exc.status, target, exc.message)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE, done.token, httponly=True, samesite="lax", max_age=signins.token_age()
    )
    response.delete_cookie(LOGIN_COOKIE)
    return response


def _login_again(request: Request, db: Database, status: int, target: str, error: str) -> Response:
    """The sign-in form again, with a message and a fresh token."""
    nonce = secrets.token_urlsafe(24)
    with db.session(write=False) as s:
        request.state.login_csrf = signins.login_csrf(s, nonce)
    response = page(request, "login.html", status=status, next=target, expired=False, error=error)
    response.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="strict", max_age=3600)
    return response


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request, s: PageSession) -> Response:
    """Sign out: the session ends on the server, not only in this browser."""
    signins.end(s, request.state.sign_in.sign_in_id, "signed out")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


def _me(s: Any, actor: Actor) -> dict[str, Any]:
    user = s.get(User, actor.user_id)
    return {
        "username": actor.username,
        "name": user.display_name if user else actor.username,
        "clearance": level_name(actor.clearance),
        "admin": actor.is_admin,
        "may_import": may_import(s, actor),
    }


@router.get("/editions")
def editions(request: Request, actor: PageActor, s: PageSession) -> Response:
    """The editions this user may see."""
    rows = [(e, role) for e, role in visible_editions(s, actor)]
    # marked by the highest level of what the viewer sees in it, not only the edition's own
    highest = {e.id: workspace.highest_classification(s, e, actor.clearance) for e, _ in rows}
    return page(
        request,
        "editions.html",
        me=_me(s, actor),
        editions=rows,
        highest=highest,
        level_name=level_name,
    )


def _picture(request: Request, s: Any, actor: Actor, edition_id: Id) -> dict[str, Any]:
    """The risk picture's context: assessment, diagram spec with filters, heat map, interests."""
    from natrisk.report.diagram import diagram_spec
    from natrisk.report.document import report_context
    from natrisk.services.sensitivity import run_sensitivity

    q = request.query_params
    method = q.get("method") or "weighted-sum"
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}")
    edition, role = edition_for(s, actor, edition_id)
    profile = q.get("profile") or None
    a = assessment_for(s, actor, edition_id, method, profile)
    lang = request.query_params.get("lang") or request.cookies.get("natrisk_lang") or "en"
    lang = lang if lang in ("en", "nl") else "en"
    theme, interest = q.get("theme") or "", q.get("interest") or ""
    cache_key = (a.extra["token"], lang, theme, interest, bool(q.get("uncertainty")), edition_id)
    with _DRAWN_LOCK:
        drawn = _DRAWN.get(cache_key)
    if drawn is not None:
        return _with_viewer(drawn, edition, role, q.get("heat") == "all")
    data = a.to_json()
    keep = {
        r["id"]
        for r in data["scenarios"]
        if (not theme or r["theme"] == theme)
        and (not interest or r["interests"].get(interest, "X") != "X")
    }
    sens = (
        run_sensitivity(a.table, a.settings, samples=1000, seed=0) if q.get("uncertainty") else None
    )
    spec = diagram_spec(a, sens, lang, link=f"/editions/{edition_id}/scenarios/", only=keep)
    spec["width"] = "container"
    ctx = report_context(a, sens, lang)
    ctx["scenarios"] = [r for r in ctx["scenarios"] if r["id"] in keep]
    fw = a.table.framework
    drawn = {
        "spec": json.dumps(spec),
        "ctx": ctx,
        "fw": fw,
        "method": method,
        "profile": a.settings.profile,
        "theme": theme,
        "interest": interest,
        "uncertainty": bool(q.get("uncertainty")),
        "methods": METHODS,
        "profiles": list(fw.weights.profiles),
        "themes": sorted({r["theme"] for r in data["scenarios"]}),
        "shown": len(keep),
        "level_name": level_name,
        "roles": ROLES,
    }
    with _DRAWN_LOCK:  # what is drawn from one assessment is drawn once
        _DRAWN[cache_key] = drawn
        while len(_DRAWN) > 64:
            _DRAWN.pop(next(iter(_DRAWN)))
    return _with_viewer(drawn, edition, role, q.get("heat") == "all")


def _with_viewer(drawn: dict[str, Any], edition: Any, role: str, all_rows: bool) -> dict[str, Any]:
    """The shared drawing plus what depends on who is looking (role, workflow state)."""
    return {
        **drawn,
        "edition": edition,
        "role": role,
        "heat_rows": 10**6 if all_rows else HEAT_ROWS,
        "transitions": TRANSITIONS.get(edition.status, ()),
        "can_transition": allows(role, "transition"),
        "can_invite": allows(role, "invite"),
    }


@router.get("/editions/{edition_id}")
def picture(request: Request, edition_id: Id, actor: PageActor, s: PageSession) -> Response:
    """The risk picture: diagram, heat map, each interest's view, workflow (with an ETag)."""
    from natrisk.api.conditional import not_modified, page_tag, tagged
    from natrisk.services.access import NotFound
    from natrisk.services.plan_store import plans_of

    edition, role = edition_for(s, actor, edition_id)
    me = _me(s, actor)
    plans = plans_of(s, actor, edition_id)
    # what the page shows beside the edition (its version covers the rest): who looks, in
    # which language, as a fragment or a page, and the plans with their versions
    seen = (me, language(request), bool(request.headers.get("hx-request")))
    tag = page_tag(request, s, actor, edition, role, *seen, [(p.id, p.version) for p in plans])
    unchanged = not_modified(request, tag)
    if unchanged is not None:
        return unchanged
    try:
        ctx = _picture(request, s, actor, edition_id)
    except NotFound:
        edition, role = edition_for(s, actor, edition_id)  # a missing edition stays missing
        return page(
            request,
            "edition_empty.html",
            me=_me(s, actor),
            edition=edition,
            role=role,
            level_name=level_name,
            withdrawn=scenarios.withdrawn_of(s, actor, edition),
        )
    if request.headers.get("hx-request"):
        return tagged(page(request, "_picture.html", **ctx), tag)
    withdrawn = scenarios.withdrawn_of(s, actor, ctx["edition"])
    highest = workspace.highest_classification(s, ctx["edition"], actor.clearance)
    body = page(
        request,
        "picture.html",
        me=me,
        plans=plans,
        withdrawn=withdrawn,
        highest=highest,
        **ctx,
    )
    return tagged(body, tag)


@router.post("/editions/{edition_id}/transition", dependencies=[Csrf])
async def transition(
    request: Request, edition_id: Id, actor: PageActor, s: PageSession
) -> Response:
    """Move the edition along the workflow."""
    form = await request.form()
    workspace.transition(
        s,
        actor,
        edition_id,
        text_field(form.get("to"), "to", 20, True),
        text_field(form.get("reason"), "reason", 5000),
    )
    return RedirectResponse(f"/editions/{edition_id}", status_code=303)


def _scenario_ctx(s: Any, actor: Actor, edition_id: Id, slug: str) -> dict[str, Any]:
    from natrisk.services.scoring import resolve

    edition, role = edition_for(s, actor, edition_id)
    rec = scenario_for(s, actor, edition, slug)
    fw = workspace.framework_of(s, edition)
    scen = workspace.scenario_of(rec, actor.clearance)
    assert scen is not None
    book = editing._probe_book(edition, scen)
    table = resolve(book, fw)
    ids = fw.impact_classes.ids
    stored = {x.criterion: x for x in rec.scores}
    rows = []
    for j, crit in enumerate(fw.criteria):
        score = scen.impacts.get(crit.id)
        lo, hi = int(table.low[0, j]), int(table.high[0, j])
        rows.append(
            {
                "crit": crit,
                "score": score,
                "version": stored[crit.id].version if crit.id in stored else 0,
                "withheld": crit.id in stored
                and stored[crit.id].rationale_classification > actor.clearance,
                # a three-point estimate shows its expected class; a range its two ends
                "klass": ids[int(table.point[0, j])]
                if score is not None and score.expected is not None
                else ids[lo]
                if lo == hi
                else f"{ids[lo]}-{ids[hi]}",
                "history": editing.score_history(s, actor, edition_id, slug, crit.id),
                "hidden": False,
            }
        )
    invited = review.is_invited(s, actor, rec)
    judgements = review.session_summary(s, actor, edition_id, slug)
    if role == "expert" and review.blind_judgements():  # their own judgement comes first
        for row, crit in zip(rows, fw.criteria, strict=True):
            row["hidden"] = crit.id not in judgements
    return {
        "edition": edition,
        "role": role,
        "rec": rec,
        "scen": scen,
        "fw": fw,
        "rows": rows,
        "ids": ids,
        "can_edit": allows(role, "edit") and edition.status in ("draft", "review"),
        "can_comment": allows(role, "comment") and edition.status not in review.CLOSED,
        "review_closed": edition.status in review.CLOSED,
        "can_judge": role == "expert" and invited,
        "comments": review.comments(s, actor, edition_id, slug),
        "judgements": judgements,
        "level_name": level_name,
        "themes": scenarios.themes_of(s, edition),
        "levels": levels()[: actor.clearance + 1],
    }


@router.get("/editions/{edition_id}/scenarios/{slug}")
def scenario(
    request: Request, edition_id: Id, slug: str, actor: PageActor, s: PageSession
) -> Response:
    """A scenario: description, likelihood, each score beside the framework's scale."""
    return page(
        request, "scenario.html", me=_me(s, actor), **_scenario_ctx(s, actor, edition_id, slug)
    )


def _number(text: str, lang: str, field: str) -> float:
    """A typed number read by the page's language; a located error says what was typed."""
    from natrisk.i18n import parse_number

    try:
        return parse_number(text, lang)
    except ValueError as exc:
        raise InputError(f"{field}: {exc}") from exc


def _quantities(form: Any, lang: str) -> dict[str, Any] | None:
    """The quantity (min, optional max) or the quantity per axis a form holds, if any."""
    _ = translator(lang)
    low = text_field(form.get("min"), "minimum", 50)
    if low:
        high = text_field(form.get("max"), "maximum", 50)
        q = {"min": _number(low, lang, _("quantity")), "max": 0.0}
        q["max"] = _number(high, lang, _("upper end")) if high else q["min"]
        return {"quantity": q}
    axes: dict[str, dict[str, float]] = {}
    for key in form:
        name = key[5:-4] if key.startswith("axis-") and key.endswith("-min") else ""
        low = text_field(form.get(key), name, 50) if name else ""
        if low:
            high = text_field(form.get(f"axis-{name}-max"), name, 50)
            axes[name] = {"min": _number(low, lang, name)}
            axes[name]["max"] = _number(high, lang, name) if high else axes[name]["min"]
    return {"quantity": axes} if axes else None


def _score_value(form: Any, lang: str = "en") -> dict[str, Any]:
    """The score a form describes: a class (or range), a quantity (or min-max), or axes."""
    klass = text_field(form.get("class"), "class", 20)
    value: dict[str, Any] = {"class": klass} if klass else _quantities(form, lang) or {}
    if not value:
        raise InputError(translator(lang)("give a class (such as C or B-C) or a quantity"))
    value["rationale"] = text_field(form.get("rationale"), "rationale")
    value["sources"] = [
        line.strip()
        for line in text_field(form.get("sources"), "sources").splitlines()
        if line.strip()
    ]
    return value


@router.post("/editions/{edition_id}/scenarios/{slug}/scores/{criterion}", dependencies=[Csrf])
async def save_score(
    request: Request, edition_id: Id, slug: str, criterion: str, actor: PageActor, s: PageSession
) -> Response:
    """Save one score; a stale version gives the conflict message instead of overwriting."""
    form = await request.form()
    try:
        version = int(str(form.get("version") or "0"))
        saved = await run_in_threadpool(  # the database write, off the event loop
            editing.set_score,
            s,
            actor,
            edition_id,
            slug,
            criterion,
            _score_value(form, language(request)),
            version,
            text_field(form.get("reason"), "reason", 5000),
        )
    except (NatriskError, ValueError) as exc:
        s.rollback()
        status = getattr(exc, "status", 400)
        message = exc.message if isinstance(exc, NatriskError) else "the version must be a number"
        problems = exc.problems if isinstance(exc, WorkbookError) else []
        return page(
            request,
            "_message.html",
            status=200 if request.headers.get("hx-request") else status,
            kind="conflict" if status == 409 else "error",
            message=message,
            problems=problems,
        )
    # a new address (not only a #fragment), so the browser loads the saved score and version
    target = (
        f"/editions/{edition_id}/scenarios/{slug}"
        f"?saved=score-{criterion}&v={saved.version}#c-{criterion}"
    )
    if request.headers.get("hx-request"):  # htmx follows a 303 itself: tell it to navigate
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.get("/editions/{edition_id}/classify/{criterion}")
def classify(
    request: Request, edition_id: Id, criterion: str, actor: PageActor, s: PageSession
) -> Response:
    """The class the typed quantities fall in, shown live while an analyst types; a number
    that cannot be read, or one out of range, says so (and what the typed text was read as)."""
    from natrisk.domain.edition import Score
    from natrisk.i18n import format_number
    from natrisk.services.scoring import classify_score

    edition, _role = edition_for(s, actor, edition_id)
    fw = workspace.framework_of(s, edition)
    crit = fw.criterion(criterion)
    lang = language(request)
    _ = translator(lang)
    text, error, read = "", "", ""
    try:
        found = _quantities(request.query_params, lang) if crit is not None else None
        if found is not None:
            q = found["quantity"]
            ranges = [q] if "min" in q else list(q.values())
            read = ", ".join(
                format_number(r["min"], lang, 15, grouped=False)
                + ("" if r["min"] == r["max"] else " – " + format_number(r["max"], lang, 15, False))
                for r in ranges
            )
            text = classify_score(fw, crit, Score.model_validate(found))  # type: ignore[arg-type]
    except WorkbookError as exc:
        error = "; ".join(p.message for p in exc.problems) or exc.message
    except NatriskError as exc:
        error = exc.message
    except ValueError as exc:  # pydantic's, for a reversed range
        error = _("the upper end must not be below the lower end") if read else str(exc)
    typed = [v for k, v in request.query_params.items() if k in ("min", "max") or "axis-" in k]
    plain = all(t.strip().isdigit() or not t.strip() for t in typed)  # nothing to misread
    return page(request, "_classified.html", text=text, error=error, read="" if plain else read)


@router.post("/editions/{edition_id}/scenarios/{slug}/comments", dependencies=[Csrf])
async def comment(
    request: Request, edition_id: Id, slug: str, actor: PageActor, s: PageSession
) -> Response:
    """Add a review comment."""
    form = await request.form()
    typed = {k: str(form.get(k) or "") for k in ("body", "criterion")}
    try:
        review.add_comment(
            s,
            actor,
            edition_id,
            slug,
            text_field(form.get("body"), "comment", 20000, True),
            text_field(form.get("criterion"), "criterion", 50) or None,
            None,
        )
    except NatriskError as exc:  # the page again, the message at its field, the text kept
        s.rollback()
        problems = exc.problems if isinstance(exc, WorkbookError) else []
        errors = {p.field: p.message for p in problems} or {"body": exc.message}
        ctx = _scenario_ctx(s, actor, edition_id, slug)
        return page(
            request,
            "scenario.html",
            status=exc.status,
            me=_me(s, actor),
            comment_form={"typed": typed, "errors": errors},
            **ctx,
        )
    return RedirectResponse(f"/editions/{edition_id}/scenarios/{slug}#comments", status_code=303)


@router.post("/editions/{edition_id}/scenarios/{slug}/judgements/{criterion}", dependencies=[Csrf])
async def judge(
    request: Request, edition_id: Id, slug: str, criterion: str, actor: PageActor, s: PageSession
) -> Response:
    """An invited expert's judgement."""
    form = await request.form()
    review.judge(
        s,
        actor,
        edition_id,
        slug,
        criterion,
        text_field(form.get("class"), "class", 20, True),
        text_field(form.get("rationale"), "rationale"),
    )
    return RedirectResponse(f"/editions/{edition_id}/scenarios/{slug}#judgements", status_code=303)


@router.post("/editions/{edition_id}/invitations", dependencies=[Csrf])
async def invite(request: Request, edition_id: Id, actor: PageActor, s: PageSession) -> Response:
    """Invite experts (by username) to scenarios; gives them the expert role if they have none."""
    form = await request.form()
    slugs = [x for x in form.getlist("scenario") if isinstance(x, str)]
    typed = str(form.get("experts") or "")
    errors: dict[str, str] = {}
    try:
        names = text_field(form.get("experts"), "experts", 2000, True).replace(",", " ").split()
        if not slugs:
            errors["scenario"] = "choose at least one scenario"
        for name in names if slugs else []:
            try:
                edition_for(s, actor, edition_id, "invite")
                accounts.ensure_role(s, actor, edition_id, name, "expert")
                review.invite(s, actor, edition_id, name, slugs)
            except NatriskError as exc:
                errors["experts"] = (errors.get("experts", "") + f" {name}: {exc.message}").strip()
    except NatriskError as exc:
        errors["experts"] = exc.message
    if not errors:
        return RedirectResponse(f"/editions/{edition_id}?invited=1", status_code=303)
    s.rollback()  # nobody is invited when one name is wrong: the form says which, as typed
    from natrisk.services.plan_store import plans_of

    ctx = _picture(request, s, actor, edition_id)
    return page(
        request,
        "picture.html",
        status=400,
        me=_me(s, actor),
        plans=plans_of(s, actor, edition_id),
        withdrawn=scenarios.withdrawn_of(s, actor, ctx["edition"]),
        invite_form={"experts": typed, "scenarios": slugs, "errors": errors},
        **ctx,
    )


@router.get("/editions/{edition_id}/sensitivity")
def sensitivity_page(
    request: Request, edition_id: Id, actor: PageActor, s: PageSession, run: OptionalId = 0
) -> Response:
    """Start a sensitivity run and watch it."""
    edition, role = edition_for(s, actor, edition_id)
    state = runs.get(s, actor, run) if run else None
    fw = workspace.framework_of(s, edition)
    return page(
        request,
        "sensitivity.html",
        me=_me(s, actor),
        edition=edition,
        role=role,
        can_run=allows(role, "run"),
        run=state,
        methods=METHODS,
        fw=fw,
        profiles=list(fw.weights.profiles),
        mine=state is not None and (state["requested_by"] == actor.user_id or actor.is_admin),
    )


@router.post("/editions/{edition_id}/sensitivity", dependencies=[Csrf])
async def start_sensitivity(
    request: Request,
    edition_id: Id,
    actor: PageActor,
    s: PageSession,
) -> Response:
    """Queue a run; the page polls its progress."""
    form = await request.form()
    try:
        samples = int(str(form.get("samples") or "10000"))
    except ValueError as exc:
        raise InputError("the number of samples must be a whole number") from exc
    if not 100 <= samples <= 1_000_000:
        raise InputError("the number of samples must lie between 100 and 1,000,000")
    method = text_field(form.get("method"), "method", 20) or "weighted-sum"
    params = {
        "samples": samples,
        "seed": 0,
        "method": method,
        "profile": form.get("profile") or None,
        "weight_mode": text_field(form.get("weight_mode"), "weights", 10) or "around",
    }
    if params["weight_mode"] not in ("fixed", "around", "across"):
        raise InputError("unknown weight mode")
    run = runs.start(s, actor, edition_id, params)
    s.commit()  # a worker picks it up from here
    return RedirectResponse(f"/editions/{edition_id}/sensitivity?run={run.id}", status_code=303)


@router.get("/editions/{edition_id}/diff")
def diff_page(
    request: Request, edition_id: Id, actor: PageActor, s: PageSession, to: OptionalId = 0
) -> Response:
    """The difference to another edition, read from the older to the newer: arrows on the
    risk diagram (circle: before, arrowhead: after) and tables by title."""
    from natrisk.report.diagram import arrows_spec
    from natrisk.services.diff import diff_editions

    edition, role = edition_for(s, actor, edition_id)
    others = [(e, r) for e, r in visible_editions(s, actor) if e.id != edition_id]
    older, newer = sorted((edition_id, to)) if to else (edition_id, 0)
    result = diff_editions(s, actor, older, newer) if to else None
    spec = None
    if result and result["moved"]:
        fw = workspace.framework_of(s, edition_for(s, actor, newer)[0])
        spec = json.dumps(arrows_spec(result, fw, language(request)))
    return page(
        request,
        "diff.html",
        me=_me(s, actor),
        edition=edition,
        others=others,
        diff=result,
        spec=spec,
        to=to,
    )


@router.get("/import")
def import_form(request: Request, actor: PageActor, s: PageSession) -> Response:
    """Upload a workbook."""
    return page(
        request,
        "import.html",
        me=_me(s, actor),
        problems=[],
        error=None,
        new_id="",
        free="",
        drafts=_drafts(s, actor),
        replace=request.query_params.get("replace", ""),
    )


def _drafts(s: PageSession, actor: Actor) -> list[Edition]:
    """The editions whose scenarios the actor may replace from a file (editable ones)."""
    from natrisk.security import EDITABLE

    return [
        e
        for e, role in visible_editions(s, actor)
        if role in ("analyst", "coordinator") and e.status in EDITABLE
    ]


@router.post("/import", dependencies=[Csrf])
async def import_upload(request: Request, actor: PageActor, s: PageSession) -> Response:
    """Import an uploaded workbook; every problem shown, nothing stored if anything is wrong.
    A workbook whose id is taken is imported under the new id the form gives."""
    from pathlib import Path

    from natrisk.services.access import require_import
    from natrisk.services.imports import IdTaken
    from natrisk.services.imports import import_upload as store_upload

    async with request.form() as form:  # closes the upload's temporary file
        upload = form.get("file")
        sent = None if upload is None or isinstance(upload, str) else upload
        name = Path(sent.filename).name if sent is not None and sent.filename else ""
        data = await sent.read() if sent is not None else b""
        new_id = text_field(form.get("new_id"), "new id", 100)
        replace = text_field(form.get("replace"), "edition to replace", 20)
    me = _me(s, actor)  # read before any rollback closes the transaction
    drafts = _drafts(s, actor)
    error, problems, free = None, [], ""
    try:
        require_import(s, actor)
        if not name:
            raise InputError("choose a workbook file (.yaml, .json or .xlsx)")
        if replace:
            from natrisk.services.import_replace import replace_draft

            if not replace.isdigit():
                raise InputError("choose the draft edition to replace")
            edition, _ = replace_draft(s, actor, int(replace), data, name)
            return RedirectResponse(f"/editions/{edition.id}", status_code=303)
        edition = store_upload(s, actor, data, name, new_id)
        return RedirectResponse(f"/editions/{edition.id}", status_code=303)
    except WorkbookError as exc:
        s.rollback()
        error, problems = exc.message, exc.problems
    except IdTaken as exc:
        s.rollback()
        error, free = exc.message, exc.free
    except NatriskError as exc:
        s.rollback()
        error = exc.message
    return page(
        request,
        "import.html",
        status=400,
        me=me,
        problems=problems,
        error=error,
        new_id=new_id,
        free=free,
        drafts=drafts,
        replace=replace,
    )


@router.get("/editions/{edition_id}/public.zip")
def public_zip(edition_id: Id, actor: PageActor, s: PageSession) -> Response:
    """The public edition as a zip (coordinators; adopted or published editions)."""
    import io
    import zipfile

    from natrisk.services.publishing import public_files

    edition, files = public_files(s, actor, edition_id, samples=2000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(f"{edition.slug}-public/{name}", data)
    headers = attachment(f"{edition.slug}-public", "zip")
    return Response(buf.getvalue(), media_type="application/zip", headers=headers)
