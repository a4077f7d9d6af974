"""How threats combine, on files: cascades, variants and compounds; the regional roll-up."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from natrisk.cli.app import app
from natrisk.cli.common import (
    DaskOpt,
    FileArg,
    Method,
    MethodOpt,
    ProfileOpt,
    edges,
    err,
    out,
    print_json,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


@app.command()
def cascades(
    file: FileArg,
    method: MethodOpt = Method.weighted_sum,
    profile: ProfileOpt = None,
    samples: Annotated[int, typer.Option(min=1, help="Monte Carlo samples per scenario.")] = 10000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    scenario: Annotated[
        str | None, typer.Option(help="Show one scenario's causes and effects.")
    ] = None,
    as_json: JsonOpt = False,
    dask: DaskOpt = None,
) -> None:
    """Cascades, intensity variants and compound scenarios of an edition.

    Example: natrisk cascades examples/nl-2026.yaml --scenario national-power-blackout
    """
    from natrisk.services import cluster
    from natrisk.services.assessment import assess
    from natrisk.services.edition import open_edition
    from natrisk.services.stacking import analyse

    with edges():
        ed = open_edition(file)
        settings = _settings(ed, method, profile)
        with cluster.mapper(cluster.scheduler(dask)) as mapper:
            result = analyse(assess(ed.table, ed.book, settings), samples, seed, mapper=mapper)
        for w in result.warnings:
            err.print(f"[yellow]warning[/]: {w}")
        if as_json:
            print_json(result.to_json())
            return
        rows = [result.scenario(scenario)] if scenario else result.scenarios
        if scenario and rows[0] is None:
            from natrisk.errors import OptionError

            raise OptionError(f"--scenario: no scenario {scenario!r} in {file}")
        table = Table(title=f"Cascades ({result.samples} samples, seed {result.seed})")
        for col in (
            "scenario",
            "direct",
            "with cascades (p5 / median / p95)",
            "P direct",
            "P total",
            "from others",
        ):
            table.add_column(col)
        for r in rows:
            if r is None or (not scenario and not r["effects"] and not r["causes"]):
                continue
            table.add_row(
                r["id"],
                f"{r['direct_score']:.3g}",
                f"{r['cascaded_mean']:.3g} ({r['cascaded_p5']:.3g} / {r['cascaded_median']:.3g} / {r['cascaded_p95']:.3g})",
                f"{r['probability_direct']:.2%}",
                f"{r['probability_total']:.2%}",
                f"{r['share_from_others']:.0%}",
            )
        out.print(table)
        if scenario and rows[0] is not None:
            r = rows[0]
            for side in ("causes", "effects"):
                out.print(
                    f"[bold]{side}[/]: "
                    + ", ".join(f"{c['id']} {c['share']:.0%}" for c in r[side][:8])
                )
        if result.hidden_links:
            out.print(f"{result.hidden_links} links not shown")


@app.command()
def rollup(
    national: FileArg,
    regions: Annotated[list[Path], typer.Argument(help="Regional edition files.")],
    method: MethodOpt = Method.weighted_sum,
    as_json: JsonOpt = False,
) -> None:
    """Roll regional risk profiles up into the national picture, per national scenario.

    Example: natrisk rollup examples/nl-2026.yaml examples/regions/*.yaml
    """
    from natrisk.services.assessment import assess
    from natrisk.services.edition import open_edition
    from natrisk.services.stacking import open_regional
    from natrisk.services.stacking import rollup as run_rollup

    with edges():
        ed = open_edition(national)
        a = assess(ed.table, ed.book, _settings(ed, method, None))
        result = run_rollup(a, [open_regional(p, a) for p in regions])
        if as_json:
            print_json(result)
            return
        table = Table(title=f"Roll-up into {result['edition']}")
        for col in ("national", "regions", "rolled up", "national scoring", "differences"):
            table.add_column(col)
        for row in result["rows"]:
            nat = row.get("national", {})
            diffs = sum(len(r["differences"]) for r in row["regions"])
            table.add_row(
                row["target"],
                ", ".join(r["region"] for r in row["regions"]),
                row["reading"],
                nat.get("reading", ""),
                str(diffs),
            )
        out.print(table)


def _settings(ed: Any, method: Method, profile: str | None) -> Any:
    from natrisk.cli.common import settings_of

    return settings_of(ed, method, profile, None, None)
