"""What every command shares: the consoles, option types, the error edge, progress bars
and how a command names a user.

Every error a user can cause is a NatriskError: the message is printed and the exit code
is 2. Nothing is written to --out unless the whole run succeeds.
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

from natrisk.errors import NatriskError, WorkbookError


def _width(stream: Any) -> int | None:
    # a pipe, a log or CI is no 80-column terminal: never break paths and sentences there
    return None if stream.isatty() else int(os.environ.get("COLUMNS") or 200)


err = Console(stderr=True, soft_wrap=True, width=_width(sys.stderr))
out = Console(width=_width(sys.stdout))


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


UserOpt = Annotated[
    str, typer.Option("--user", help="Act as this user (their organisation, role and clearance).")
]
DaskOpt = Annotated[
    str | None,
    typer.Option(
        "--dask",
        envvar="NATRISK_DASK_SCHEDULER",
        help="Run the Monte Carlo samples on a Dask cluster: tcp://host:8786, or local "
        "(worker processes on this machine). Same seed, same result.",
    ),
]
DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database", help="Database URL (default: NATRISK_DATABASE_URL or the local SQLite file)."
    ),
]


@contextmanager
def edges() -> Iterator[None]:
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
def progress_bar(label: str, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
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


def settings_of(
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


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def actor_named(s: Any, username: str) -> Any:
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


def user_named(s: Any, username: str) -> Any:
    from natrisk.errors import InputError
    from natrisk.services.accounts import find_user

    user = find_user(s, username)
    if user is None:
        raise InputError(f"no user {username!r} (write organisation/name when the name is shared)")
    return user
