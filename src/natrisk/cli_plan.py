"""Commands for phases 2 and 3: ``natrisk plan ...`` (planning) and ``natrisk follow ...``.

They work on a plan file and the edition file it plans from; changes are checked in full
and written back only when the whole plan is valid (comments in the file are not kept).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from natrisk.cli import DatabaseOpt, Lang, UserOpt, _actor, _edges, _print_json, db_app, err, out

plan_app = typer.Typer(
    help="Capabilities-based planning: gaps, duplications, coverage, weighing.",
    no_args_is_help=True,
)
follow_app = typer.Typer(
    help="Follow-up: measures, progress, target risk, calendar, progress report.",
    no_args_is_help=True,
)

PlanArg = Annotated[
    Path, typer.Argument(help="Plan file (.yaml, .json or .xlsx, format natrisk-plan/1).")
]
EditionOpt = Annotated[
    Path, typer.Option("--edition", help="The edition workbook the plan works from.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
TodayOpt = Annotated[
    str | None, typer.Option("--today", help="The date to judge lateness by (default: today).")
]


def _open(plan: Path, edition: Path) -> Any:
    from natrisk.services.planning import open_plan

    return open_plan(plan, edition)


def _today(text: str | None) -> dt.date:
    from natrisk.services.plan_edits import parse_day

    return parse_day(text, "--today") if text else dt.date.today()


def _save(plan: Any, path: Path) -> None:
    from natrisk.io.plan import write_plan

    write_plan(plan, path)


@plan_app.command("validate")
def plan_validate(plan: PlanArg, edition: EditionOpt) -> None:
    """Check a plan and its references to the edition; print what it holds.

    Example: natrisk plan validate examples/nl-plan-2026.yaml --edition examples/nl-2026.yaml
    """
    with _edges():
        p = _open(plan, edition).plan
        counts = (
            f"{len(p.security_issues)} security issues, {len(p.tasks)} tasks, "
            f"{len(p.capabilities)} capabilities, {len(p.weighings)} weighings, "
            f"{len(p.strategies)} strategies, {sum(len(s.lines) for s in p.strategies)} action lines, "
            f"{len(p.measures)} measures"
        )
        out.print(f"{escape(str(plan))}: valid ({counts})", highlight=False)


@plan_app.command("gaps")
def plan_gaps(
    plan: PlanArg,
    edition: EditionOpt,
    top: Annotated[int | None, typer.Option(help="Show only the first N gaps.", min=1)] = None,
    as_json: JsonOpt = False,
) -> None:
    """The gaps (required level above the current one), highest risk first.

    Example: natrisk plan gaps examples/nl-plan-2026.yaml --edition examples/nl-2026.yaml --top 10
    """
    from natrisk.services.planning import analyse

    with _edges():
        op = _open(plan, edition)
        result = analyse(op.plan, op.assessment)
        gaps = result.gaps[:top] if top else result.gaps
        if as_json:
            _print_json([g for g in result.to_json()["gaps"] if g["rank"] <= len(gaps)])
            return
        table = Table("#", "capability", "dimension", "req.", "cur.", "front", "scenarios exposed")
        for g in gaps:
            table.add_row(
                str(g.rank),
                g.capability,
                g.dimension,
                str(g.required),
                str(g.current),
                str(g.front),
                ", ".join(g.exposed[:4]) + (" …" if len(g.exposed) > 4 else ""),
            )
        out.print(table)
        out.print(f"{len(result.gaps)} gap(s); front 1 = highest risk (docs/method.md 8.3)")


@plan_app.command("gap")
def plan_gap(
    plan: PlanArg,
    capability: Annotated[str, typer.Argument(help="Capability id.")],
    edition: EditionOpt,
    as_json: JsonOpt = False,
) -> None:
    """One capability: required and current level per dimension, and the scenarios that need it.

    Example: natrisk plan gap examples/nl-plan-2026.yaml emergency-drinking-water --edition examples/nl-2026.yaml
    """
    from natrisk.domain.plan import DIMENSIONS
    from natrisk.services.access import NotFound
    from natrisk.services.planning import analyse

    with _edges():
        op = _open(plan, edition)
        result = analyse(op.plan, op.assessment)
        if capability not in [c.id for c in op.plan.capabilities]:
            raise NotFound(f"no capability {capability!r} in {plan}")
        c = result.capability(capability)
        needs = result.needs(capability)
        if as_json:
            _print_json({**result.to_json()["requirements"][capability], "needed_by": needs})
            return
        levels = Table("dimension", "required", "current", "gap")
        for k, d in enumerate(DIMENSIONS):
            req, cur = int(result.required[c, k]), int(result.current[c, k])
            levels.add_row(d, str(req), str(cur), str(max(req - cur, 0)) if req > cur else "")
        out.print(levels)
        who = Table("scenario", "task", "prioritised", "front", "short in")
        for n in needs:
            who.add_row(
                n["scenario"],
                n["task"],
                "yes" if n["prioritised"] else "no",
                str(n["front"]),
                ", ".join(n["short"]),
            )
        out.print(who)


@plan_app.command("duplications")
def plan_duplications(plan: PlanArg, edition: EditionOpt, as_json: JsonOpt = False) -> None:
    """Tasks met in full by capabilities of several holders (more than is required).

    Example: natrisk plan duplications examples/nl-plan-2026.yaml --edition examples/nl-2026.yaml
    """
    from natrisk.services.planning import analyse

    with _edges():
        op = _open(plan, edition)
        result = analyse(op.plan, op.assessment)
        if as_json:
            _print_json(result.to_json()["duplications"])
            return
        table = Table("task", "capabilities", "holders")
        for d in result.duplications:
            table.add_row(d.task, ", ".join(d.capabilities), ", ".join(d.holders))
        out.print(table)
        out.print(f"{len(result.duplications)} duplication(s)")


@plan_app.command("coverage")
def plan_coverage(plan: PlanArg, edition: EditionOpt, as_json: JsonOpt = False) -> None:
    """Coverage matrix: per prioritised scenario, the tasks it needs and who covers them.

    Example: natrisk plan coverage examples/nl-plan-2026.yaml --edition examples/nl-2026.yaml
    """
    from natrisk.services.planning import analyse

    with _edges():
        op = _open(plan, edition)
        rows = analyse(op.plan, op.assessment).coverage()
        if as_json:
            _print_json(rows)
            return
        table = Table("scenario", "task", "capabilities (✗ = falls short)")
        for row in rows:
            for k, cell in enumerate(row["tasks"]):
                caps = ", ".join(
                    c["capability"] + ("" if c["meets"] else " ✗") for c in cell["capabilities"]
                )
                table.add_row(row["scenario"] if k == 0 else "", cell["task"], caps or "— none —")
        out.print(table)


@plan_app.command("issues")
def plan_issues(plan: PlanArg, edition: EditionOpt, as_json: JsonOpt = False) -> None:
    """The security issues with their weighing: the two questions and the verdict.

    Example: natrisk plan issues examples/nl-plan-2026.yaml --edition examples/nl-2026.yaml
    """
    from natrisk.services.planning import weighing_summary

    def yn(v: bool | None) -> str:
        return "—" if v is None else ("yes" if v else "no")

    with _edges():
        rows = weighing_summary(_open(plan, edition).plan)
        if as_json:
            _print_json(rows)
            return
        table = Table("issue", "lead", "integrated?", "sufficient?", "verdict")
        for r in rows:
            table.add_row(
                r["issue"],
                r["lead"],
                yn(r["integrated"]),
                yn(r["sufficient"]),
                {"strengthened": "versterkte inzet", "sustained": "onverminderde inzet"}.get(
                    r["verdict"] or "", "not weighed"
                ),
            )
        out.print(table)


def _yes_no(value: str) -> bool:
    v = str(value).strip().lower()
    if v in ("yes", "y", "true", "ja", "j"):
        return True
    if v in ("no", "n", "false", "nee"):
        return False
    from natrisk.errors import OptionError

    raise OptionError(f"{value!r}: answer yes or no")


@plan_app.command("weigh")
def plan_weigh(
    plan: PlanArg,
    issue: Annotated[str, typer.Argument(help="Security issue id.")],
    edition: EditionOpt,
    integrated: Annotated[str, typer.Option(help="1. Is there an integrated approach? yes|no")],
    integrated_why: Annotated[str, typer.Option(help="Rationale for answer 1.")],
    sufficient: Annotated[
        str, typer.Option(help="2. Is it enough, given how the threat develops? yes|no")
    ],
    sufficient_why: Annotated[str, typer.Option(help="Rationale for answer 2.")],
    invest: Annotated[str, typer.Option(help="Advice: what to invest in.")] = "",
    not_invest: Annotated[str, typer.Option(help="Advice: and so what not.")] = "",
    phase: Annotated[list[str] | None, typer.Option(help="Chain phase(s) of the advice.")] = None,
    by: Annotated[list[str] | None, typer.Option(help="Who is responsible (repeatable).")] = None,
    instrument: Annotated[
        list[str] | None, typer.Option(help="policy | legislation | practical (repeatable).")
    ] = None,
    proportionality: Annotated[str, typer.Option(help="Proportionality of the advice.")] = "",
    acceptability: Annotated[str, typer.Option(help="Acceptability of the advice.")] = "",
    other_interests: Annotated[
        str, typer.Option(help="Effect on other interests such as individual rights.")
    ] = "",
    author: Annotated[str, typer.Option(help="Who weighed.")] = "",
) -> None:
    """Record the weighing of a security issue in the plan file (versterkte/onverminderde inzet).

    Example: natrisk plan weigh plan.yaml cyber --edition ed.yaml --integrated yes --integrated-why "..." --sufficient no --sufficient-why "..."
    """
    from natrisk.services.plan_edits import record_weighing

    with _edges():
        op = _open(plan, edition)
        data = {
            "issue": issue,
            "integrated": {"answer": _yes_no(integrated), "rationale": integrated_why},
            "sufficient": {"answer": _yes_no(sufficient), "rationale": sufficient_why},
            "advice": {
                "invest": invest,
                "not_invest": not_invest,
                "phases": phase or [],
                "by": by or [],
                "instruments": instrument or [],
                "proportionality": proportionality,
                "acceptability": acceptability,
                "other_interests": other_interests,
            },
            "author": author,
            "date": dt.date.today().isoformat(),
        }
        new = record_weighing(op.plan, data, op.facts)
        _save(new, plan)
        verdict = new.weighing(issue).verdict  # type: ignore[union-attr]
        label = {"strengthened": "versterkte inzet", "sustained": "onverminderde inzet"}[verdict]
        err.print(f"recorded the weighing of {issue!r}: {label}")


def _pairs(items: list[str] | None, what: str) -> dict[str, str]:
    from natrisk.errors import OptionError

    outp: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise OptionError(f"{what}: {item!r} is not KEY=VALUE")
        outp[key.strip()] = value.strip()
    return outp


@plan_app.command("set-level")
def plan_set_level(
    plan: PlanArg,
    capability: Annotated[str, typer.Argument(help="Capability id.")],
    edition: EditionOpt,
    level: Annotated[
        list[str], typer.Option(help="DIMENSION=LEVEL, e.g. material=3 (repeatable).")
    ],
    rationale: Annotated[str | None, typer.Option(help="Why the level changed.")] = None,
) -> None:
    """Change a capability's current level in some dimensions.

    Example: natrisk plan set-level plan.yaml emergency-drinking-water --edition ed.yaml --level material=3
    """
    from natrisk.errors import OptionError
    from natrisk.services.plan_edits import set_current

    with _edges():
        levels = {}
        for dim, value in _pairs(level, "--level").items():
            if not value.lstrip("-").isdigit():
                raise OptionError(f"--level: {dim}={value!r} is not a whole number")
            levels[dim] = int(value)
        op = _open(plan, edition)
        new = set_current(op.plan, capability, levels, rationale, op.facts)
        _save(new, plan)
        err.print(f"updated {capability!r}")


# ------------------------------------------------------------------------- follow-up


@follow_app.command("measures")
def follow_measures(
    plan: PlanArg,
    edition: EditionOpt,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The measures with owner, status, overdue milestones and stalled flags.

    Example: natrisk follow measures examples/nl-plan-2026.yaml --edition examples/nl-2026.yaml
    """
    from natrisk.services.followup import measure_flags

    with _edges():
        p = _open(plan, edition).plan
        day = _today(today)
        rows = [
            {
                "id": m.id,
                "title": m.title,
                "line": m.line,
                "owner": m.owner,
                "status": m.status,
                **measure_flags(m, day),
            }
            for m in p.measures
        ]
        if as_json:
            _print_json(
                [
                    {**r, "last_activity": r["last_activity"] and str(r["last_activity"])}
                    for r in rows
                ]
            )
            return
        table = Table("measure", "line", "owner", "status", "overdue", "stalled", "title")
        for r in rows:
            table.add_row(
                r["id"],
                r["line"],
                r["owner"],
                r["status"],
                str(len(r["overdue"]) or ""),
                "STALLED" if r["stalled"] else "",
                r["title"],
            )
        out.print(table)


@follow_app.command("add-measure")
def follow_add_measure(
    plan: PlanArg,
    edition: EditionOpt,
    measure_id: Annotated[str, typer.Option("--id", help="New measure id.")],
    title: Annotated[str, typer.Option(help="What the measure does.")],
    line: Annotated[str, typer.Option(help="Action line id.")],
    owner: Annotated[str, typer.Option(help="Owner ministry (organisation slug).")],
    phase: Annotated[str, typer.Option(help="Chain phase.")],
    budget: Annotated[str, typer.Option(help="Budget reference.")] = "",
    status: Annotated[
        str, typer.Option(help="planned | running | done | stalled | cancelled")
    ] = "planned",
    milestone: Annotated[
        list[str] | None, typer.Option(help="TITLE@YYYY-MM-DD (repeatable).")
    ] = None,
    target: Annotated[
        list[str] | None,
        typer.Option(help="SCENARIO:likelihood=B,2.1=C — target risk (repeatable)."),
    ] = None,
) -> None:
    """Create a measure under an action line.

    Example: natrisk follow add-measure plan.yaml --edition ed.yaml --id m-31 --title "..." --line al-07 --owner jenv --phase prevention --milestone "Law adopted@2027-06-30"
    """
    from natrisk.services.plan_edits import add_measure

    with _edges():
        data: dict[str, Any] = {
            "id": measure_id,
            "title": title,
            "line": line,
            "owner": owner,
            "phase": phase,
            "budget": budget,
            "status": status,
            "milestones": [_milestone(m) for m in milestone or []],
            "targets": [_target(t) for t in target or []],
        }
        op = _open(plan, edition)
        new = add_measure(op.plan, data, op.facts)
        _save(new, plan)
        err.print(f"added measure {measure_id!r} under {line!r}")


def _milestone(text: str) -> dict[str, str]:
    from natrisk.errors import OptionError

    title, sep, day = text.rpartition("@")
    if not sep or not title.strip():
        raise OptionError(f"--milestone: {text!r} is not TITLE@YYYY-MM-DD")
    return {"title": title.strip(), "due": day.strip()}


def _target(text: str) -> dict[str, Any]:
    from natrisk.errors import OptionError

    scenario, sep, rest = text.partition(":")
    if not sep or not scenario.strip():
        raise OptionError(f"--target: {text!r} is not SCENARIO:likelihood=B,2.1=C")
    values = _pairs([p for p in rest.split(",") if p.strip()], "--target")
    out_: dict[str, Any] = {"scenario": scenario.strip(), "criteria": {}}
    for key, value in values.items():
        if key == "likelihood":
            out_["likelihood"] = value
        else:
            out_["criteria"][key] = value
    return out_


@follow_app.command("progress")
def follow_progress(
    plan: PlanArg,
    measure: Annotated[str, typer.Argument(help="Measure id.")],
    edition: EditionOpt,
    status: Annotated[str, typer.Option(help="planned | running | done | stalled | cancelled")],
    note: Annotated[str, typer.Option(help="What happened.")] = "",
    date: Annotated[str | None, typer.Option(help="Date of the report (default: today).")] = None,
    author: Annotated[str, typer.Option(help="Who reports.")] = "",
    value: Annotated[
        list[str] | None, typer.Option(help="INDICATOR=NUMBER, a reading (repeatable).")
    ] = None,
    milestone_done: Annotated[
        list[str] | None, typer.Option(help="Title of a milestone now done (repeatable).")
    ] = None,
) -> None:
    """Report progress on a measure: status, note, indicator readings, milestones done.

    Example: natrisk follow progress plan.yaml m-01 --edition ed.yaml --status running --note "..." --value i-1=55
    """
    from natrisk.errors import OptionError
    from natrisk.services.plan_edits import measure_of, replace_measure, report_progress

    with _edges():
        op = _open(plan, edition)
        p = op.plan
        readings = {}
        for key, raw in _pairs(value, "--value").items():
            try:
                readings[key] = float(raw)
            except ValueError as exc:
                raise OptionError(f"--value: {key}={raw!r} is not a number") from exc
        entry = {
            "date": date or dt.date.today().isoformat(),
            "status": status,
            "note": note,
            "author": author,
        }
        m = report_progress(measure_of(p, measure), entry, readings, milestone_done)
        _save(replace_measure(p, m, op.facts), plan)
        err.print(f"recorded progress on {measure!r}: {status}")


@follow_app.command("targets")
def follow_targets(plan: PlanArg, edition: EditionOpt, as_json: JsonOpt = False) -> None:
    """Target risk: each targeted scenario's position now, with done measures, and at target.

    Example: natrisk follow targets examples/nl-plan-2026.yaml --edition examples/nl-2026.yaml
    """
    from natrisk.services.followup import combined_targets, positions

    with _edges():
        op = _open(plan, edition)
        targeted = set(combined_targets(op.plan.measures))
        rows = [r for r in positions(op.plan, op.assessment).rows() if r["id"] in targeted]
        if as_json:
            _print_json(rows)
            return
        table = Table("scenario", "now", "with done measures", "target")
        for r in rows:
            table.add_row(r["id"], *(_cell(r[k]) for k in ("current", "achieved", "target")))
        out.print(table)


def _cell(p: dict[str, Any]) -> str:
    return f"{p['likelihood']} / {p['impact']:.3g} (#{p['rank']})"


@follow_app.command("lines")
def follow_lines(
    plan: PlanArg,
    edition: EditionOpt,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Strategies: action lines with their measures, the links between lines and the crosswalk.

    Example: natrisk follow lines examples/nl-plan-2026.yaml --edition examples/nl-2026.yaml
    """
    from natrisk.services.followup import strategy_overview

    with _edges():
        data = strategy_overview(_open(plan, edition).plan, _today(today))
        if as_json:
            _print_json(data)
            return
        for st in data:
            mark = " (current)" if st["current"] else ""
            out.print(f"[bold]{escape(st['title'])}[/] {st['start']} – {st['end']}{mark}")
            table = Table("line", "title", "lead", "measures", "done", "overdue", "stalled")
            for ln in st["lines"]:
                table.add_row(
                    ln["id"],
                    escape(ln["title"]),
                    ln["lead"],
                    str(ln["measures"]),
                    str(ln["done"]),
                    str(ln["overdue"] or ""),
                    str(ln["stalled"] or ""),
                )
            out.print(table)
            if st["links"]:
                links = Table("from", "effect", "on", "note")
                for lk in st["links"]:
                    effect = "helps solve a risk" if lk["sign"] == "+" else "raises a risk"
                    links.add_row(lk["from"], effect, lk["to"], escape(lk["note"]))
                out.print(links)
            if st["crosswalk"]:
                cw = Table(f"{st['replaces'] or 'earlier'} line", f"continued in {st['id']}")
                for row in st["crosswalk"]:
                    cw.add_row(escape(row["from_title"]), escape(row["to_title"]))
                out.print(cw)


@follow_app.command("calendar")
def follow_calendar(
    plan: PlanArg,
    edition: EditionOpt,
    today: TodayOpt = None,
    only_open: Annotated[bool, typer.Option("--open", help="Only what is late or due.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """The cycle's calendar: assessments, horizon scans, cabinet moments, midterm review, milestones.

    Example: natrisk follow calendar examples/nl-plan-2026.yaml --edition examples/nl-2026.yaml --open
    """
    from natrisk.services.followup import cycle_events

    with _edges():
        rows = cycle_events(_open(plan, edition).plan, _today(today))
        if only_open:
            rows = [r for r in rows if r["status"] in ("late", "due")]
        if as_json:
            _print_json(
                [{**r, "due": str(r["due"]), "done": r["done"] and str(r["done"])} for r in rows]
            )
            return
        table = Table("due", "status", "kind", "title")
        colours = {
            "late": "red",
            "due": "yellow",
            "done": "green",
            "upcoming": "",
            "unrecorded": "dim",
        }
        for r in rows:
            st = (
                f"[{colours[r['status']]}]{r['status']}[/]" if colours[r["status"]] else r["status"]
            )
            table.add_row(str(r["due"]), st, r["kind"], escape(r["title"]))
        out.print(table)


@follow_app.command("next-cycle")
def follow_next_cycle(
    plan: PlanArg,
    plan_id: Annotated[str, typer.Option("--id", help="Id of the new plan.")],
    edition_id: Annotated[
        str, typer.Option("--edition-id", help="Edition id the new plan works from.")
    ],
    out_file: Annotated[
        Path, typer.Option("--out", help="Plan file to write (.yaml, .json or .xlsx).")
    ],
) -> None:
    """Start the next cycle: a new plan with the structure and open measures carried over.

    Example: natrisk follow next-cycle examples/nl-plan-2026.yaml --id nl-plan-2029 --edition-id nl-example-2029 --out plan-2029.yaml
    """
    from natrisk.errors import OptionError
    from natrisk.io.plan import load_plan
    from natrisk.services.followup import next_cycle
    from natrisk.services.plan_edits import revalidated

    with _edges():
        if out_file.exists():
            raise OptionError(f"--out: {out_file} exists; choose a new file")
        new = revalidated(next_cycle(load_plan(plan), plan_id, edition_id), None, str(out_file))
        _save(new, out_file)
        err.print(f"wrote {out_file}: {len(new.measures)} open measures carried over")


@follow_app.command("report")
def follow_report(
    plan: PlanArg,
    edition: EditionOpt,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the report to.")],
    baseline: Annotated[
        Path | None, typer.Option(help="Edition workbook the strategy started from.")
    ] = None,
    lang: Annotated[Lang, typer.Option(help="Language of the report.")] = Lang.en,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write a PDF.")] = True,
    today: TodayOpt = None,
    line: Annotated[str | None, typer.Option(help="Report on this action line only.")] = None,
    issue: Annotated[str | None, typer.Option(help="Report on this security issue only.")] = None,
) -> None:
    """The progress report in the four-part form of the 2021 midterm review (HTML and PDF).

    Example: natrisk follow report examples/nl-plan-2026.yaml --edition examples/nl-2026.yaml --baseline examples/nl-2023.yaml --out out/review
    """
    from natrisk.services.midterm import write_review

    with _edges():
        from natrisk.errors import OptionError

        if line is not None and issue is not None:
            raise OptionError("give --line or --issue, not both")
        if line == "" or issue == "":
            raise OptionError("--line and --issue need an id")
        scope = (
            {"line": line}
            if line is not None
            else ({"issue": issue} if issue is not None else None)
        )
        op = _open(plan, edition)
        files = write_review(op, baseline, out_dir, lang.value, pdf, _today(today), scope)
        for f in files:
            err.print(f"wrote {f}")


@db_app.command("import-plan")
def db_import_plan(
    plan: PlanArg,
    edition_id: Annotated[
        int, typer.Option("--edition-id", help="Id of the stored edition it works from.")
    ],
    user: UserOpt,
    database: DatabaseOpt = None,
) -> None:
    """Import a plan file for a stored edition, in one transaction (all or nothing).

    Example: natrisk db import-plan examples/nl-plan-2026.yaml --edition-id 1 --user admin
    """
    from natrisk.io.plan import load_plan
    from natrisk.services.plan_store import import_plan
    from natrisk.store.database import Database

    with _edges():
        p = load_plan(plan)
        with Database(database).session() as s:
            rec = import_plan(s, _actor(s, user), edition_id, p)
            err.print(f"imported plan {rec.slug!r} as id {rec.id} ({len(p.measures)} measures)")


@db_app.command("export-plan")
def db_export_plan(
    plan_id: Annotated[int, typer.Argument(help="Plan id.")],
    out_file: Annotated[
        Path, typer.Option("--out", help="Plan file to write (.yaml, .json or .xlsx).")
    ],
    user: UserOpt,
    database: DatabaseOpt = None,
) -> None:
    """Write a stored plan as a plan file, holding only what the user may see.

    Example: natrisk db export-plan 1 --out plan.yaml --user admin
    """
    from natrisk.services.plan_store import export_plan
    from natrisk.store.database import Database

    with _edges():
        with Database(database).session() as s:
            p = export_plan(s, _actor(s, user), plan_id)
        _save(p, out_file)
        err.print(f"wrote {out_file}")
