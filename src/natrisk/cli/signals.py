"""Phase 1's front end, horizon scanning: ``natrisk signals ...`` (submit, judge, files,
near-duplicates, clusters), ``natrisk scan ...`` (rounds, interpretations, adoption, the
threat picture) and ``natrisk feeds token``. Commands with ``--edition ID`` work on the
shared database as ``--user``; ``check``, ``duplicates``, ``cluster`` and ``scan report``
also work on files alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from natrisk.cli.app import feeds_app, scan_app, signals_app
from natrisk.cli.common import (
    DatabaseOpt,
    Format,
    Lang,
    UserOpt,
    actor_named,
    edges,
    err,
    out,
    print_json,
    progress_bar,
)

SignalFileArg = Annotated[
    Path,
    typer.Argument(help="Signal file (.yaml, .json, .xlsx or .csv, format natrisk-signals/1)."),
]
EditionId = Annotated[int, typer.Option("--edition", help="Edition id in the database.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
VersionOpt = Annotated[
    int, typer.Option("--version", help="The version you read (a stale one is refused).")
]


def _session(database: str | None) -> Any:
    from natrisk.store.database import Database

    return Database(database).session()


@signals_app.command("check")
def signals_check(
    file: SignalFileArg,
    workbook: Annotated[
        Path | None,
        typer.Option(
            "--workbook", help="Also check themes and scenarios against this edition workbook."
        ),
    ] = None,
) -> None:
    """Check a signal file (every problem, by line or row); nothing is stored.

    Example: natrisk signals check examples/signals-2026.yaml --workbook examples/nl-2026.yaml
    """
    from natrisk.io.signals import load_signals
    from natrisk.services.signal_files import file_picture

    with edges():
        doc = load_signals(file)
        if workbook is not None and doc.scans:
            file_picture(doc, workbook, doc.scans[0].id)
        err.print(
            f"{file}: {len(doc.signals)} signals, {len(doc.scans)} scans, {len(doc.clusters)} clusters"
        )


@signals_app.command("import")
def signals_import(
    file: SignalFileArg, edition: EditionId, user: UserOpt, database: DatabaseOpt = None
) -> None:
    """Import a signal file into an edition, all or nothing (analysts, coordinators).

    Example: natrisk signals import examples/signals-2026.yaml --edition 1 --user analyst
    """
    from natrisk.io.files import read_bytes
    from natrisk.services.signal_files import import_upload

    with edges():
        data = read_bytes(file)
        with progress_bar("importing", len(data) > 100_000) as bar, _session(database) as s:
            done = import_upload(s, actor_named(s, user), edition, data, str(file), bar)
        err.print(
            f"imported {done.signals} signals, {done.scans} scans and {done.clusters} clusters into edition {edition}"
        )


@signals_app.command("export")
def signals_export(
    edition: EditionId,
    out_file: Annotated[
        Path, typer.Option("--out", help="File to write (.yaml, .json, .xlsx or .csv).")
    ],
    user: UserOpt,
    database: DatabaseOpt = None,
) -> None:
    """Export an edition's signals, scans and clusters that the user may see.

    Example: natrisk signals export --edition 1 --out signals.xlsx --user analyst
    """
    from natrisk.errors import OptionError
    from natrisk.io.signals import SUFFIXES, write_signals
    from natrisk.services.signal_files import export_file

    with edges():
        if out_file.suffix.lower() not in SUFFIXES:
            raise OptionError(f"{out_file}: write .yaml, .json, .xlsx or .csv")
        with _session(database) as s:
            doc = export_file(s, actor_named(s, user), edition)
        write_signals(doc, out_file)
        err.print(f"wrote {out_file} ({len(doc.signals)} signals)")


@signals_app.command("list")
def signals_list(
    edition: EditionId,
    user: UserOpt,
    theme: Annotated[str | None, typer.Option(help="Only this theme.")] = None,
    status: Annotated[
        str | None,
        typer.Option(
            help="Only this status (new, assessed, watch, escalated, absorbed, dismissed)."
        ),
    ] = None,
    search: Annotated[
        str | None, typer.Option("--search", help="Words the title or description holds.")
    ] = None,
    page: Annotated[int, typer.Option(help="Page (of --per-page signals).")] = 1,
    per_page: Annotated[int, typer.Option("--per-page", help="Signals per page (1-500).")] = 50,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """List an edition's signals, newest observation first (filters, search, pages).

    Example: natrisk signals list --edition 1 --user analyst --theme cyber --status escalated
    """
    from natrisk.services.signals import Filters, list_signals, view

    with edges(), _session(database) as s:
        f = Filters(theme=theme, status=status, q=search)
        rows, total = list_signals(s, actor_named(s, user), edition, f, page, per_page)
        if as_json:
            print_json({"total": total, "page": page, "signals": [view(r) for r in rows]})
            return
        table = Table(
            "id", "observed", "status", "strength", "direction", "title", title=f"{total} signals"
        )
        for r in rows:
            table.add_row(
                r.slug,
                r.observed.isoformat(),
                r.status,
                r.strength or "",
                r.direction or "",
                escape(r.title),
            )
        out.print(table)


@signals_app.command("submit")
def signals_submit(
    edition: EditionId,
    user: UserOpt,
    title: Annotated[str, typer.Option(help="What was seen, in one line.")],
    theme: Annotated[
        list[str], typer.Option("--theme", help="A theme of the edition (repeat for more).")
    ],
    observed: Annotated[
        str, typer.Option(help="Date it was observed (YYYY-MM-DD, not in the future).")
    ],
    horizon: Annotated[
        str, typer.Option(help="short (within 6 months), medium (within 5 years) or long.")
    ],
    description: Annotated[str, typer.Option(help="What it is and why it matters.")] = "",
    scenario: Annotated[
        list[str] | None, typer.Option("--scenario", help="A scenario it bears on (repeat).")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Where it was seen (a reference).")] = None,
    classification: Annotated[str | None, typer.Option(help="Classification level.")] = None,
    database: DatabaseOpt = None,
) -> None:
    """Submit a signal (anyone with a role other than reader on the edition).

    Example: natrisk signals submit --edition 1 --user ministry --title "Drones over a port" --theme critical-infrastructure --observed 2026-11-20 --horizon short
    """
    from natrisk.services.signals import submit

    body: dict[str, Any] = {
        "title": title,
        "description": description,
        "themes": theme,
        "scenarios": scenario or [],
        "observed": observed,
        "horizon": horizon,
        "classification": classification,
    }
    if source:
        body["sources"] = [{"reference": source}]
    with edges(), _session(database) as s:
        rec = submit(s, actor_named(s, user), edition, body)
        err.print(f"submitted signal {rec.slug!r} (version {rec.version})")


@signals_app.command("assess")
def signals_assess(
    signal: Annotated[str, typer.Argument(help="Signal id.")],
    edition: EditionId,
    user: UserOpt,
    strength: Annotated[str, typer.Option(help="weak, moderate or strong.")],
    direction: Annotated[str, typer.Option(help="rising, stable or falling.")],
    version: VersionOpt,
    database: DatabaseOpt = None,
) -> None:
    """Judge a signal's strength and direction (analysts); a new signal becomes assessed.

    Example: natrisk signals assess drones-over-a-port --edition 1 --user analyst --strength strong --direction rising --version 1
    """
    from natrisk.services.signals import assess

    with edges(), _session(database) as s:
        rec = assess(s, actor_named(s, user), edition, signal, strength, direction, version)
        err.print(
            f"{rec.slug}: {rec.status}, {rec.strength}, {rec.direction} (version {rec.version})"
        )


@signals_app.command("step")
def signals_step(
    signal: Annotated[str, typer.Argument(help="Signal id.")],
    edition: EditionId,
    user: UserOpt,
    to: Annotated[
        str, typer.Option("--to", help="watch, escalated, assessed, absorbed or dismissed.")
    ],
    version: VersionOpt,
    reason: Annotated[str, typer.Option(help="Why (required to dismiss).")] = "",
    scenario: Annotated[
        str | None, typer.Option(help="The scenario that absorbs the signal.")
    ] = None,
    database: DatabaseOpt = None,
) -> None:
    """Move a signal along its lifecycle (analysts).

    Example: natrisk signals step drones-over-a-port --edition 1 --user analyst --to escalated --version 2
    """
    from natrisk.services.signals import step

    with edges(), _session(database) as s:
        rec = step(s, actor_named(s, user), edition, signal, to, version, reason, scenario)
        err.print(f"{rec.slug}: {rec.status} (version {rec.version})")


def _texts(
    file: Path | None, edition: int | None, user: str | None, database: str | None
) -> tuple[list[str], list[str]]:
    """Ids and texts of the signals of a file, or of an edition as the user sees it."""
    from natrisk.errors import OptionError

    if (file is None) == (edition is None):
        raise OptionError("give a signal file or --edition (with --user), not both")
    if file is not None:
        from natrisk.io.signals import load_signals

        doc = load_signals(file)
        return [s.id for s in doc.signals], [s.text() for s in doc.signals]
    if not user:
        raise OptionError("--edition needs --user")
    from natrisk.services.access import edition_for
    from natrisk.services.signals import text_of, visible

    with _session(database) as s:
        actor = actor_named(s, user)
        ed, _ = edition_for(s, actor, edition)  # type: ignore[arg-type]
        recs = visible(s, actor, ed)
        return [r.slug for r in recs], [text_of(r) for r in recs]


OptFile = Annotated[Path | None, typer.Argument(help="Signal file (or use --edition).")]
OptEdition = Annotated[int | None, typer.Option("--edition", help="Edition id in the database.")]
OptUser = Annotated[str | None, typer.Option("--user", help="Act as this user (with --edition).")]


@signals_app.command("duplicates")
def signals_duplicates(
    file: OptFile = None,
    edition: OptEdition = None,
    user: OptUser = None,
    threshold: Annotated[
        float, typer.Option(help="Cosine similarity of a near-duplicate (0-1).")
    ] = 0.8,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Pairs of near-duplicate signals (Dutch and English alike: character n-grams).

    Example: natrisk signals duplicates examples/signals-2026.yaml
    """
    from natrisk.errors import OptionError
    from natrisk.method import similarity

    with edges():
        if not 0 < threshold <= 1:
            raise OptionError("--threshold is above 0 and at most 1")
        ids, texts = _texts(file, edition, user, database)
        pairs = similarity.near_duplicates(similarity.vectorise(texts), threshold)
        found: list[dict[str, Any]] = [
            {"a": ids[i], "b": ids[j], "similarity": s} for i, j, s in pairs
        ]
        if as_json:
            print_json(found)
            return
        table = Table("signal", "near-duplicate", "similarity", title=f"{len(found)} pairs")
        for p in found:
            table.add_row(str(p["a"]), str(p["b"]), f"{p['similarity']:.2f}")
        out.print(table)


@signals_app.command("cluster")
def signals_cluster(
    file: OptFile = None,
    edition: OptEdition = None,
    user: OptUser = None,
    distance: Annotated[
        float, typer.Option(help="Average cosine distance at which clusters stop merging (0-1).")
    ] = 0.75,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Candidate threats: signals clustered by their text (TF-IDF, agglomerative clustering).

    Example: natrisk signals cluster examples/signals-2026.yaml --json
    """
    from natrisk.errors import OptionError
    from natrisk.method import similarity

    with edges():
        if not 0 < distance <= 1:
            raise OptionError("--distance is above 0 and at most 1")
        ids, texts = _texts(file, edition, user, database)
        labels = similarity.clusters(texts, distance)
        groups: dict[int, list[str]] = {}
        for sid, label in zip(ids, labels.tolist(), strict=True):
            groups.setdefault(label, []).append(sid)
        found = [g for g in groups.values() if len(g) > 1]
        if as_json:
            print_json(found)
            return
        table = Table("size", "signals", title=f"{len(found)} candidate threats")
        for g in found:
            table.add_row(str(len(g)), ", ".join(g))
        out.print(table)


# ---------------------------------------------------------------------------- scans


@scan_app.command("list")
def scan_list(edition: EditionId, user: UserOpt, database: DatabaseOpt = None) -> None:
    """The scan rounds of an edition.

    Example: natrisk scan list --edition 1 --user analyst
    """
    from natrisk.services.scans import scans_of

    with edges(), _session(database) as s:
        table = Table("id", "period", "status", "version", "title")
        for r in scans_of(s, actor_named(s, user), edition):
            table.add_row(r.slug, f"{r.start} – {r.end}", r.status, str(r.version), escape(r.title))
        out.print(table)


@scan_app.command("create")
def scan_create(
    edition: EditionId,
    user: UserOpt,
    scan_id: Annotated[str, typer.Option("--id", help="Id of the scan, such as spring-2027.")],
    title: Annotated[str, typer.Option(help="Title.")],
    start: Annotated[str, typer.Option(help="First day of its period (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option(help="Last day of its period (YYYY-MM-DD).")],
    database: DatabaseOpt = None,
) -> None:
    """Open a scan round (analysts, coordinators).

    Example: natrisk scan create --edition 1 --user analyst --id spring-2027 --title "Spring 2027" --start 2027-01-01 --end 2027-06-30
    """
    from natrisk.services.scans import create

    with edges(), _session(database) as s:
        rec = create(
            s,
            actor_named(s, user),
            edition,
            {"id": scan_id, "title": title, "start": start, "end": end},
        )
        err.print(f"opened scan {rec.slug!r} (version {rec.version})")


@scan_app.command("interpret")
def scan_interpret(
    scan: Annotated[str, typer.Argument(help="Scan id.")],
    edition: EditionId,
    user: UserOpt,
    theme: Annotated[str, typer.Option(help="The theme the text interprets.")],
    text: Annotated[str, typer.Option(help="The analysts' interpretation (empty removes it).")],
    version: VersionOpt,
    database: DatabaseOpt = None,
) -> None:
    """Write the interpretation of one theme in an open scan (analysts).

    Example: natrisk scan interpret autumn-2026 --edition 1 --user analyst --theme cyber --text "..." --version 1
    """
    from natrisk.services.scans import change

    with edges(), _session(database) as s:
        rec = change(
            s, actor_named(s, user), edition, scan, {"interpretations": {theme: text}}, version
        )
        err.print(f"scan {rec.slug}: interpretation of {theme} saved (version {rec.version})")


@scan_app.command("adopt")
def scan_adopt(
    scan: Annotated[str, typer.Argument(help="Scan id.")],
    edition: EditionId,
    user: UserOpt,
    version: VersionOpt,
    database: DatabaseOpt = None,
) -> None:
    """Adopt a scan (coordinators): its snapshot of signals is kept from now on.

    Example: natrisk scan adopt autumn-2026 --edition 1 --user coordinator --version 3
    """
    from natrisk.services.scans import adopt

    with edges(), _session(database) as s:
        rec = adopt(s, actor_named(s, user), edition, scan, version)
        err.print(f"adopted scan {rec.slug} ({len(rec.snapshot or [])} signals)")


@scan_app.command("report")
def scan_report(
    scan: Annotated[str, typer.Argument(help="Scan id.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the threat picture to.")],
    signals: Annotated[
        Path | None,
        typer.Option("--signals", help="Signal file (with --workbook), instead of the database."),
    ] = None,
    workbook: Annotated[
        Path | None, typer.Option("--workbook", help="The edition workbook the signals belong to.")
    ] = None,
    edition: OptEdition = None,
    user: OptUser = None,
    lang: Annotated[Lang, typer.Option(help="Language of the report.")] = Lang.en,
    fmt: Annotated[
        Format, typer.Option("--format", help="html, or pdf (HTML and PDF).")
    ] = Format.pdf,
    database: DatabaseOpt = None,
) -> None:
    """The threat picture of a scan: radar, signals and interpretation per theme, what changed
    since the previous scan, and the scenarios flagged for re-assessment (HTML and PDF).

    Example: natrisk scan report autumn-2026 --signals examples/signals-2026.yaml --workbook examples/nl-2026.yaml --out out/threat
    """
    from natrisk.errors import OptionError
    from natrisk.services.signal_files import file_picture, write_picture

    with edges():
        pdf = fmt == Format.pdf
        if signals is not None and workbook is not None and edition is None:
            from natrisk.io.signals import load_signals

            files = write_picture(
                file_picture(load_signals(signals), workbook, scan), out_dir, lang.value, pdf
            )
        elif edition is not None and user and signals is None:
            from natrisk.services.scans import picture

            with _session(database) as s:
                p = picture(s, actor_named(s, user), edition, scan)
            files = write_picture(p, out_dir, lang.value, pdf, user)
        else:
            raise OptionError("give --signals and --workbook, or --edition and --user")
        for f in files:
            err.print(f"wrote {f}")


@feeds_app.command("token")
def feeds_token(
    user: UserOpt,
    label: Annotated[str, typer.Option(help="What the token is for (a feed reader's name).")] = "",
    database: DatabaseOpt = None,
) -> None:
    """Make a feed token for the Atom feeds and the CAP export (shown once; keep it safe).

    Example: natrisk feeds token --user analyst --label "ministry alert desk"
    """
    from natrisk.services.feeds import issue_token

    with edges(), _session(database) as s:
        _, token = issue_token(s, actor_named(s, user), label)
        out.print(token)
