"""Opening an edition file and producing every output of an assessment run."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from natrisk.domain.edition import Workbook
from natrisk.domain.framework import Framework
from natrisk.errors import FrameworkError, Problem, WorkbookError, problem_count
from natrisk.io.files import staged_output
from natrisk.io.workbook import in_reading_order, load_located
from natrisk.services.assessment import Assessment, Settings, assess
from natrisk.services.frameworks import framework_problem, load_framework
from natrisk.services.scoring import ScoreTable, resolve
from natrisk.services.sensitivity import Sensitivity, run_sensitivity


@dataclass(frozen=True)
class OpenEdition:
    """A workbook that has passed every check, with its framework and arrays."""

    path: Path
    book: Workbook
    framework: Framework
    table: ScoreTable


def open_edition(path: Path) -> OpenEdition:
    """Read, validate and resolve a workbook file; every problem is raised at once, each at
    its line or sheet row."""
    path = Path(path)
    try:
        book, locate = load_located(path)
    except WorkbookError as exc:
        if isinstance(
            exc.partial, Workbook
        ):  # report the framework's findings on the valid part too
            found = framework_problems(exc.partial, path)
            exc.problems += exc.locate(found) if exc.locate else found
            exc.message = f"{path}: {problem_count(len(exc.problems))}"
        exc.problems = in_reading_order(exc.problems)
        raise
    try:
        framework = load_framework(book.edition.framework, base_dir=path.parent)
    except FrameworkError as exc:
        raise WorkbookError(
            f"{path}: unknown framework", [framework_problem(str(path), exc)]
        ) from exc
    try:
        table = resolve(book, framework, str(path), themes=True)
    except WorkbookError as exc:
        exc.problems = in_reading_order(locate(exc.problems))
        raise
    return OpenEdition(path, book, framework, table)


def framework_problems(book: Workbook, path: Path) -> list[Problem]:
    """The framework's findings on the valid part of an invalid workbook."""
    try:
        framework = load_framework(book.edition.framework, base_dir=path.parent)
        resolve(book, framework, str(path), themes=True)
    except FrameworkError as exc:
        return [framework_problem(str(path), exc)]
    except WorkbookError as exc:
        return exc.problems
    return []


def results_csv(a: Assessment) -> str:
    """One row per scenario: id, title, theme, score, rank, likelihood, class per criterion."""
    data = a.to_json()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    criteria = a.table.criteria
    writer.writerow(
        [
            "id",
            "title",
            "theme",
            "malicious",
            "impact_score",
            "rank",
            "likelihood",
            "dominant",
            *criteria,
        ]
    )
    for row in data["scenarios"]:
        writer.writerow(
            [
                row["id"],
                row["title"],
                row["theme"],
                row["malicious"],
                f"{row['impact_score']:.6g}",
                row["rank"],
                row["likelihood_range"],
                row["dominant"],
                *(row["criteria_range"][c] for c in criteria),
            ]
        )
    return buf.getvalue()


def write_run(
    ed: OpenEdition,
    settings: Settings,
    out_dir: Path,
    lang: str = "en",
    samples: int = 10000,
    seed: int = 0,
    formats: tuple[str, ...] = ("html", "pdf"),
    progress: Callable[[int, int], None] | None = None,
    regions: list[Path] | None = None,
    cascade_samples: int = 5000,
) -> tuple[Assessment, Sensitivity, list[Path]]:
    """Assess, run the sensitivity analysis, and write every output, all or nothing.

    An edition with links, variants or compounds, or given ``regions`` (regional edition
    files), gets the chapter on cascades and stacking and ``cascades.json``/``rollup.json``.
    """
    from natrisk.report.diagram import diagram_spec, render
    from natrisk.report.document import render_html, render_pdf
    from natrisk.services.stacking import file_chapter

    a = assess(ed.table, ed.book, settings)
    stacked, roll, chapter = file_chapter(a, regions or [], lang, cascade_samples, seed)
    s = run_sensitivity(ed.table, settings, samples=samples, seed=seed, progress=progress)
    spec = diagram_spec(a, s, lang)
    html = render_html(a, s, lang, stacking=chapter)
    files: dict[str, bytes] = {
        "results.json": (json.dumps(a.to_json(), indent=2, ensure_ascii=False) + "\n").encode(),
        "results.csv": results_csv(a).encode(),
        "sensitivity.json": (json.dumps(s.to_json(), indent=2) + "\n").encode(),
        "risk-diagram.vl.json": (json.dumps(spec, indent=1) + "\n").encode(),
        "risk-diagram.svg": render(spec, "svg"),
        "risk-diagram.png": render(spec, "png"),
    }
    if stacked is not None:
        files["cascades.json"] = (json.dumps(stacked.to_json(), indent=1) + "\n").encode()
    if roll is not None:
        files["rollup.json"] = (json.dumps(roll, indent=1, ensure_ascii=False) + "\n").encode()
    stem = f"risk-picture-{ed.book.edition.id}-{lang}"
    if "html" in formats:
        files[f"{stem}.html"] = html.encode("utf-8")
    if "pdf" in formats:
        files[f"{stem}.pdf"] = render_pdf(html)
    with staged_output(out_dir) as stage:
        for name, data in files.items():
            (stage / name).write_bytes(data)
    return a, s, [Path(out_dir) / name for name in files]
