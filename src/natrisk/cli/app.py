"""The command tree: ``natrisk`` and its groups; the commands live in one module per phase."""

from __future__ import annotations

from typing import Annotated

import typer

from natrisk import __version__
from natrisk.cli.common import out

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
db_app: typer.Typer = typer.Typer(
    help="Move editions between workbook files and the shared database.", no_args_is_help=True
)
users_app = typer.Typer(help="Accounts of the shared system.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
plan_app = typer.Typer(
    help="Capabilities-based planning: gaps, duplications, coverage, weighing.",
    no_args_is_help=True,
)
follow_app = typer.Typer(
    help="Follow-up: measures, progress, target risk, calendar, progress report.",
    no_args_is_help=True,
)
trends_app = typer.Typer(
    help="Strategic foresight: trends, the trend analysis against a baseline, the report.",
    no_args_is_help=True,
)
deepdive_app = typer.Typer(
    help="Thematic deep-dives: a study of one theme, its signals, trends and scenarios.",
    no_args_is_help=True,
)
signals_app = typer.Typer(
    help="Horizon scanning: signals, near-duplicates, candidate threats, signal files.",
    no_args_is_help=True,
)
scan_app = typer.Typer(
    help="Horizon-scan rounds: interpretations, adoption, the threat picture.",
    no_args_is_help=True,
)
feeds_app = typer.Typer(
    help="Sharing signals: tokens for the Atom feeds and the CAP export.", no_args_is_help=True
)
app.add_typer(signals_app, name="signals")
app.add_typer(scan_app, name="scan")
app.add_typer(feeds_app, name="feeds")
app.add_typer(trends_app, name="trends")
app.add_typer(deepdive_app, name="deepdive")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(plan_app, name="plan")
app.add_typer(follow_app, name="follow")


@app.callback(invoke_without_command=True)
def main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """natrisk: national security risk assessment."""
    if version:
        out.print(f"natrisk {__version__}")
        raise typer.Exit(0)
