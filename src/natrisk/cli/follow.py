"""Phase 3, follow-up: ``natrisk follow ...``: measures, progress, target risk, the
strategy's lines, the cycle's calendar, the next cycle and the progress report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from natrisk.cli.app import follow_app
from natrisk.cli.common import Lang, edges, err, out, print_json
from natrisk.cli.plan import (
    EditionOpt,
    JsonOpt,
    PlanArg,
    TodayOpt,
    open_plan,
    pairs,
    save_plan,
    today_of,
)


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

    with edges():
        p = open_plan(plan, edition).plan
        day = today_of(today)
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
            print_json(
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

    with edges():
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
        op = open_plan(plan, edition)
        new = add_measure(op.plan, data, op.facts)
        save_plan(new, plan)
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
    values = pairs([p for p in rest.split(",") if p.strip()], "--target")
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

    with edges():
        op = open_plan(plan, edition)
        p = op.plan
        readings = {}
        for key, raw in pairs(value, "--value").items():
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
        save_plan(replace_measure(p, m, op.facts), plan)
        err.print(f"recorded progress on {measure!r}: {status}")


@follow_app.command("targets")
def follow_targets(plan: PlanArg, edition: EditionOpt, as_json: JsonOpt = False) -> None:
    """Target risk: each targeted scenario's position now, with done measures, and at target.

    Example: natrisk follow targets examples/nl-plan-2026.yaml --edition examples/nl-2026.yaml
    """
    from natrisk.services.followup import combined_targets, positions

    with edges():
        op = open_plan(plan, edition)
        targeted = set(combined_targets(op.plan.measures))
        rows = [r for r in positions(op.plan, op.assessment).rows() if r["id"] in targeted]
        if as_json:
            print_json(rows)
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

    with edges():
        data = strategy_overview(open_plan(plan, edition).plan, today_of(today))
        if as_json:
            print_json(data)
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

    with edges():
        rows = cycle_events(open_plan(plan, edition).plan, today_of(today))
        if only_open:
            rows = [r for r in rows if r["status"] in ("late", "due")]
        if as_json:
            print_json(
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

    with edges():
        if out_file.exists():
            raise OptionError(f"--out: {out_file} exists; choose a new file")
        new = revalidated(next_cycle(load_plan(plan), plan_id, edition_id), None, str(out_file))
        save_plan(new, out_file)
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

    with edges():
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
        op = open_plan(plan, edition)
        files = write_review(op, baseline, out_dir, lang.value, pdf, today_of(today), scope)
        for f in files:
            err.print(f"wrote {f}")
