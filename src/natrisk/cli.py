"""The command line: thin wrappers that parse options, call one service and print.

Every error a user can cause is a NatriskError: the message is printed and the exit
code is 2. Nothing is written to --out unless the whole run succeeds.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from natrisk import __version__
from natrisk.errors import NatriskError, WorkbookError

app = typer.Typer(
    help="natrisk: national security risk assessment (the Dutch NVS method and its kin).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
frameworks_app = typer.Typer(
    help="List and show the bundled frameworks (yardsticks).", no_args_is_help=True
)
app.add_typer(frameworks_app, name="frameworks")
err = Console(stderr=True, soft_wrap=True)
out = Console()


class Method(StrEnum):
    weighted_sum = "weighted-sum"
    medal = "medal"
    evamix = "evamix"


class Lang(StrEnum):
    en = "en"
    nl = "nl"


class Format(StrEnum):
    html = "html"
    pdf = "pdf"


class WeightMode(StrEnum):
    fixed = "fixed"
    around = "around"
    across = "across"


FileArg = Annotated[Path, typer.Argument(help="Workbook file (.yaml, .json or .xlsx).")]
MethodOpt = Annotated[Method, typer.Option(help="Aggregation method.")]
ProfileOpt = Annotated[
    str | None, typer.Option(help="Weight profile of the framework (default: its default).")
]
WeightsOpt = Annotated[str | None, typer.Option(help='Override weights, e.g. "2.1=2,3.1=1".')]
ClassValuesOpt = Annotated[
    str | None, typer.Option(help='Override class values, e.g. "X=0,A=1,B=3,C=9,D=27,E=81".')
]


class DominantRule(StrEnum):
    impact_only = "impact-only"
    impact_and_likelihood = "impact-and-likelihood"


DominantOpt = Annotated[
    DominantRule | None,
    typer.Option(
        "--dominant",
        help="Rule for dominant risks (default: the framework's own; impact-only is the older reading).",
    ),
]


@contextmanager
def _edges() -> Iterator[None]:
    """Turn errors into a message and exit code 2; never a traceback for user input."""
    try:
        yield
    except WorkbookError as exc:
        err.print(f"[bold red]invalid[/]: {escape(exc.message)}", highlight=False)
        for problem in exc.problems:
            err.print(f"  - {problem}", highlight=False, markup=False)
        raise typer.Exit(2) from exc
    except NatriskError as exc:
        err.print(f"[bold red]error[/]: {escape(exc.message)}", highlight=False)
        raise typer.Exit(2) from exc
    except RecursionError as exc:
        err.print("[bold red]error[/]: the input is nested too deeply")
        raise typer.Exit(2) from exc
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except MemoryError as exc:
        err.print("[bold red]error[/]: out of memory; use fewer samples or a smaller edition")
        raise typer.Exit(2) from exc
    except Exception as exc:  # an internal error: say so plainly, keep the trace for debugging
        if os.environ.get("NATRISK_DEBUG"):
            raise
        err.print(
            f"[bold red]internal error[/]: {type(exc).__name__}: {exc}. Set NATRISK_DEBUG=1 for details."
        )
        raise typer.Exit(1) from exc


@contextmanager
def _progress(label: str, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on standard error when it is a terminal."""
    if not enabled or not err.is_terminal:
        yield None
        return
    columns = (
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _settings(
    ed: Any,
    method: Method,
    profile: str | None,
    weights: str | None,
    class_values: str | None,
    dominant: DominantRule | None = None,
) -> Any:
    from natrisk.services.assessment import parse_assignments, resolve_settings

    return resolve_settings(
        ed.framework,
        method.value,
        profile,
        parse_assignments(weights, "--weights") if weights is not None else None,
        parse_assignments(class_values, "--class-values") if class_values is not None else None,
        dominant.value if dominant is not None else None,
    )


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


@app.command()
def validate(file: FileArg) -> None:
    """Check a workbook against its framework; list every problem.

    Example: natrisk validate examples/nl-2026.yaml
    """
    from natrisk.services.edition import open_edition

    with _edges():
        ed = open_edition(file)
        err.print(
            f"[green]valid[/]: {file} — {len(ed.book.scenarios)} scenarios on {ed.framework.id}"
        )


@app.command()
def assess(
    file: FileArg,
    method: MethodOpt = Method.weighted_sum,
    profile: ProfileOpt = None,
    weights: WeightsOpt = None,
    class_values: ClassValuesOpt = None,
    dominant: DominantOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON on standard output.")
    ] = False,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Write results, diagram and report here.")
    ] = None,
    lang: Annotated[Lang, typer.Option(help="Language of the report.")] = Lang.en,
    samples: Annotated[
        int, typer.Option(min=1, help="Monte Carlo samples for the report's uncertainty.")
    ] = 10000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Aggregate and rank every scenario; optionally write the full risk picture.

    Example: natrisk assess examples/nl-2026.yaml --method medal --json
    """
    from natrisk.services.assessment import assess as run_assess
    from natrisk.services.edition import open_edition, write_run

    with _edges():
        ed = open_edition(file)
        settings = _settings(ed, method, profile, weights, class_values, dominant)
        if out_dir is not None:
            with _progress("sampling", not as_json) as progress:
                a, _, files = write_run(
                    ed, settings, out_dir, lang.value, samples, seed, progress=progress
                )
            err.print(f"wrote {len(files)} files to {out_dir}")
        else:
            a = run_assess(ed.table, ed.book, settings)
        if as_json:
            _print_json(a.to_json())
        else:
            _print_ranking(a.to_json())


def _print_ranking(data: dict[str, Any]) -> None:
    table = Table(
        title=f"{data['edition']['title']} — {data['settings']['method']}, {data['settings']['profile']}"
    )
    for col in ("rank", "id", "theme", "likelihood", "total impact", "impact score", "dominant"):
        table.add_column(col, justify="right" if col in ("rank", "impact score") else "left")
    for row in sorted(data["scenarios"], key=lambda r: (r["rank"], r["id"])):
        table.add_row(
            str(row["rank"]),
            row["id"],
            row["theme"],
            row["likelihood_range"],
            row.get("impact_reading", ""),
            f"{row['impact_score']:.4g}",
            "yes" if row["dominant"] else "",
        )
    out.print(table)


@app.command()
def sensitivity(
    file: FileArg,
    samples: Annotated[
        int, typer.Option(min=1, max=10_000_000, help="Number of Monte Carlo samples.")
    ] = 10000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same result).")] = 0,
    method: MethodOpt = Method.weighted_sum,
    profile: ProfileOpt = None,
    weight_mode: Annotated[
        WeightMode, typer.Option(help="Weights: fixed, around the profile, or across profiles.")
    ] = WeightMode.around,
    concentration: Annotated[
        float, typer.Option(min=0.001, help="Dirichlet concentration for --weight-mode around.")
    ] = 50.0,
    top: Annotated[
        int, typer.Option(min=1, help="Report the probability of ranking in the top N.")
    ] = 10,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON on standard output.")
    ] = False,
) -> None:
    """Propagate score ranges and weight uncertainty to each scenario's rank.

    Example: natrisk sensitivity examples/nl-2026.yaml --samples 20000 --seed 7 --json
    """
    from natrisk.services.edition import open_edition
    from natrisk.services.sensitivity import run_sensitivity

    with _edges():
        ed = open_edition(file)
        settings = _settings(ed, method, profile, None, None)
        with _progress("sampling", True) as progress:
            s = run_sensitivity(
                ed.table, settings, samples, seed, weight_mode.value, concentration, top, progress
            )
        data = s.to_json()
        if as_json:
            _print_json(data)
            return
        table = Table(title=f"Rank stability — {samples:,} samples, seed {seed}")
        for col in ("id", "rank p5", "median", "rank p95", f"P(top {top})"):
            table.add_column(col, justify="left" if col == "id" else "right")
        for row in sorted(data["scenarios"], key=lambda r: (r["rank_median"], r["id"])):
            table.add_row(
                row["id"],
                str(row["rank_p5"]),
                str(row["rank_median"]),
                str(row["rank_p95"]),
                f"{row[f'p_top{top}']:.0%}",
            )
        out.print(table)


@app.command()
def report(
    file: FileArg,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the report.")],
    fmt: Annotated[Format, typer.Option("--format", help="html or pdf.")] = Format.pdf,
    lang: Annotated[Lang, typer.Option(help="Language: en or nl.")] = Lang.en,
    method: MethodOpt = Method.weighted_sum,
    profile: ProfileOpt = None,
    dominant: DominantOpt = None,
    samples: Annotated[
        int, typer.Option(min=1, help="Monte Carlo samples for the uncertainty.")
    ] = 10000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Write the risk picture report (Risicobeeld) with its diagram and data.

    Example: natrisk report examples/nl-2026.yaml --out out --format pdf --lang nl
    """
    from natrisk.services.edition import open_edition, write_run

    with _edges():
        ed = open_edition(file)
        settings = _settings(ed, method, profile, None, None, dominant)
        with _progress("sampling", True) as progress:
            _, _, files = write_run(
                ed, settings, out_dir, lang.value, samples, seed, (fmt.value,), progress
            )
        for path in files:
            if path.suffix in (".pdf", ".html"):
                err.print(f"wrote {path}")


@app.command()
def convert(
    source: Annotated[Path, typer.Argument(help="Workbook to read (.yaml, .json, .xlsx).")],
    target: Annotated[
        Path, typer.Argument(help="Workbook to write; the format follows the extension.")
    ],
) -> None:
    """Convert a workbook between YAML, JSON and XLSX, losslessly.

    Example: natrisk convert examples/nl-2026.yaml nl-2026.xlsx
    """
    from natrisk.errors import OptionError
    from natrisk.io.workbook import load_workbook, write_workbook

    with _edges():
        if target.suffix.lower() not in (".yaml", ".yml", ".json", ".xlsx"):
            raise OptionError(f"{target}: write .yaml, .json or .xlsx")
        book = load_workbook(source)
        write_workbook(book, target)
        err.print(f"wrote {target}")


@frameworks_app.command("list")
def frameworks_list() -> None:
    """List the bundled frameworks.

    Example: natrisk frameworks list
    """
    from natrisk.services.frameworks import list_frameworks

    with _edges():
        table = Table()
        for col in ("id", "name", "interests", "criteria", "status"):
            table.add_column(col)
        for fw in list_frameworks():
            table.add_row(
                fw.id, fw.name.en, str(len(fw.interests)), str(len(fw.criteria)), fw.status
            )
        out.print(table)


@frameworks_app.command("show")
def frameworks_show(
    framework: Annotated[
        str, typer.Argument(help="Framework id (e.g. nl-2019) or a framework file.")
    ],
    lang: Annotated[Lang, typer.Option(help="Language: en or nl.")] = Lang.en,
    status: Annotated[
        bool,
        typer.Option(
            "--status",
            help="List only what is not verified (provisional or contradicted), and why.",
        ),
    ] = False,
) -> None:
    """Show a framework's interests, criteria, classes and profiles.

    Example: natrisk frameworks show nl-2023 --status
    """
    from natrisk.services.frameworks import load_framework

    with _edges():
        fw = load_framework(framework)
        lg = lang.value
        if status:
            _print_unverified(fw, lg)
            return
        out.print(f"[bold]{fw.id}[/] — {fw.name.get(lg)}  ({fw.status})")
        out.print(f"source: {fw.source}", highlight=False)
        table = Table(title="criteria")
        for col in ("id", "interest", "name", "type", "scale", "status"):
            table.add_column(col)
        for c in fw.criteria:
            if c.thresholds:
                scale = (
                    ", ".join(f"{k}≥{v:,.0f}" for k, v in c.thresholds.items()) + f" {c.unit or ''}"
                )
            elif c.axes:
                scale = " × ".join(f"{a.name} ({a.unit})" for a in c.axes)
            else:
                scale = "described levels"
            if c.parts:
                scale += " — highest of " + ", ".join(p.id for p in c.parts)
            table.add_row(c.id, str(c.interest), c.name.get(lg), c.type, scale, c.status)
        out.print(table)
        lik = Table(title=f"likelihood over {fw.likelihood.horizon_years:g} years")
        for col in ("class", "label", "from", "to"):
            lik.add_column(col)
        for lc in fw.likelihood.classes:
            lik.add_row(lc.id, lc.label.get(lg), f"{lc.min:.4%}", f"{lc.max:.4%}")
        out.print(lik)
        out.print(
            "class values: " + ", ".join(f"{k}={v:g}" for k, v in fw.class_values.values.items())
        )
        out.print("weight profiles: " + ", ".join(fw.weights.profiles))


def _print_unverified(fw: Any, lang: str) -> None:
    """What of a framework is not verified, with its source and what a source says instead."""
    found = fw.unverified()
    table = Table(title=f"{fw.id}: {len(found)} value(s) not verified")
    for col in ("where", "status", "source", "why"):
        table.add_column(col, overflow="fold")
    for where, item in found:
        why = item.says or (
            "no source read yet" if item.status == "provisional" else "a source disagrees"
        )
        table.add_row(where, item.status, item.source or "–", why)
    out.print(table)
    counts = {s: sum(1 for _, i in found if i.status == s) for s in ("contradicted", "provisional")}
    out.print(
        f"{counts['contradicted']} contradicted, {counts['provisional']} provisional; "
        "everything else is verified against a cited source",
        highlight=False,
    )


@app.callback(invoke_without_command=True)
def main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """natrisk: national security risk assessment."""
    if version:
        out.print(f"natrisk {__version__}")
        raise typer.Exit(0)


db_app: typer.Typer = typer.Typer(
    help="Move editions between workbook files and the shared database.", no_args_is_help=True
)
users_app = typer.Typer(help="Accounts of the shared system.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")

UserOpt = Annotated[
    str, typer.Option("--user", help="Act as this user (their organisation, role and clearance).")
]
DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database", help="Database URL (default: NATRISK_DATABASE_URL or the local SQLite file)."
    ),
]


def _actor(s: Any, username: str) -> Any:
    from natrisk.errors import InputError
    from natrisk.services.access import Actor
    from natrisk.services.accounts import find_user

    user = find_user(s, username)
    if user is None or not user.active:
        raise InputError(
            f"no active user {username!r} (write organisation/name when several organisations "
            "use the name); create one with: natrisk users add"
        )
    return Actor.of(user)


@db_app.command("import")
def db_import(file: FileArg, user: UserOpt, database: DatabaseOpt = None) -> None:
    """Import a workbook as a new draft edition, in one transaction (all or nothing).

    Example: natrisk db import examples/nl-2026.yaml --user admin
    """
    from natrisk.errors import WorkbookError
    from natrisk.io.workbook import load_located
    from natrisk.services.workspace import import_workbook
    from natrisk.store.database import Database

    with _edges():
        book, locate = load_located(file)
        db = Database(database)
        with db.session() as s:
            try:
                edition = import_workbook(s, file, book, _actor(s, user))
            except WorkbookError as exc:
                exc.problems = locate(exc.problems)
                raise
            err.print(
                f"imported edition {edition.slug!r} as id {edition.id} ({len(book.scenarios)} scenarios)"
            )


@db_app.command("add-framework")
def db_add_framework(
    file: Annotated[Path, typer.Argument(help="Framework file (.yaml or .json).")],
    user: UserOpt,
    database: DatabaseOpt = None,
) -> None:
    """Store a framework file (.yaml or .json) in the database, so that workbooks uploaded
    to the server may name it by id (administrators).

    Example: natrisk db add-framework my-framework.yaml --user admin
    """
    from natrisk.errors import OptionError
    from natrisk.io.files import read_bytes
    from natrisk.services.framework_store import add_framework
    from natrisk.store.database import Database

    with _edges():
        if file.suffix.lower() not in (".yaml", ".yml", ".json"):
            raise OptionError(f"{file}: a framework is a .yaml or .json file")
        data = read_bytes(file)
        db = Database(database)
        with db.session() as s:
            as_json = file.suffix.lower() == ".json"
            record = add_framework(s, _actor(s, user), data, str(file), as_json)
            err.print(f"stored framework {record.id!r}; uploads may now name it by this id")


@db_app.command("export")
def db_export(
    edition: Annotated[int, typer.Argument(help="Edition id.")],
    out_file: Annotated[
        Path, typer.Option("--out", help="Workbook file to write (.yaml, .json, .xlsx).")
    ],
    user: UserOpt,
    database: DatabaseOpt = None,
) -> None:
    """Export an edition as a workbook, holding only what the user may see.

    Example: natrisk db export 1 --out edition.yaml --user admin
    """
    from natrisk.errors import OptionError
    from natrisk.io.workbook import write_workbook
    from natrisk.services.access import edition_for
    from natrisk.services.workspace import workbook_view
    from natrisk.store.database import Database

    with _edges():
        if out_file.suffix.lower() not in (".yaml", ".yml", ".json", ".xlsx"):
            raise OptionError(f"{out_file}: write .yaml, .json or .xlsx")
        db = Database(database)
        with db.session() as s:
            actor = _actor(s, user)
            ed, _ = edition_for(s, actor, edition)
            book, _ = workbook_view(s, ed, actor.clearance)
        write_workbook(book, out_file)
        err.print(f"wrote {out_file}")


@app.command()
def diff(
    edition_a: Annotated[int, typer.Argument(help="Edition id (from).")],
    edition_b: Annotated[int, typer.Argument(help="Edition id (to).")],
    user: UserOpt,
    method: MethodOpt = Method.weighted_sum,
    database: DatabaseOpt = None,
) -> None:
    """Show what changed between two editions: added, removed, moved, scores changed (JSON).

    Example: natrisk diff 1 2 --user admin
    """
    from natrisk.services.diff import diff_editions
    from natrisk.store.database import Database

    with _edges():
        db = Database(database)
        with db.session() as s:
            _print_json(diff_editions(s, _actor(s, user), edition_a, edition_b, method.value))


@app.command()
def publish(
    edition: Annotated[int, typer.Argument(help="Edition id (adopted or published).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the public edition.")],
    user: UserOpt,
    database: DatabaseOpt = None,
) -> None:
    """Write the public edition: only Openbaar material, with a note of what was withheld.

    Example: natrisk publish 1 --out public --user coordinator
    """
    from natrisk.services.publishing import publish as run_publish
    from natrisk.store.database import Database

    with _edges():
        db = Database(database)
        with db.session() as s:
            files = run_publish(s, _actor(s, user), edition, out_dir)
        err.print(f"wrote {len(files)} files to {out_dir}")


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Username.")],
    organisation: Annotated[str, typer.Option(help="Organisation slug (created if new).")],
    clearance: Annotated[str, typer.Option(help="Clearance level name.")] = "Openbaar",
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an administrator.")] = False,
    password: Annotated[
        str | None, typer.Option(help="Password (at least 12 characters); asked for when left out.")
    ] = None,
    database: DatabaseOpt = None,
) -> None:
    """Create a user; the first administrator is made this way.

    Example: natrisk users add alice --organisation nctv --clearance "Staatsgeheim Geheim" --admin
    """
    from natrisk.services.accounts import add_user
    from natrisk.store.database import Database

    with _edges():
        secret = password or typer.prompt("password", hide_input=True, confirmation_prompt=True)
        db = Database(database)
        with db.session() as s:
            user = add_user(s, username, secret, organisation, clearance, admin)
            err.print(f"created user {user.username} in {organisation}")


@audit_app.command("verify")
def audit_verify(
    checkpoint: Annotated[
        Path | None,
        typer.Option(help="A checkpoint file from 'natrisk audit checkpoint' to compare with."),
    ] = None,
    database: DatabaseOpt = None,
) -> None:
    """Check the hash chain and its signed head; exit 2 when any entry was edited or deleted.

    Example: natrisk audit verify --checkpoint /backup/audit-head.json
    """
    from natrisk.errors import NatriskError
    from natrisk.io.files import read_text
    from natrisk.services.audit import Checkpoint, against_checkpoint, verify
    from natrisk.store.database import Database

    with _edges():
        mark = Checkpoint.from_json(read_text(checkpoint)) if checkpoint else None
        db = Database(database)
        with db.session(write=False) as s:
            count, problems = verify(s)
            if mark is not None:
                problems += against_checkpoint(s, mark)
        if problems:
            for p in problems:
                err.print(f"  - entry {p.entry_id}: {p.message}", markup=False)
            raise NatriskError(
                f"the audit trail is broken: {len(problems)} problem(s) in {count} entries"
            )
        against = f", consistent with the checkpoint of {mark.at}" if mark else ""
        err.print(f"[green]intact[/]: {count} entries{against}")


@audit_app.command("checkpoint")
def audit_checkpoint(
    out_file: Annotated[
        Path, typer.Option("--out", help="File to write the head to (keep it off this server).")
    ],
    database: DatabaseOpt = None,
) -> None:
    """Verify the chain and write its signed head to a file kept outside the database.

    Example: natrisk audit checkpoint --out /backup/audit-head.json
    """
    from natrisk.io.files import write_text_atomic
    from natrisk.services.audit import checkpoint
    from natrisk.store.database import Database

    with _edges():
        db = Database(database)
        with db.session() as s:
            mark = checkpoint(s)
        write_text_atomic(out_file, mark.to_json())
        err.print(f"wrote {out_file}: entry {mark.last_id} of {mark.count}")


@users_app.command("deactivate")
def users_deactivate(
    username: Annotated[str, typer.Argument(help="Username (organisation/name when shared).")],
    database: DatabaseOpt = None,
) -> None:
    """Deactivate a user: they cannot sign in, and every session of theirs ends at once.

    Example: natrisk users deactivate alice
    """
    from natrisk.services.accounts import set_active
    from natrisk.store.database import Database

    with _edges():
        db = Database(database)
        with db.session() as s:
            user = _user(s, username)
            set_active(s, user, False)
            err.print(f"deactivated {user.username}; their sessions have ended")


@users_app.command("passwd")
def users_passwd(
    username: Annotated[str, typer.Argument(help="Username (organisation/name when shared).")],
    password: Annotated[
        str | None, typer.Option(help="New password (at least 12 characters); asked when left out.")
    ] = None,
    database: DatabaseOpt = None,
) -> None:
    """Set a user's password; every session of theirs ends.

    Example: natrisk users passwd alice
    """
    from natrisk.services.accounts import set_password
    from natrisk.store.database import Database

    with _edges():
        secret = password or typer.prompt("password", hide_input=True, confirmation_prompt=True)
        db = Database(database)
        with db.session() as s:
            user = _user(s, username)
            ended = set_password(s, user, secret)
            err.print(f"password of {user.username} set; {ended} session(s) ended")


def _user(s: Any, username: str) -> Any:
    from natrisk.errors import InputError
    from natrisk.services.accounts import find_user

    user = find_user(s, username)
    if user is None:
        raise InputError(f"no user {username!r} (write organisation/name when the name is shared)")
    return user


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8000,
    trusted_proxies: Annotated[
        str,
        typer.Option(
            envvar="NATRISK_TRUSTED_PROXIES",
            help="Comma-separated addresses of reverse proxies whose X-Forwarded-For is believed.",
        ),
    ] = "",
    database: DatabaseOpt = None,
) -> None:
    """Run the web API (OpenAPI at /docs). With nothing configured it creates the local
    database, an administrator (password printed once) and imports the bundled example.

    Example: natrisk serve --port 8000
    """
    import uvicorn

    from natrisk.api.app import create_app
    from natrisk.services.bootstrap import bootstrap
    from natrisk.store.database import Database

    with _edges():
        db = Database(database)
        message = bootstrap(db)
        if message:
            err.print(message, highlight=False)
        err.print(f"serving on http://{host}:{port} (API documentation at /docs)")
        # forwarded headers only from named proxies: uvicorn would otherwise believe any
        # client on 127.0.0.1, who could then choose the address the sign-in limit counts
        proxies = ",".join(p.strip() for p in trusted_proxies.split(",") if p.strip())
        uvicorn.run(
            create_app(db),
            host=host,
            port=port,
            log_level="warning",
            proxy_headers=bool(proxies),
            forwarded_allow_ips=proxies or None,
        )


from natrisk.cli_plan import follow_app, plan_app  # noqa: E402  (they use the helpers above)

app.add_typer(plan_app, name="plan")
app.add_typer(follow_app, name="follow")
