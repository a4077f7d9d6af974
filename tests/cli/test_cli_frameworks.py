"""`natrisk frameworks`, a user's own framework file, and `--version`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from cli_support import FRAMEWORKS, NL2019_CRITERIA, Runner, assert_refused

from natrisk import __version__

UK_WORKBOOK = """\
format: natrisk/1
edition:
  id: uk-own-2026
  title: Own framework
  framework: ../frameworks/my-uk.yaml
scenarios:
  - id: pandemic
    title: Pandemic
    theme: human-animal-plant-health
    malicious: false
    likelihood: "3"
    impacts:
      fatalities: "5"
      economic: "4"
  - id: storm
    title: Storm
    theme: natural-and-environmental-hazards
    malicious: false
    likelihood: "4"
    impacts:
      fatalities: "2"
      essential-services: 2-3
"""


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user's own copy of uk-nrr under another id, and a workbook that points to it."""
    base = tmp_path_factory.mktemp("frameworks")
    (base / "frameworks").mkdir()
    text = (FRAMEWORKS / "uk-nrr.yaml").read_text(encoding="utf-8")
    assert "\nid: uk-nrr\n" in text
    (base / "frameworks" / "my-uk.yaml").write_text(
        text.replace("\nid: uk-nrr\n", "\nid: my-uk\n"), encoding="utf-8"
    )
    shutil.copy(FRAMEWORKS / "uk-nrr.yaml", base / "frameworks" / "uk-copy.yaml")
    (base / "books").mkdir()
    (base / "books" / "uk.yaml").write_text(UK_WORKBOOK, encoding="utf-8")
    (base / "books" / "uk-copy.yaml").write_text(
        UK_WORKBOOK.replace("my-uk.yaml", "uk-copy.yaml"), encoding="utf-8"
    )
    (base / "elsewhere").mkdir()
    return base


@pytest.fixture(scope="module")
def runs(runner: Runner, base: Path) -> Runner:
    runner.submit("list", "frameworks", "list")
    runner.submit("show", "frameworks", "show", "nl-2019")
    runner.submit("show-nl", "frameworks", "show", "nl-2019", "--lang", "nl")
    runner.submit("show-nope", "frameworks", "show", "nope")
    runner.submit("show-file", "frameworks", "show", base / "frameworks" / "my-uk.yaml")
    # run from an unrelated folder: the framework path is relative to the workbook
    runner.submit("own", "assess", "../books/uk.yaml", "--json", cwd=base / "elsewhere")
    runner.submit("copy", "assess", base / "books" / "uk-copy.yaml", "--json", "--method", "medal")
    runner.submit("version", "--version")
    return runner


def test_list_shows_the_bundled_frameworks(runs: Runner) -> None:
    result = runs.result("list")
    assert result.code == 0, str(result)
    for fid in ("nl-2009", "nl-2019", "uk-nrr"):
        assert fid in result.stdout


def criteria_ids(stdout: str) -> list[str]:
    """Criterion ids in the first column of the criteria table."""
    table = stdout.split("likelihood over", 1)[0]
    return re.findall(r"^\W*(\d+\.\d+)\s", table, flags=re.MULTILINE)


@pytest.mark.parametrize("name", ["show", "show-nl"])
def test_show_lists_the_sixteen_criteria(runs: Runner, name: str) -> None:
    result = runs.result(name)
    assert result.code == 0, str(result)
    assert "nl-2019" in result.stdout
    ids = criteria_ids(result.stdout)
    assert len(ids) == 16, ids
    assert sorted(ids) == sorted(NL2019_CRITERIA)


def test_show_unknown_framework_is_refused(runs: Runner) -> None:
    result = runs.result("show-nope")
    assert_refused(result, "nope")
    assert result.stdout == ""


def test_show_a_framework_file(runs: Runner) -> None:
    result = runs.result("show-file")
    assert result.code == 0, str(result)
    assert "my-uk" in result.stdout
    assert "fatalities" in result.stdout


def test_own_framework_file_by_relative_path(runs: Runner) -> None:
    result = runs.result("own")
    assert result.code == 0, str(result)
    data = result.json()
    assert data["framework"]["id"] == "my-uk"
    rows = {row["id"]: row for row in data["scenarios"]}
    assert set(rows) == {"pandemic", "storm"}
    assert rows["pandemic"]["likelihood"] == "3"
    assert rows["pandemic"]["criteria"]["fatalities"] == "5"
    assert rows["pandemic"]["criteria"]["casualties"] == "X"
    assert rows["pandemic"]["rank"] == 1 and rows["storm"]["rank"] == 2
    assert rows["pandemic"]["impact_score"] > rows["storm"]["impact_score"]


def test_copied_framework_file_works_with_another_method(runs: Runner) -> None:
    result = runs.result("copy")
    assert result.code == 0, str(result)
    data = result.json()
    assert data["framework"]["id"] == "uk-nrr"
    assert {row["id"]: row["rank"] for row in data["scenarios"]} == {"pandemic": 1, "storm": 2}


def test_version(runs: Runner) -> None:
    result = runs.result("version")
    assert result.code == 0, str(result)
    assert __version__ in result.stdout
    assert re.search(r"\d+\.\d+\.\d+", result.stdout)
