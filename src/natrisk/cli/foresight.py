"""Phase 1, what is coming at us in the long and medium term: ``natrisk trends ...`` (strategic
foresight on trend files and stored trend sets) and ``natrisk deepdive ...`` (thematic deep-dives).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from natrisk.cli.app import deepdive_app, trends_app
from natrisk.cli.common import DatabaseOpt, Lang, actor_named, edges, err, out, print_json

TrendsArg = Annotated[
    Path, typer.Argument(help="Trend file (.yaml, .json, .xlsx or .csv, natrisk-trends/1).")
]
EditionWbOpt = Annotated[
    Path | None,
    typer.Option(
        "--edition", help="The edition workbook the set reads (checks its themes and scenarios)."
    ),
]
PlanOpt = Annotated[
    Path | None,
    typer.Option("--plan", help="The plan whose strategy's action lines the set names."),
]
BaselineOpt = Annotated[
    Path | None, typer.Option("--baseline", help="The trend file of the baseline edition.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
UserReq = Annotated[
    str, typer.Option("--user", help="Act as this user (their role and clearance).")
]


def _open(file: Path, edition: Path | None, plan: Path | None) -> Any:
    from natrisk.services.trends import open_trends

    return open_trends(file, edition, plan)


@trends_app.command("validate")
def trends_validate(file: TrendsArg, edition: EditionWbOpt = None, plan: PlanOpt = None) -> None:
    """Check a trend file (and, with --edition and --plan, its references); print what it holds.

    Example: natrisk trends validate examples/trends-2026.yaml --edition examples/nl-2026.yaml --plan examples/nl-plan-2026.yaml
    """
    with edges():
        ts = _open(file, edition, plan).trends
        out.print(
            f"{escape(str(file))}: valid ({len(ts.groups)} groups, {len(ts.trends)} trends, "
            f"{len(ts.transitions)} transitions)",
            highlight=False,
        )


@trends_app.command("list")
def trends_list(
    file: Annotated[Path | None, typer.Argument(help="Trend file (or give --stored).")] = None,
    stored: Annotated[
        int | None, typer.Option("--stored", help="List the trend sets stored for this edition id.")
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="With --stored: act as this user.")
    ] = None,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The trends of a file by group, with direction and what they bear on; or the stored sets.

    Example: natrisk trends list examples/trends-2026.yaml
    """
    from natrisk.errors import OptionError

    with edges():
        if (file is None) == (stored is None):
            raise OptionError("give a trend file, or --stored EDITION with --user")
        if stored is not None:
            _list_stored(stored, user, database, as_json)
            return
        assert file is not None
        ts = _open(file, None, None).trends
        if as_json:
            from natrisk.io.trends import dump_trends

            print_json(dump_trends(ts)["trends"])
            return
        table = Table("group", "trend", "direction", "bears on", "sources")
        for t in ts.trends:
            bears = ", ".join(f"{b.target[1]} {b.sign}{b.strength[0]}" for b in t.bears_on)
            table.add_row(t.group, t.title.en, t.direction, bears, str(len(t.sources)))
        out.print(table)


def _list_stored(edition: int, user: str | None, database: str | None, as_json: bool) -> None:
    from natrisk.errors import OptionError
    from natrisk.services import trends as svc
    from natrisk.store.database import Database

    if not user:
        raise OptionError("--stored needs --user")
    with Database(database).session() as s:
        actor = actor_named(s, user)
        rows = [
            svc.set_json(r, svc.set_for(s, actor, r.id).role)
            for r in svc.sets_of(s, actor, edition)
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "set", "year", "title", "classification", "version")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["slug"],
            str(r["year"]),
            r["title"],
            r["classification"],
            str(r["version"]),
        )
    out.print(table)


SourceArg = Annotated[str, typer.Argument(help="A trend file, or a stored set's id (with --user).")]
BaselineSource = Annotated[
    str | None,
    typer.Option("--baseline", help="The baseline: a trend file, or a stored set's id."),
]
StoredUser = Annotated[
    str | None, typer.Option("--user", help="For a stored set: act as this user.")
]


def _stored(source: str) -> bool:
    return source.isdigit() and not Path(source).exists()


def _stored_id(text: str | None, what: str) -> int | None:
    from natrisk.errors import OptionError

    if text is None:
        return None
    if not _stored(text):
        raise OptionError(f"{what} of a stored set is a stored set's id, not {text!r}")
    return int(text)


@trends_app.command("analyse")
def trends_analyse(
    source: SourceArg,
    baseline: BaselineSource = None,
    edition: EditionWbOpt = None,
    plan: PlanOpt = None,
    user: StoredUser = None,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Compare the trends with a baseline edition: what changed, the pressure on themes and
    scenarios, the transitions and the action lines to intensify. A stored set is read as the
    user may see it, against the baseline it names (or --baseline ID).

    Example: natrisk trends analyse examples/trends-2026.yaml --baseline examples/trends-2023.yaml --edition examples/nl-2026.yaml --plan examples/nl-plan-2026.yaml
    """
    with edges():
        data = _analysis(source, baseline, edition, plan, user, database)
        if as_json:
            print_json(data)
            return
        _print_analysis(data)


def _analysis(
    source: str,
    baseline: str | None,
    edition: Path | None,
    plan: Path | None,
    user: str | None,
    database: str | None,
) -> dict[str, Any]:
    from natrisk.errors import OptionError
    from natrisk.services.trends import analyse_files, analysis_of

    if _stored(source):
        from natrisk.store.database import Database

        if not user:
            raise OptionError("a stored set needs --user")
        with Database(database).session() as s:
            a, picture = analysis_of(
                s, actor_named(s, user), int(source), _stored_id(baseline, "--baseline")
            )
            return a.to_json(picture)
    opened = _open(Path(source), edition, plan)
    return analyse_files(opened, Path(baseline) if baseline else None).to_json(opened.picture)


def _print_analysis(data: dict[str, Any]) -> None:
    moved = [t for t in data["trends"] if t["status"] != "unchanged"]
    table = Table("trend", "status", "direction", "weight")
    for t in moved:
        before = t["baseline_direction"]
        direction = (
            f"{before} -> {t['direction']}"
            if before and before != t["direction"]
            else str(t["direction"] or "-")
        )
        weight = f"{t['baseline_weight']:+d} -> {t['weight']:+d}"
        table.add_row(t["title"], t["status"], direction, weight)
    out.print(table if moved else "no trend changed since the baseline")
    for tr in data["transitions"]:
        seen = "seen" if tr["seen"] else "not seen"
        lines = ", ".join(tr["lines"]) or "-"
        out.print(f"transition {tr['id']} ({seen}): lines {lines}", highlight=False)
    if data["lines"]:
        table = Table("line", "advice", "change", "transitions")
        for ln in data["lines"]:
            name = f"{ln['id']} {ln['title']}"
            table.add_row(name, ln["advice"], f"{ln['delta']:+d}", ", ".join(ln["transitions"]))
        out.print(table)


@trends_app.command("report")
def trends_report(
    source: SourceArg,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the report to.")],
    baseline: BaselineSource = None,
    edition: EditionWbOpt = None,
    plan: PlanOpt = None,
    lang: Annotated[Lang, typer.Option(help="Language of the report.")] = Lang.en,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write a PDF.")] = True,
    user: StoredUser = None,
    database: DatabaseOpt = None,
) -> None:
    """The foresight report (foresight.html and foresight.pdf), in English or Dutch; of a
    stored set, on what the user may see, marked with its highest classification.

    Example: natrisk trends report examples/trends-2026.yaml --baseline examples/trends-2023.yaml --edition examples/nl-2026.yaml --plan examples/nl-plan-2026.yaml --out out/foresight
    """
    from natrisk.errors import OptionError
    from natrisk.services.trends import analyse_files, write_report, write_stored_report

    with edges():
        if _stored(source):
            from natrisk.store.database import Database

            if not user:
                raise OptionError("a stored set needs --user")
            with Database(database).session() as s:
                actor = actor_named(s, user)
                base = _stored_id(baseline, "--baseline")
                files = write_stored_report(s, actor, int(source), base, out_dir, lang.value, pdf)
        else:
            opened = _open(Path(source), edition, plan)
            analysis = analyse_files(opened, Path(baseline) if baseline else None)
            files = write_report(analysis, opened.picture, out_dir, lang.value, pdf)
        for f in files:
            err.print(f"wrote {f}")


@trends_app.command("import")
def trends_import(
    file: TrendsArg,
    edition: Annotated[
        int, typer.Option("--edition", help="Id of the stored edition the set reads.")
    ],
    user: UserReq,
    database: DatabaseOpt = None,
) -> None:
    """Store a trend file for an edition, in one transaction (all or nothing).

    Example: natrisk trends import examples/trends-2026.yaml --edition 1 --user admin
    """
    from natrisk.io.trends import load_trends
    from natrisk.services.trends import import_set
    from natrisk.store.database import Database

    with edges():
        ts = load_trends(file)
        with Database(database).session() as s:
            rec = import_set(s, actor_named(s, user), edition, ts, str(file))
            err.print(f"imported trend set {rec.slug!r} as id {rec.id} ({len(ts.trends)} trends)")


@trends_app.command("export")
def trends_export(
    source: Annotated[
        str, typer.Argument(help="A stored set's id (with --user), or a trend file.")
    ],
    out_file: Annotated[
        Path, typer.Option("--out", help="File to write (.yaml, .json, .xlsx, .csv).")
    ],
    user: Annotated[
        str | None, typer.Option("--user", help="For a stored set: act as this user.")
    ] = None,
    database: DatabaseOpt = None,
) -> None:
    """Write a trend set as YAML, JSON, XLSX or CSV (a stored set holds what the user may see).

    Example: natrisk trends export examples/trends-2026.yaml --out trends.xlsx
    """
    from natrisk.errors import OptionError
    from natrisk.io.trends import SUFFIXES, load_trends, write_trends

    with edges():
        if out_file.suffix.lower() not in SUFFIXES:
            raise OptionError(f"{out_file}: write .yaml, .json, .xlsx or .csv")
        if source.isdigit() and not Path(source).exists():
            from natrisk.services.trends import export_set
            from natrisk.store.database import Database

            if not user:
                raise OptionError("a stored set needs --user")
            with Database(database).session() as s:
                ts = export_set(s, actor_named(s, user), int(source))
        else:
            ts = load_trends(Path(source))
        write_trends(ts, out_file)
        err.print(f"wrote {out_file}")


DeepDiveArg = Annotated[
    Path, typer.Argument(help="Deep-dive file (.yaml or .json, natrisk-deepdive/1).")
]


@deepdive_app.command("validate")
def deepdive_validate(file: DeepDiveArg) -> None:
    """Check a deep-dive file's shape; print what it holds.

    Example: natrisk deepdive validate examples/deepdive-2026.yaml
    """
    from natrisk.io.deepdive import load_deepdive

    with edges():
        dd, _ = load_deepdive(file)
        out.print(
            f"{escape(str(file))}: valid ({len(dd.signals)} signals, {len(dd.trends)} trends, "
            f"{len(dd.scenarios)} proposed scenarios)",
            highlight=False,
        )


@deepdive_app.command("import")
def deepdive_import(
    file: DeepDiveArg,
    edition: Annotated[int, typer.Option("--edition", help="Id of the stored edition it studies.")],
    user: UserReq,
    database: DatabaseOpt = None,
) -> None:
    """Store a deep-dive for an edition (its signals, trends and scenarios checked), all or nothing.

    Example: natrisk deepdive import examples/deepdive-2026.yaml --edition 1 --user admin
    """
    from natrisk.io.deepdive import load_deepdive
    from natrisk.services.deepdives import import_deepdive
    from natrisk.store.database import Database

    with edges():
        dd, where = load_deepdive(file)
        with Database(database).session() as s:
            rec = import_deepdive(s, actor_named(s, user), edition, dd, where, str(file))
            err.print(f"imported deep-dive {rec.slug!r} as id {rec.id}")


@deepdive_app.command("show")
def deepdive_show(
    deepdive: Annotated[int, typer.Argument(help="Id of the stored deep-dive.")],
    user: UserReq,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A stored deep-dive as the user may see it: theme, signals, trends, proposed scenarios.

    Example: natrisk deepdive show 1 --user admin
    """
    from natrisk.io.deepdive import dump_deepdive
    from natrisk.services.deepdives import deepdive_for, deepdive_view
    from natrisk.store.database import Database

    with edges():
        with Database(database).session() as s:
            actor = actor_named(s, user)
            dd = deepdive_view(s, actor, deepdive_for(s, actor, deepdive))
        if as_json:
            print_json(dump_deepdive(dd))
            return
        out.print(f"{escape(dd.title)} (theme {dd.theme})", highlight=False)
        out.print(f"signals: {', '.join(dd.signals) or '-'}", highlight=False)
        out.print(
            f"trends: {', '.join(f'{t.trend_set}/{t.trend}' for t in dd.trends) or '-'}",
            highlight=False,
        )
        for p in dd.scenarios:
            out.print(f"  {p.change} scenario {p.id}: {escape(p.title)}", highlight=False)


@deepdive_app.command("scenario")
def deepdive_scenario(
    deepdive: Annotated[int, typer.Argument(help="Id of the stored deep-dive.")],
    proposal: Annotated[str, typer.Argument(help="Id of the scenario it proposes.")],
    user: UserReq,
    likelihood: Annotated[
        str | None,
        typer.Option(help="Likelihood class of the new scenario (if the proposal has none)."),
    ] = None,
    database: DatabaseOpt = None,
) -> None:
    """Create the scenario a deep-dive proposes (its origin kept), or record the change it
    proposes to an existing scenario.

    Example: natrisk deepdive scenario 1 vector-borne-outbreak --likelihood B --user admin
    """
    from natrisk.services.deepdives import (
        create_scenario,
        deepdive_for,
        deepdive_view,
        record_change,
    )
    from natrisk.store.database import Database

    with edges(), Database(database).session() as s:
        actor = actor_named(s, user)
        dd = deepdive_view(s, actor, deepdive_for(s, actor, deepdive))
        p = dd.proposal(proposal)
        if p is not None and p.change == "changed":
            record_change(s, actor, deepdive, proposal)
            err.print(f"recorded on scenario {proposal!r} that deep-dive {dd.id!r} changed it")
            return
        data = {"likelihood": likelihood} if likelihood else None
        rec = create_scenario(s, actor, deepdive, proposal, data)
        err.print(
            f"created scenario {rec.slug!r} in edition {rec.edition_id} from deep-dive {dd.id!r}"
        )
