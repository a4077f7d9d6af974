"""Bad input: `validate` and `assess --out` refuse it with exit 2, a located message, no traceback,
and nothing written to --out."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from cli_support import MINIMAL, Result, Runner, assert_refused

MiB = 1024 * 1024


def replaced(old: str, new: str) -> str:
    assert old in MINIMAL
    return MINIMAL.replace(old, new)


def write_text(text: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(text, encoding="utf-8")


def write_bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def write_huge(path: Path) -> None:
    """A valid workbook padded with comments to 50 MB."""
    line = "# " + "padding " * 127 + "\n"  # 1 KiB
    with path.open("w", encoding="utf-8") as f:
        f.write(MINIMAL)
        f.write(line * (50 * 1024))


def write_formula_xlsx(path: Path) -> None:
    """The minimal workbook as XLSX (sheets edition, scenarios, impacts), one cell a formula."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "edition"
    for row in (
        ("key", "value"),
        ("format", "natrisk/1"),
        ("id", "example-2026"),
        ("title", "Example edition"),
        ("framework", "nl-2019"),
    ):
        ws.append(row)
    ws = wb.create_sheet("scenarios")
    ws.append(("id", "title", "theme", "malicious", "likelihood"))
    ws.append(("flood-coast", "Coastal flood", "climate-and-natural-disasters", False, "B"))
    ws = wb.create_sheet("impacts")
    ws.append(("scenario", "criterion", "class", "min", "max"))
    ws.append(("flood-coast", "2.1", None, "=100*3+50", "=100*3+50"))
    ws.append(("flood-coast", "3.1", None, 5.0e9, 2.0e10))
    ws.append(("flood-coast", "5.1", "B-C", None, None))
    ws.append(("flood-coast", "1.1", "X", None, None))
    wb.save(path)


@dataclass(frozen=True)
class Case:
    """A bad workbook: its file name, how to write it, and what the message must name."""

    filename: str
    write: Callable[[Path], None] | None
    needles: tuple[str, ...]
    pattern: str = ""  # a regular expression the message must match (case-insensitive)


CASES: dict[str, Case] = {
    "malformed-yaml": Case(
        "malformed.yaml",
        write_text("format: natrisk/1\nedition: [\n  id: x\nscenarios: {\n"),
        (),
        r"yaml.*line \d+|line \d+.*yaml",
    ),
    "unknown-criterion": Case(
        "unknown-criterion.yaml",
        write_text(replaced('"2.1": 350', '"9.9": 350')),
        ("flood-coast", "9.9"),
        r"unknown criterion",
    ),
    "class-letter-not-in-framework": Case(
        "letter.yaml", write_text(replaced('"5.1": B-C', '"5.1": Q')), ("flood-coast", "5.1", "Q")
    ),
    "reversed-class-range": Case(
        "reversed-class.yaml",
        write_text(replaced('"5.1": B-C', '"5.1": D-B')),
        ("flood-coast", "5.1", "D-B"),
        r"revers",
    ),
    "reversed-quantity-range": Case(
        "reversed-quantity.yaml",
        write_text(replaced("{min: 5.0e9, max: 2.0e10}", "{min: 900, max: 100}")),
        ("flood-coast", "3.1", "900", "100"),
        r"revers",
    ),
    "negative-quantity": Case(
        "negative.yaml",
        write_text(replaced('"2.1": 350', '"2.1": -5')),
        ("flood-coast", "2.1", "-5"),
        r"negative",
    ),
    "duplicate-scenario-ids": Case(
        "duplicate.yaml",
        write_text(MINIMAL + MINIMAL.split("scenarios:\n", 1)[1]),
        ("flood-coast",),
        r"more than once|duplicate|unique",
    ),
    "missing-framework": Case(
        "no-framework.yaml",
        write_text(replaced("framework: nl-2019", "framework: nl-1999")),
        ("nl-1999",),
        r"framework",
    ),
    "empty-file": Case("empty.yaml", write_bytes(b""), (), r"empty"),
    "no-scenarios": Case(
        "no-scenarios.yaml",
        write_text(MINIMAL.split("scenarios:", 1)[0] + "scenarios: []\n"),
        ("scenarios",),
    ),
    "50-mb-file": Case("huge.yaml", write_huge, (), r"\bMB\b|too large|size"),
    "binary-renamed-yaml": Case(
        "binary.yaml",
        write_bytes(bytes(range(256)) * 16 + b"\x00\x00\xff\xfe" + os.urandom(4096)),
        (),
        r"binary|not text|utf-8",
    ),
    "latin-1-text": Case(
        "latin1.yaml",
        write_bytes(replaced("Coastal flood", "Kustoverstroming café").encode("latin-1")),
        (),
        r"utf-8",
    ),
    "invalid-json": Case(
        "broken.json",
        write_text('{"format": "natrisk/1", "edition": {"id": "x",}, "scenarios": ['),
        (),
        r"json.*line \d+|line \d+.*json",
    ),
    "not-a-mapping": Case("list.yaml", write_text("- one\n- two\n"), (), r"mapping|workbook"),
    "nonexistent-path": Case("missing.yaml", None, (), r"no such|not found|does not exist"),
    "xlsx-formula-cell": Case(
        "formula.xlsx", write_formula_xlsx, ("impacts",), r"formula.*(row 2|D2)|(row 2|D2).*formula"
    ),
    "deeply-nested-yaml": Case(
        "deep.yaml",
        write_text(
            MINIMAL.split("scenarios:", 1)[0] + "scenarios: " + "[" * 50_000 + "]" * 50_000 + "\n"
        ),
        (),
    ),
    "deeply-nested-json": Case(
        "deep.json",
        write_text('{"format": "natrisk/1", "scenarios": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        (),
    ),
}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("bad")
    yield base
    # pytest keeps the last few temporary folders: do not keep 50 MB in each
    huge, _ = case_paths(base, "50-mb-file")
    huge.unlink(missing_ok=True)


def case_paths(base: Path, name: str) -> tuple[Path, Path]:
    """The workbook file and the --out folder of one case, each in its own folder."""
    folder = base / name
    return folder / "in" / CASES[name].filename, folder / "run" / "out"


def write_multi(path: Path, *, schema_problem: bool) -> None:
    """A workbook with seven problems in three scenarios (six if ``schema_problem`` is off)."""
    reversed_cost = "{min: 900, max: 100}" if schema_problem else "5.0e+9"
    path.write_text(
        f"""\
format: natrisk/1
edition: {{id: multi, title: Several problems, framework: nl-2019}}
scenarios:
  - id: s1
    title: One
    theme: cyber
    likelihood: B
    impacts: {{"2.1": -5, "9.9": C}}
  - id: s2
    title: Two
    theme: cyber
    likelihood: Q
    impacts: {{"5.1": D-B, "3.1": {reversed_cost}}}
  - id: s1
    title: Three
    theme: cyber
    likelihood: A
    impacts: {{"1.1": Q}}
""",
        encoding="utf-8",
    )


def write_schema_problems(path: Path) -> None:
    """Three problems the schema alone finds: a missing title, a non-boolean, a reversed range."""
    path.write_text(
        """\
format: natrisk/1
edition: {id: schema, title: Schema problems, framework: nl-2019}
scenarios:
  - id: s1
    theme: cyber
    likelihood: B
    impacts: {"2.1": 10}
  - id: s2
    title: Two
    theme: cyber
    malicious: maybe
    likelihood: B
    impacts: {"3.1": {min: 900, max: 100}}
""",
        encoding="utf-8",
    )


def bomb(levels: int) -> str:
    """A 'billion laughs' workbook: a few hundred bytes that expand to 9**levels strings."""
    lines = ["format: natrisk/1", 'l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]")
    lines.append(f"edition: {{id: e, title: E, framework: nl-2019, lol: *l{levels - 1}}}")
    body = MINIMAL.split("scenarios:", 1)[1]
    return "\n".join(lines) + "\nscenarios:" + body


@pytest.fixture(scope="module")
def runs(runner: Runner, base: Path) -> Runner:
    """Write every bad file and start every run at once."""
    for name, case in CASES.items():
        path, out = case_paths(base, name)
        path.parent.mkdir(parents=True)
        out.parent.mkdir(parents=True)
        if case.write is not None:
            case.write(path)
        runner.submit(name, "assess", path, "--out", out, "--samples", "200")
    # the same refusals when --out already holds a file
    for name in ("malformed-yaml", "class-letter-not-in-framework"):
        path, _ = case_paths(base, name)
        out = base / f"{name}-existing" / "out"
        out.mkdir(parents=True)
        (out / "keep.txt").write_bytes(b"precious\n")
        runner.submit(f"{name}-existing", "assess", path, "--out", out, "--samples", "200")
    # a late refusal: the workbook is fine, an option is not
    good = base / "good" / "minimal.yaml"
    good.parent.mkdir()
    good.write_text(MINIMAL, encoding="utf-8")
    out = base / "late-existing" / "out"
    out.mkdir(parents=True)
    (out / "keep.txt").write_bytes(b"precious\n")
    runner.submit("late-existing", "assess", good, "--out", out, "--weights", "2.1=-1")
    # validate on files with several problems
    multi = base / "multi" / "multi.yaml"
    multi.parent.mkdir()
    write_multi(multi, schema_problem=True)
    runner.submit("multi", "validate", multi)
    multi6 = base / "multi" / "multi6.yaml"
    write_multi(multi6, schema_problem=False)
    runner.submit("multi6", "validate", multi6)
    schema = base / "multi" / "schema.yaml"
    write_schema_problems(schema)
    runner.submit("schema", "validate", schema)
    runner.submit(
        "validate-unknown-criterion", "validate", case_paths(base, "unknown-criterion")[0]
    )
    # file names with square brackets, which a console's markup must not eat
    odd = base / "odd" / "risks[draft].yaml"
    odd.parent.mkdir()
    odd.write_text(replaced('"5.1": B-C', '"5.1": Q'), encoding="utf-8")
    runner.submit("brackets", "validate", odd)
    runner.submit("closing-bracket", "validate", base / "odd" / "old[" / "b].yaml")
    # a YAML alias bomb, run under a 1 GB memory limit so that it cannot take the machine
    lol = base / "bomb" / "lol.yaml"
    lol.parent.mkdir()
    lol.write_text(bomb(8), encoding="utf-8")
    limited = (
        sys.executable,
        "-c",
        "import resource, runpy, sys; "
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
        "sys.argv = ['natrisk', *sys.argv[1:]]; "
        "runpy.run_module('natrisk', run_name='__main__')",
    )
    runner.submit("bomb", "validate", lol, prefix=limited)
    return runner


def problems(result: Result) -> list[str]:
    """The listed problems: one line each, starting with a dash."""
    return [line for line in result.stderr.splitlines() if line.lstrip().startswith("- ")]


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_and_nothing_is_written(runs: Runner, base: Path, name: str) -> None:
    case = CASES[name]
    path, out = case_paths(base, name)
    result = runs.result(name)
    assert_refused(result, path.name, *case.needles)
    if case.pattern:
        assert re.search(case.pattern, result.stderr, re.IGNORECASE | re.DOTALL), str(result)
    assert result.stdout.strip() == ""
    assert not out.exists(), sorted(out.rglob("*"))
    # no scratch folder is left beside the --out folder either
    assert list(out.parent.iterdir()) == []


@pytest.mark.parametrize(
    "name", ["malformed-yaml-existing", "class-letter-not-in-framework-existing", "late-existing"]
)
def test_refusal_leaves_an_existing_out_folder_untouched(
    runs: Runner, base: Path, name: str
) -> None:
    result = runs.result(name)
    assert_refused(result)
    out = base / name / "out"
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert (out / "keep.txt").read_bytes() == b"precious\n"
    assert [p.name for p in out.parent.iterdir()] == ["out"]


def test_validate_refuses_like_assess(runs: Runner, base: Path) -> None:
    result = runs.result("validate-unknown-criterion")
    path, _ = case_paths(base, "unknown-criterion")
    assert_refused(result, path.name, *CASES["unknown-criterion"].needles)
    assert len(problems(result)) == 1


def test_validate_lists_every_problem(runs: Runner) -> None:
    """Seven problems: a schema problem must not hide the six the framework check finds."""
    result = runs.result("multi")
    assert_refused(result, "multi.yaml")
    listed = problems(result)
    assert len(listed) == 7, str(result)
    assert sum("s1" in p for p in listed) == 4
    assert sum("s2" in p for p in listed) == 3
    for field in ("2.1", "9.9", "likelihood", "5.1", "3.1", "1.1"):
        assert any(field in p for p in listed), field


def test_validate_lists_every_framework_problem(runs: Runner) -> None:
    result = runs.result("multi6")
    assert_refused(result, "multi6.yaml")
    listed = problems(result)
    assert len(listed) == 6, str(result)
    for needle in ("s1", "s2", "2.1", "9.9", "likelihood", "5.1", "1.1"):
        assert any(needle in p for p in listed), needle
    assert all("multi6.yaml" in p for p in listed)


def test_validate_lists_every_schema_problem(runs: Runner) -> None:
    result = runs.result("schema")
    assert_refused(result, "schema.yaml")
    listed = problems(result)
    assert len(listed) == 3, str(result)
    assert any("s1" in p and "title" in p for p in listed)
    assert any("s2" in p and "malicious" in p for p in listed)
    assert any("s2" in p and "3.1" in p for p in listed)


def test_file_name_with_brackets_is_named_exactly(runs: Runner) -> None:
    result = runs.result("brackets")
    assert_refused(result)
    first = result.stderr.splitlines()[0]
    assert "risks[draft].yaml" in first, str(result)


def test_path_with_a_closing_bracket_is_no_traceback(runs: Runner) -> None:
    assert_refused(runs.result("closing-bracket"), "old[/b].yaml")


def test_yaml_alias_bomb_is_refused(runs: Runner) -> None:
    """A few hundred bytes expanding to 43 million strings: refuse it, naming the file."""
    assert_refused(runs.result("bomb"), "lol.yaml")
