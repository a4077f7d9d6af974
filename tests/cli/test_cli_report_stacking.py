"""The risk picture report's chapter on cascades and stacking (`natrisk report --regions`):
the arrows diagram, the butterflies of the main cascading scenarios (the blackout among
them), variants with the dominating one and its rule, compounds, and the roll-up heat map,
in the PDF and the HTML, in English and Dutch; bad regional input refused, nothing written."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "nl-2026.yaml"
REGIONS = ROOT / "examples" / "regions"


def natrisk(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "natrisk", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("stacking-report")
    common = ("--samples", "300", "--cascade-samples", "3000", "--regions", REGIONS)
    pdf = natrisk("report", EXAMPLE, "--out", base / "pdf", "--format", "pdf", *common)
    assert pdf.returncode == 0, pdf.stderr
    html = natrisk(
        "report", EXAMPLE, "--out", base / "nl", "--format", "html", "--lang", "nl", *common
    )
    assert html.returncode == 0, html.stderr
    return base


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(path).pages)


def test_the_pdf_holds_the_chapter(reports: Path) -> None:
    (pdf,) = (reports / "pdf").glob("risk-picture-*.pdf")
    text = re.sub(r"\s+", " ", _pdf_text(pdf))
    chapter = text[text.index("Cascades and stacking") :]
    for needle in (
        "Direct and cascaded positions",
        "Cascades in the risk diagram",  # the arrows diagram, drawn
        "Causes and effects: Large-scale power blackout",  # its butterfly
        "Drinking water",
        "electronic payments",
        "Intensity variants and the dominating variant",
        "dominating",
        "Compound scenarios",
        "Cold winter",
        "Regional risk profiles rolled up",
        "Regions × national scenarios",  # the heat map, drawn
        "Zeeland",
    ):
        assert needle in chapter, needle
    assert "links not shown" not in chapter  # nothing is hidden in a file


def test_the_blackout_cascades_above_its_direct_impact(reports: Path) -> None:
    data = json.loads((reports / "pdf" / "cascades.json").read_text(encoding="utf-8"))
    row = next(r for r in data["scenarios"] if r["id"] == "national-power-blackout")
    assert row["cascaded_mean"] > row["direct_score"]
    assert row["cascaded_position"] > row["direct_position"]
    assert {e["id"] for e in row["effects"][:2]} == {
        "drinking-water-disruption",
        "payment-system-outage",
    }
    roll = json.loads((reports / "pdf" / "rollup.json").read_text(encoding="utf-8"))
    assert {r["id"] for r in roll["regions"]} == {"rijnmond", "utrecht", "zeeland"}


def test_the_dutch_html_holds_the_chapter(reports: Path) -> None:
    (html,) = (reports / "nl").glob("risk-picture-*-nl.html")
    text = html.read_text(encoding="utf-8")
    assert 'id="cascades"' in text and "Cascades en stapeling" in text
    assert "Oorzaken en gevolgen: Large-scale power blackout" in text
    assert "Regionale risicoprofielen opgeteld" in text
    assert text.count('<div class="butterfly"') >= 3
    assert 'data-scenario="national-power-blackout"' in text


def test_a_shell_pattern_of_regions_rolls_them_all_up(tmp_path: Path) -> None:
    regions = sorted(REGIONS.glob("*.yaml"))
    out = tmp_path / "out"
    run = natrisk(
        "report", EXAMPLE, "--out", out, "--format", "html", "--samples", "100",
        "--cascade-samples", "500", "--regions", *regions,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    roll = json.loads((out / "rollup.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in roll["regions"]] == ["rijnmond", "utrecht", "zeeland"]


def test_an_edition_without_links_has_no_chapter(tmp_path: Path) -> None:
    from cli_support import MINIMAL

    book = tmp_path / "minimal.yaml"
    book.write_text(MINIMAL, encoding="utf-8")
    run = natrisk("report", book, "--out", tmp_path / "out", "--format", "html", "--samples", "100")
    assert run.returncode == 0, run.stderr
    (html,) = (tmp_path / "out").glob("*.html")
    assert 'id="cascades"' not in html.read_text(encoding="utf-8")
    assert not (tmp_path / "out" / "cascades.json").exists()


def test_bad_regions_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    run = natrisk("report", EXAMPLE, "--out", tmp_path / "a", "--regions", empty)
    assert run.returncode == 2 and "holds no workbook" in run.stderr
    run = natrisk("report", EXAMPLE, "--out", tmp_path / "b", "--regions", tmp_path / "nope.yaml")
    assert run.returncode == 2 and "neither a workbook file nor a folder" in run.stderr
    bad = tmp_path / "bad.yaml"
    text = (REGIONS / "zeeland.yaml").read_text(encoding="utf-8")
    text = text.replace("national: coastal-flood", "national: no-such-scenario")
    text = text.replace("../frameworks/", str(ROOT / "examples" / "frameworks") + "/")
    bad.write_text(text, encoding="utf-8")
    out = tmp_path / "c"
    run = natrisk("report", EXAMPLE, "--out", out, "--format", "html", "--regions", bad)
    assert run.returncode == 2, run.stderr
    assert "national scenario 'no-such-scenario' is not in edition" in run.stderr
    assert "line " in run.stderr and "mapping.0.national" in run.stderr
    assert not out.exists()
    for folder in ("a", "b"):
        assert not (tmp_path / folder).exists()
