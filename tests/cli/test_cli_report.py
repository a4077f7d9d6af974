"""`natrisk report`: the risk picture in Dutch and English, as HTML and PDF."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import MINIMAL, Runner, assert_refused


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("report")
    (base / "minimal.yaml").write_text(MINIMAL, encoding="utf-8")
    return base


@pytest.fixture(scope="module")
def runs(runner: Runner, base: Path) -> Runner:
    book = base / "minimal.yaml"
    common = ("--samples", "200", "--seed", "2")
    runner.submit("pdf", "report", book, "--out", base / "pdf", "--format", "pdf", *common)
    for lang in ("nl", "en"):
        out = base / f"html-{lang}"
        runner.submit(
            lang, "report", book, "--out", out, "--format", "html", "--lang", lang, *common
        )
    runner.submit("no-out", "report", book)
    runner.submit("bad-format", "report", book, "--out", base / "odt", "--format", "odt")
    return runner


def html_of(runs: Runner, base: Path, lang: str) -> str:
    result = runs.result(lang)
    assert result.code == 0, str(result)
    (page,) = sorted((base / f"html-{lang}").glob("risk-picture-*.html"))
    assert page.name.endswith(f"-{lang}.html")
    return page.read_text(encoding="utf-8")


def test_dutch_html(runs: Runner, base: Path) -> None:
    html = html_of(runs, base, "nl")
    assert "Risicobeeld" in html
    assert '<html lang="nl"' in html
    assert "flood-coast" in html or "Coastal flood" in html


def test_english_html(runs: Runner, base: Path) -> None:
    html = html_of(runs, base, "en")
    assert "Risk picture" in html
    assert '<html lang="en"' in html
    assert "Coastal flood" in html


def test_the_languages_differ(runs: Runner, base: Path) -> None:
    assert html_of(runs, base, "nl") != html_of(runs, base, "en")


def test_pdf(runs: Runner, base: Path) -> None:
    result = runs.result("pdf")
    assert result.code == 0, str(result)
    (pdf,) = sorted((base / "pdf").glob("risk-picture-*.pdf"))
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert b"%%EOF" in data[-1024:]
    assert len(data) > 10_000


@pytest.mark.parametrize("name", ["no-out", "bad-format"])
def test_bad_options_are_refused(runs: Runner, name: str) -> None:
    result = runs.result(name)
    assert_refused(result)
