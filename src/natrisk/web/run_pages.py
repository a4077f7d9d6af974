"""Runs in the browser: the progress fragment the run pages poll, cancel and retry buttons,
and the file a report run produced."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from natrisk.api.deps import Id
from natrisk.services import runs
from natrisk.web.render import page
from natrisk.web.session import PageActor, PageSession, check_csrf

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)


def back_to(state: dict[str, object]) -> str:
    """The page a run is watched on."""
    if state["kind"] == "sensitivity":
        return f"/editions/{state['edition']}/sensitivity?run={state['id']}"
    return f"/runs/{state['id']}/view"


@router.get("/runs/{run_id}/view")
def run_page(request: Request, run_id: Id, actor: PageActor, s: PageSession) -> Response:
    """A run of any kind on a page of its own (cascade, report and import runs)."""
    from natrisk.services.access import edition_for
    from natrisk.web.pages import _me  # the header's user (pages includes this router)

    state = runs.get(s, actor, run_id)
    on = state["edition"] or (state["result"] or {}).get("edition")  # an import: its result
    edition = edition_for(s, actor, int(str(on)))[0] if on else None
    mine = state["requested_by"] == actor.user_id or actor.is_admin
    return page(
        request,
        "run.html",
        me=_me(s, actor),
        run=state,
        edition=edition,
        edition_id=on or 0,
        mine=mine,
    )


@router.get("/runs/{run_id}")
def run_fragment(request: Request, run_id: Id, actor: PageActor, s: PageSession) -> Response:
    """A run's progress or result (polled by the run's page every second while it works)."""
    state = runs.get(s, actor, run_id)
    mine = state["requested_by"] == actor.user_id or actor.is_admin
    return page(request, "_run.html", run=state, edition_id=state["edition"], mine=mine)


@router.post("/runs/{run_id}/cancel", dependencies=[Csrf])
def cancel(run_id: Id, actor: PageActor, s: PageSession) -> Response:
    """Cancel one's own run, then show its page again."""
    return RedirectResponse(back_to(runs.cancel(s, actor, run_id)), status_code=303)


@router.post("/runs/{run_id}/retry", dependencies=[Csrf])
def retry(run_id: Id, actor: PageActor, s: PageSession) -> Response:
    """Queue one's own failed or cancelled run again, then show its page."""
    return RedirectResponse(back_to(runs.retry(s, actor, run_id)), status_code=303)


@router.get("/runs/{run_id}/output")
def output(run_id: Id, actor: PageActor, s: PageSession) -> Response:
    """The report a report run produced."""
    data, name = runs.output(s, actor, run_id)
    disposition = f'attachment; filename="{name}"'
    return Response(
        data, media_type="application/pdf", headers={"Content-Disposition": disposition}
    )
