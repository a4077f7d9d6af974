"""The shared system: the database, accounts, the audit trail, diff, publish and serve."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from natrisk.cli.app import app, audit_app, db_app, users_app
from natrisk.cli.common import (
    DatabaseOpt,
    FileArg,
    Method,
    MethodOpt,
    UserOpt,
    actor_named,
    edges,
    err,
    print_json,
    progress_bar,
    user_named,
)


@db_app.command("import")
def db_import(file: FileArg, user: UserOpt, database: DatabaseOpt = None) -> None:
    """Import a workbook as a new draft edition, in one transaction (all or nothing).

    Example: natrisk db import examples/nl-2026.yaml --user admin
    """
    from natrisk.errors import WorkbookError
    from natrisk.io.workbook import load_located
    from natrisk.services.workspace import import_workbook
    from natrisk.store.database import Database

    with edges():
        book, locate = load_located(file)
        db = Database(database)
        with db.session() as s:
            try:
                edition = import_workbook(s, file, book, actor_named(s, user), themes=True)
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

    with edges():
        if file.suffix.lower() not in (".yaml", ".yml", ".json"):
            raise OptionError(f"{file}: a framework is a .yaml or .json file")
        data = read_bytes(file)
        db = Database(database)
        with db.session() as s:
            as_json = file.suffix.lower() == ".json"
            record = add_framework(s, actor_named(s, user), data, str(file), as_json)
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

    with edges():
        if out_file.suffix.lower() not in (".yaml", ".yml", ".json", ".xlsx"):
            raise OptionError(f"{out_file}: write .yaml, .json or .xlsx")
        db = Database(database)
        with db.session() as s:
            actor = actor_named(s, user)
            ed, _ = edition_for(s, actor, edition)
            book, _ = workbook_view(s, ed, actor.clearance)
        write_workbook(book, out_file)
        err.print(f"wrote {out_file}")


@db_app.command("backup")
def db_backup(
    out_file: Annotated[Path, typer.Option("--out", help="Backup file to write.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace the file when it exists already.")
    ] = False,
    database: DatabaseOpt = None,
) -> None:
    """Back up an SQLite database while it is in use (SQLite's online backup), check the copy
    (integrity and the audit trail) and record the backup in the audit trail. PostgreSQL:
    use pg_dump (docs/deploy.md).

    Example: natrisk db backup --out /backup/natrisk-2026-12-01.db
    """
    from natrisk.services.backup import backup
    from natrisk.store.database import default_url

    with edges(), progress_bar("backing up (pages)", True) as progress:
        done = backup(database or default_url(), out_file, force, progress)
        err.print(
            f"wrote {done.path} ({done.size:,} bytes, {done.entries} audit entries intact), "
            f"sha256 {done.sha256}"
        )


@db_app.command("restore")
def db_restore(
    backup_file: Annotated[Path, typer.Argument(help="A file written by 'natrisk db backup'.")],
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace a database that holds data (it is kept beside, as "
            "FILE.before-restore-TIME). Stop the web processes and workers first.",
        ),
    ] = False,
    database: DatabaseOpt = None,
) -> None:
    """Restore an SQLite database from a backup: the backup is checked first (integrity and
    audit trail), the restored database is migrated, records the restore and is verified.
    Follow it with 'natrisk audit verify'.

    Example: natrisk db restore /backup/natrisk-2026-12-01.db --force
    """
    from natrisk.services.backup import restore
    from natrisk.store.database import default_url

    with edges(), progress_bar("restoring (pages)", True) as progress:
        done = restore(database or default_url(), backup_file, force, progress)
        kept = f"; the database it replaced is kept as {done.kept}" if done.kept else ""
        err.print(
            f"restored {done.path} from {backup_file} ({done.entries} audit entries intact){kept}"
        )


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

    with edges():
        db = Database(database)
        with db.session() as s:
            print_json(diff_editions(s, actor_named(s, user), edition_a, edition_b, method.value))


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

    with edges():
        db = Database(database)
        with db.session() as s:
            files = run_publish(s, actor_named(s, user), edition, out_dir)
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

    with edges():
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

    with edges():
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

    with edges():
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

    with edges():
        db = Database(database)
        with db.session() as s:
            user = user_named(s, username)
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

    with edges():
        secret = password or typer.prompt("password", hide_input=True, confirmation_prompt=True)
        db = Database(database)
        with db.session() as s:
            user = user_named(s, username)
            ended = set_password(s, user, secret)
            err.print(f"password of {user.username} set; {ended} session(s) ended")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            envvar="NATRISK_WEB_WORKERS",
            help="Web processes sharing the port (about one per CPU core).",
        ),
    ] = 1,
    trusted_proxies: Annotated[
        str,
        typer.Option(
            envvar="NATRISK_TRUSTED_PROXIES",
            help="Comma-separated addresses of reverse proxies whose X-Forwarded-For is believed.",
        ),
    ] = "",
    job_workers: Annotated[
        int,
        typer.Option(
            "--job-workers",
            min=0,
            max=64,
            envvar="NATRISK_JOB_WORKERS",
            help="`natrisk worker` processes started beside the web processes for runs "
            "(0: none, workers run elsewhere).",
        ),
    ] = 1,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Start no job worker (the same as --job-workers 0).")
    ] = False,
    database: DatabaseOpt = None,
) -> None:
    """Run the web API and pages (OpenAPI at /docs) in one or more web processes. With nothing
    configured it creates the local database, an administrator (password printed once) and
    imports the bundled example.

    Example: natrisk serve --port 8000 --workers 2
    """
    from natrisk.api import server
    from natrisk.services.bootstrap import bootstrap
    from natrisk.store.database import Database

    with edges():
        db = Database(database)  # migrated here, once, before any web process starts
        message = bootstrap(db)
        if message:
            err.print(message, highlight=False)
        url = db.engine.url.render_as_string(hide_password=False)
        db.close()
        proxies = ",".join(p.strip() for p in trusted_proxies.split(",") if p.strip())
        listen = server.Listen(host, port, workers, proxies)
        plural = "es" if workers > 1 else ""
        err.print(
            f"serving on http://{host}:{port} with {workers} web process{plural}"
            " (API documentation at /docs)"
        )
        # processes that run beside the web processes (such as job workers) start here,
        # before server.run, which returns when the web processes have stopped
        from natrisk.cli.worker import start_workers, stop_workers

        runners = start_workers(url, 0 if no_worker else job_workers)
        try:
            server.run(url, listen)
        finally:
            stop_workers(runners)
