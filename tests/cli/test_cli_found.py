"""Validation lists every problem at once, each at its line or sheet row (issue 14, item 7).

A YAML with four errors listed two (the unknown criterion only once the others were fixed,
the unknown theme never); an XLSX with a formula, a bad class, an unknown criterion and a bad
likelihood listed only the formula; counts read "1 problem(s)".
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import openpyxl

from natrisk.io.workbook import parse_workbook
from natrisk.io.xlsx import write_xlsx

FOUR = """\
format: natrisk/1
edition:
  id: four-errors
  title: Four errors
  framework: nl-2023
scenarios:
  - id: dike
    title: Dike breach
    theme: no-such-theme
    malicious: false
    likelihood: Q
    impacts:
      9.9: C
      5.3: Z
  - id: grid
    title: Grid failure
    theme: cyber
    malicious: false
    likelihood: B
    impacts:
      5.3: C
"""


def natrisk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "natrisk", *args], capture_output=True, text=True, timeout=120
    )


def listed(out: str) -> list[str]:
    return [line.strip()[2:] for line in out.splitlines() if line.strip().startswith("- ")]


def test_a_yaml_with_four_errors_lists_all_four_in_line_order(tmp_path: Path) -> None:
    path = tmp_path / "four.yaml"
    path.write_text(FOUR)
    result = natrisk("validate", str(path))
    assert result.returncode == 2, result
    out = result.stdout + result.stderr
    assert "4 problems" in out, out
    found = listed(out)
    assert len(found) == 4, out
    theme, likelihood, criterion, klass = found
    assert "line 9" in theme and "unknown theme 'no-such-theme'" in theme and "cyber" in theme
    assert "line 11" in likelihood and "likelihood" in likelihood and "'Q'" in likelihood
    assert "line 13" in criterion and "9.9" in criterion and "unknown criterion" in criterion
    assert "line 14" in klass and "'Z'" in klass


def test_an_edition_names_its_own_themes(tmp_path: Path) -> None:
    path = tmp_path / "own.yaml"
    text = FOUR.replace(
        "  framework: nl-2023\n", "  framework: nl-2023\n  themes: [no-such-theme]\n"
    )
    path.write_text(text.replace("likelihood: Q", "likelihood: B").replace("9.9: C", "5.2: C"))
    path.write_text(path.read_text().replace("5.3: Z", "5.3: D"))
    result = natrisk("validate", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_one_problem_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_text(
        FOUR.replace("theme: no-such-theme", "theme: cyber")
        .replace("likelihood: Q", "likelihood: B")
        .replace("      9.9: C\n", "")
    )
    result = natrisk("validate", str(path))
    out = result.stdout + result.stderr
    assert re.search(r": 1 problem$", out, re.M), out
    assert "problem(s)" not in out


def four_xlsx(path: Path) -> Path:
    """A workbook with a formula, a bad class, an unknown criterion and a bad likelihood."""
    raw = {
        "format": "natrisk/1",
        "edition": {"id": "xl-four", "title": "Four in Excel", "framework": "nl-2019"},
        "scenarios": [
            {
                "id": sid,
                "title": sid.title(),
                "theme": "cyber",
                "likelihood": "B",
                "impacts": {"2.1": {"quantity": {"min": 50, "max": 300}}, "3.2": "C", "5.3": "C"},
            }
            for sid in ("dike", "grid", "port")
        ],
    }
    write_xlsx(parse_workbook(raw, {}, "x"), path)
    wb = openpyxl.load_workbook(path)
    wb["impacts"]["D2"] = "=10*5"  # row 2: a formula
    wb["impacts"]["C3"] = "Q"  # row 3: a class the framework does not have
    wb["impacts"]["B4"] = "9.9"  # row 4: a criterion it does not have
    wb["scenarios"]["G4"] = "Z"  # row 4 of scenarios (port): a bad likelihood
    wb.save(path)
    return path


def test_an_xlsx_with_four_errors_lists_all_four_at_their_rows(tmp_path: Path) -> None:
    path = four_xlsx(tmp_path / "four.xlsx")
    result = natrisk("validate", str(path))
    assert result.returncode == 2
    out = result.stdout + result.stderr
    found = listed(out)
    assert len(found) == 4, out
    assert "4 problems" in out
    likelihood, formula, klass, criterion = found
    assert re.search(r"sheet scenarios, row 4, scenario port: likelihood: class 'Z'", likelihood)
    assert "sheet impacts, row 2" in formula and "formula in cell D2" in formula
    assert "sheet impacts, row 3" in klass and "'Q'" in klass
    assert "sheet impacts, row 4" in criterion and "9.9" in criterion


def _split_rows(html: Path) -> list[str]:
    """The table rows WeasyPrint lays out across two pages (their text)."""
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    pages: dict[int, set[int]] = {}
    text: dict[int, str] = {}

    def walk(box: object, page: int) -> None:
        element = getattr(box, "element", None)
        if isinstance(box, boxes.TableRowBox) and element is not None:
            pages.setdefault(id(element), set()).add(page)
            text[id(element)] = " ".join("".join(element.itertext()).split())[:80]
        for child in getattr(box, "children", None) or []:
            walk(child, page)

    document = HTML(filename=str(html)).render()
    for n, page in enumerate(document.pages):
        walk(page._page_box, n)
    return [text[k] for k, on in pages.items() if len(on) > 1]


ROOT = Path(__file__).resolve().parents[2]


def test_report_table_rows_never_split_across_pages(tmp_path: Path) -> None:
    """Row 9 of the ranking, and rows of the progress report's overview, split over two
    pages of the PDF."""
    example, plan = ROOT / "examples" / "nl-2026.yaml", ROOT / "examples" / "nl-plan-2026.yaml"
    done = natrisk("report", str(example), "--out", str(tmp_path / "r"), "--format", "html",
                   "--samples", "200")  # fmt: skip
    assert done.returncode == 0, done.stderr
    done = natrisk("follow", "report", str(plan), "--edition", str(example),
                   "--baseline", str(ROOT / "examples" / "nl-2023.yaml"),
                   "--out", str(tmp_path / "p"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    pages = sorted((tmp_path / "r").glob("*.html")) + sorted((tmp_path / "p").glob("*.html"))
    assert len(pages) == 2, pages
    for html in pages:
        assert _split_rows(html) == [], html.name


def test_the_numbers_of_the_risk_diagram_do_not_overlap() -> None:
    """Point labels overlapped (8 on 9, 27 on 28) in the example's risk diagram."""
    from natrisk.report.diagram import diagram_spec
    from natrisk.services.assessment import assess, resolve_settings
    from natrisk.services.edition import open_edition

    ed = open_edition(ROOT / "examples" / "nl-2026.yaml")
    spec = diagram_spec(assess(ed.table, ed.book, resolve_settings(ed.framework)))
    rows = spec["datasets"]["scenarios"]
    n_lik = len(ed.framework.likelihood.classes)
    sx, sy = 640 / n_lik, 420 / (len(ed.framework.impact_classes.levels) + 0.3)
    boxes = []
    for r in rows:
        half = 3.2 * len(r["label"]) + 1
        boxes.append(
            (r["lx"] * sx - half, -r["ly"] * sy - 6, r["lx"] * sx + half, -r["ly"] * sy + 6)
        )
    clashes = [
        (rows[i]["label"], rows[j]["label"])
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if boxes[i][0] < boxes[j][2] and boxes[j][0] < boxes[i][2]
        and boxes[i][1] < boxes[j][3] and boxes[j][1] < boxes[i][3]
    ]  # fmt: skip
    assert clashes == []


def test_a_measure_on_a_replaced_strategys_line_has_its_section_in_the_progress_report(
    tmp_path: Path,
) -> None:
    """It counted in "10 of 38 measures are done" but appeared in no section."""
    plan = (ROOT / "examples" / "nl-plan-2026.yaml").read_text()
    extra = (
        "  - id: m-old-line\n"
        '    title: "MEASURE-ON-A-REPLACED-LINE"\n'
        "    line: nvs-polarisation\n"
        "    owner: bzk\n"
        "    phase: prevention\n"
        "    status: done\n"
    )
    path = tmp_path / "plan.yaml"
    path.write_text(plan.replace("measures:\n", "measures:\n" + extra, 1))
    done = natrisk("follow", "report", str(path), "--edition", str(ROOT / "examples" / "nl-2026.yaml"),
                   "--baseline", str(ROOT / "examples" / "nl-2023.yaml"), "--out", str(tmp_path / "p"))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    html = next((tmp_path / "p").glob("*.html")).read_text()
    assert "MEASURE-ON-A-REPLACED-LINE" in html
    assert "Countering polarisation (" in html  # its line, named with its strategy
