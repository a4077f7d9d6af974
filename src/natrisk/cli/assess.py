"""Phase 1 on files: validate, assess, sensitivity, report, convert, and the frameworks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from natrisk.cli.app import app, frameworks_app
from natrisk.cli.common import (
    ClassValuesOpt,
    DaskOpt,
    DominantOpt,
    FileArg,
    Format,
    Lang,
    Method,
    MethodOpt,
    ProfileOpt,
    WeightMode,
    WeightsOpt,
    edges,
    err,
    out,
    print_json,
    progress_bar,
    settings_of,
)


@app.command()
def validate(file: FileArg) -> None:
    """Check a workbook against its framework; list every problem.

    Example: natrisk validate examples/nl-2026.yaml
    """
    from natrisk.services.edition import open_edition
    from natrisk.services.stacking import variant_warnings

    with edges():
        ed = open_edition(file)
        for w in variant_warnings(ed.table, ed.book):
            err.print(f"[yellow]warning[/]: {file}: {w}")
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

    with edges():
        ed = open_edition(file)
        settings = settings_of(ed, method, profile, weights, class_values, dominant)
        if out_dir is not None:
            with progress_bar("sampling", not as_json) as progress:
                a, _, files = write_run(
                    ed, settings, out_dir, lang.value, samples, seed, progress=progress
                )
            err.print(f"wrote {len(files)} files to {out_dir}")
        else:
            a = run_assess(ed.table, ed.book, settings)
        if as_json:
            print_json(a.to_json())
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
    dask: DaskOpt = None,
) -> None:
    """Propagate score ranges and weight uncertainty to each scenario's rank.

    Example: natrisk sensitivity examples/nl-2026.yaml --samples 20000 --seed 7 --json
    """
    from natrisk.services import cluster
    from natrisk.services.edition import open_edition
    from natrisk.services.sensitivity import run_sensitivity

    with edges():
        ed = open_edition(file)
        settings = settings_of(ed, method, profile, None, None)
        with (
            cluster.mapper(cluster.scheduler(dask)) as mapper,
            progress_bar("sampling", True) as progress,
        ):
            s = run_sensitivity(
                ed.table,
                settings,
                samples,
                seed,
                weight_mode.value,
                concentration,
                top,
                progress,
                mapper=mapper,
            )
        data = s.to_json()
        if as_json:
            print_json(data)
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
    regions: Annotated[
        list[Path] | None,
        typer.Option(
            "--regions",
            help="Regional edition file, or a folder of them, to roll up (repeatable).",
        ),
    ] = None,
    cascade_samples: Annotated[
        int, typer.Option(min=1, help="Monte Carlo samples per scenario for the cascades.")
    ] = 5000,
    more_regions: Annotated[
        list[Path] | None,
        typer.Argument(
            help="More regional edition files (so `--regions examples/regions/*.yaml` works).",
            show_default=False,
            metavar="REGION",
        ),
    ] = None,
) -> None:
    """Write the risk picture report (Risicobeeld) with its diagram and data.

    Example: natrisk report examples/nl-2026.yaml --out out --format pdf --regions examples/regions
    """
    from natrisk.services.edition import open_edition, write_run
    from natrisk.services.stacking import regional_files

    with edges():
        ed = open_edition(file)
        settings = settings_of(ed, method, profile, None, None, dominant)
        files_of_regions = regional_files([*(regions or []), *(more_regions or [])])
        with progress_bar("sampling", True) as progress:
            _, _, files = write_run(
                ed,
                settings,
                out_dir,
                lang.value,
                samples,
                seed,
                (fmt.value,),
                progress,
                files_of_regions,
                cascade_samples,
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

    with edges():
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

    with edges():
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

    with edges():
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
