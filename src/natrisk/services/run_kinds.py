"""What each kind of run computes, on the view its requester had (run by ``services/worker``).

A kind reads what it needs in a short read session, computes without holding the
database, and returns its result (plain data) and any file; it reports progress through
``Context.progress``, which raises ``Stopped`` when the run is to stop.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from natrisk.errors import NatriskError
from natrisk.services.access import Actor, edition_for
from natrisk.services.cluster import DaskMapper
from natrisk.store.database import Database
from natrisk.store.models import Job, User


class Stopped(NatriskError):
    """The run was cancelled by its owner, or the worker lost it (raised by progress)."""


@dataclass
class Context:
    """What a kind gets from the worker: where to compute and how to report."""

    db: Database
    job: Job  # a detached copy: parameters, edition, requester and view
    progress: Callable[[float], None]
    mapper: DaskMapper | None = None

    def fraction(self, low: float, high: float) -> Callable[[int, int], None]:
        """A ``progress(done, total)`` callback mapping onto ``low..high`` of the whole run."""
        return lambda done, total: self.progress(low + (high - low) * done / max(total, 1))


@dataclass(frozen=True)
class Outcome:
    result: dict[str, Any]
    output: bytes | None = None


def _actor(s: Any, job: Job) -> Actor:
    user = s.get(User, job.requested_by)
    if user is None or not user.active:
        raise NatriskError("the user who started this run is no longer active")
    return dataclasses.replace(Actor.of(user), clearance=job.clearance)


def sensitivity(ctx: Context) -> Outcome:
    """A Monte Carlo sensitivity run (services/sensitivity.py)."""
    from natrisk.services.assessment import resolve_settings
    from natrisk.services.sensitivity import run_sensitivity
    from natrisk.services.workspace import framework_of, table_view

    job, p = ctx.job, ctx.job.params
    with ctx.db.session(write=False) as s:
        edition, _ = edition_for(s, _actor(s, job), job.edition_id or 0)
        _, table = table_view(s, edition, job.clearance)
        settings = resolve_settings(framework_of(s, edition), p["method"], p.get("profile"))
    result = run_sensitivity(
        table,
        settings,
        samples=p["samples"],
        seed=p["seed"],
        weight_mode=p["weight_mode"],
        progress=ctx.fraction(0.0, 1.0),
        mapper=ctx.mapper,
    )
    return Outcome(result.to_json())


def cascades(ctx: Context) -> Outcome:
    """Cascades, variants and compounds with many samples (services/stacking.py)."""
    from natrisk.services.analysis import assessment_for
    from natrisk.services.stacking import analyse
    from natrisk.services.stacking_views import hidden_links

    job, p = ctx.job, ctx.job.params
    with ctx.db.session(write=False) as s:
        actor = _actor(s, job)
        a = assessment_for(s, actor, job.edition_id or 0, p["method"], p.get("profile"))
        edition, _ = edition_for(s, actor, job.edition_id or 0)
        hidden = hidden_links(s, edition, a.book)
    result = analyse(
        a,
        p["samples"],
        p["seed"],
        p.get("lang", "en"),
        hidden_links=hidden,
        mapper=ctx.mapper,
        progress=ctx.fraction(0.0, 1.0),
    )
    return Outcome(result.to_json())


def report(ctx: Context) -> Outcome:
    """The risk picture report as PDF, marked and watermarked like the synchronous one."""
    from natrisk.report.document import render_html, render_pdf
    from natrisk.security import level_name
    from natrisk.services.analysis import assessment_for
    from natrisk.services.sensitivity import run_sensitivity
    from natrisk.services.workspace import highest_classification

    job, p = ctx.job, ctx.job.params
    with ctx.db.session(write=False) as s:
        actor = _actor(s, job)
        a = assessment_for(s, actor, job.edition_id or 0, p["method"], p.get("profile"))
        edition, _ = edition_for(s, actor, job.edition_id or 0)
        level = highest_classification(s, edition, actor.clearance)
        user = s.get(User, actor.user_id)
        assert user is not None
        who, slug = f"{user.display_name} ({user.username})", edition.slug
    marking = level_name(level) if level > 0 else None
    watermark = f"{who} · {dt.date.today().isoformat()}" if level > 0 else None
    sens = run_sensitivity(
        a.table,
        a.settings,
        samples=p["samples"],
        seed=p["seed"],
        progress=ctx.fraction(0.0, 0.7),
        mapper=ctx.mapper,
    )
    lang = p.get("lang", "en")
    html = render_html(a, sens, lang, marking=marking, watermark=watermark)
    ctx.progress(0.8)
    pdf = render_pdf(html)
    name = f"risk-picture-{slug}-{lang}.pdf"
    return Outcome({"file": name, "bytes": len(pdf), "samples": p["samples"]}, pdf)


def import_file(ctx: Context) -> Outcome:
    """A workbook file stored as a new draft edition in one transaction (services/imports.py);
    every problem of a bad file is the run's result, and nothing is stored."""
    from natrisk.errors import WorkbookError
    from natrisk.services.imports import import_upload

    job, p = ctx.job, ctx.job.params
    ctx.progress(0.05)
    try:
        with ctx.db.session() as s:
            edition = import_upload(s, _actor(s, job), job.payload or b"", p["name"], p["new_id"])
            found = {"edition": edition.id, "slug": edition.slug, "title": edition.title}
    except WorkbookError as exc:
        problems = [dataclasses.asdict(q) for q in exc.problems]
        raise Rejected(exc.message, {"problems": problems}) from exc
    return Outcome(found)


class Rejected(NatriskError):
    """The run's input was refused; ``detail`` (its problems) is kept as the run's result."""

    def __init__(self, message: str, detail: dict[str, Any]) -> None:
        super().__init__(message)
        self.detail = detail


KINDS: dict[str, Callable[[Context], Outcome]] = {
    "sensitivity": sensitivity,
    "cascades": cascades,
    "report": report,
    "import": import_file,
}
