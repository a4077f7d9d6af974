"""Phase 2, capabilities-based planning: ``natrisk plan ...`` on a plan file and the edition
it plans from, and ``natrisk db import-plan`` / ``export-plan``. Changes are checked in full
and written back only when the whole plan is valid (comments in the file are not kept).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from natrisk.cli.app import db_app, plan_app
from natrisk.cli.common import DatabaseOpt, UserOpt, actor_named, edges, err, out, print_json

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


def open_plan(plan: Path, edition: Path) -> Any:
    from natrisk.services.planning import open_plan

    return open_plan(plan, edition)


def today_of(text: str | None) -> dt.date:
    from natrisk.services.plan_edits import parse_day

    return parse_day(text, "--today") if text else dt.date.today()


def save_plan(plan: Any, path: Path) -> None:
    from natrisk.io.plan import write_plan

    write_plan(plan, path)


@plan_app.command("validate")
def plan_validate(plan: PlanArg, edition: EditionOpt) -> None:
    """Check a plan and its references to the edition; print what it holds.

    Example: natrisk plan validate examples/nl-plan-2026.yaml --edition examples/nl-2026.yaml
    """
    with edges():
        p = open_plan(plan, edition).plan
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

    with edges():
        op = open_plan(plan, edition)
        result = analyse(op.plan, op.assessment)
        gaps = result.gaps[:top] if top else result.gaps
        if as_json:
            print_json([g for g in result.to_json()["gaps"] if g["rank"] <= len(gaps)])
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

    with edges():
        op = open_plan(plan, edition)
        result = analyse(op.plan, op.assessment)
        if capability not in [c.id for c in op.plan.capabilities]:
            raise NotFound(f"no capability {capability!r} in {plan}")
        c = result.capability(capability)
        needs = result.needs(capability)
        if as_json:
            print_json({**result.to_json()["requirements"][capability], "needed_by": needs})
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

    with edges():
        op = open_plan(plan, edition)
        result = analyse(op.plan, op.assessment)
        if as_json:
            print_json(result.to_json()["duplications"])
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

    with edges():
        op = open_plan(plan, edition)
        rows = analyse(op.plan, op.assessment).coverage()
        if as_json:
            print_json(rows)
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

    with edges():
        rows = weighing_summary(open_plan(plan, edition).plan)
        if as_json:
            print_json(rows)
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

    with edges():
        op = open_plan(plan, edition)
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
        save_plan(new, plan)
        verdict = new.weighing(issue).verdict  # type: ignore[union-attr]
        label = {"strengthened": "versterkte inzet", "sustained": "onverminderde inzet"}[verdict]
        err.print(f"recorded the weighing of {issue!r}: {label}")


def pairs(items: list[str] | None, what: str) -> dict[str, str]:
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

    with edges():
        levels = {}
        for dim, value in pairs(level, "--level").items():
            if not value.lstrip("-").isdigit():
                raise OptionError(f"--level: {dim}={value!r} is not a whole number")
            levels[dim] = int(value)
        op = open_plan(plan, edition)
        new = set_current(op.plan, capability, levels, rationale, op.facts)
        save_plan(new, plan)
        err.print(f"updated {capability!r}")


# ------------------------------------------------------------------------- follow-up


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

    with edges():
        p = load_plan(plan)
        with Database(database).session() as s:
            rec = import_plan(s, actor_named(s, user), edition_id, p)
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

    with edges():
        with Database(database).session() as s:
            p = export_plan(s, actor_named(s, user), plan_id)
        save_plan(p, out_file)
        err.print(f"wrote {out_file}")
