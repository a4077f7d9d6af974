"""`natrisk plan ...` and `natrisk follow ...` on a small plan against the bundled edition.

Every command runs as a real subprocess (see cli_support). Commands that change the plan file
each get a copy of their own; a refused change must leave the file byte for byte as it was.
The module submits all runs at once; runs that depend on each other go in one chain.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_support import EXAMPLE, ROOT, Result, Runner, assert_refused, run

from natrisk.domain.plan import Measure
from natrisk.io.plan import load_plan
from natrisk.services.followup import combined_targets

BASELINE = ROOT / "examples" / "nl-2023.yaml"
EXAMPLE_PLAN = ROOT / "examples" / "nl-plan-2026.yaml"
TODAY = "2026-01-15"

PLAN = """\
format: natrisk-plan/1
plan:
  id: cli-plan
  title: {en: CLI test plan, nl: CLI-testplan}
  edition: nl-example-2026
security_issues:
  - id: si-health
    title: {en: Health, nl: Gezondheid}
    lead: VWS
    scenarios: [pandemic-respiratory-virus, avian-influenza-zoonosis]
  - id: si-water
    title: Water
    lead: IenW
    scenarios: [coastal-flood, drinking-water-disruption, heatwave-drought]
tasks:
  - id: t-care
    title: Hospital care
    scenarios:
      pandemic-respiratory-virus: {people: 4, material: 3}
      avian-influenza-zoonosis: 4     # not a dominant scenario: does not count
  - id: t-water
    title: Emergency drinking water
    scenarios:
      coastal-flood: 3
      drinking-water-disruption: 2
      heatwave-drought: {material: 3}
  - id: t-evac
    title: Large-scale evacuation
    scenarios:
      coastal-flood: 4
capabilities:
  - id: c-hospital
    title: Hospital surge capacity
    owner: national
    holder: VWS
    phase: response
    tasks: [t-care]
    current: {people: 2, material: 3, knowledge: 4, skills: 4, procedures: 4}
  - id: c-water-a
    title: Emergency water from the water companies
    owner: private
    holder: Vewin
    phase: response
    tasks: [t-water]
    current: 3
  - id: c-water-b
    title: Military water purification
    owner: national
    holder: DEF
    phase: response
    tasks: [t-water]
    current: 4
  - id: c-evac
    title: Regional evacuation
    owner: regional
    holder: Veiligheidsregios
    phase: preparation
    tasks: [t-evac]
    current: 2
weighings:
  - issue: si-health
    integrated: {answer: yes, rationale: One approach under VWS.}
    sufficient: {answer: yes, rationale: Enough for now.}
strategies:
  - id: s-old
    title: Old strategy
    start: 2019-01-01
    end: 2022-12-31
    lines:
      - {id: old-1, title: Old line}
  - id: s-new
    title: {en: New strategy, nl: Nieuwe strategie}
    start: 2023-04-01
    end: 2029-12-31
    replaces: s-old
    objectives:
      - {id: o1, title: Resilience}
    lines:
      - {id: al-1, number: 1, title: {en: Health line, nl: Gezondheidslijn}, objective: o1, lead: VWS, issues: [si-health]}
      - {id: al-2, number: 2, title: {en: Water line, nl: Waterlijn}, objective: o1, lead: IenW, issues: [si-water]}
    links:
      - {from: al-1, to: al-2, sign: "+"}
    crosswalk:
      - {from: old-1, to: al-1}
measures:
  - id: m-1
    title: Hospital surge stocks
    line: al-1
    owner: vws
    phase: preparation
    status: running
    milestones:
      - {title: Plan ready, due: 2024-06-30, done: 2024-05-01}
      - {title: Stock bought, due: 2025-03-31}
    indicators:
      - {id: i1, title: Stock coverage, unit: "%", target: 90, values: [{date: 2024-12-31, value: 40}]}
    targets:
      - {scenario: pandemic-respiratory-virus, likelihood: B, criteria: {"2.1": B}}
    progress:
      - {date: 2025-12-01, status: running, note: ordering}
  - id: m-2
    title: Water company exercise
    line: al-2
    owner: ienw
    phase: preparation
    status: running
    progress:
      - {date: 2024-01-10, status: running, note: started}
  - id: m-3
    title: Dike reinforcement
    line: al-2
    owner: ienw
    phase: prevention
    status: done
    targets:
      - {scenario: coastal-flood, likelihood: A}
  - id: m-4
    title: Cancelled study
    line: al-1
    owner: vws
    phase: preparation
    status: cancelled
  - id: m-5
    title: Evacuation plan
    line: al-2
    owner: jenv
    phase: preparation
    status: planned
    milestones:
      - {title: Draft plan, due: 2027-06-30}
reports:
  - id: r-1
    scope: {line: al-1}
    date: 2025-09-01
    summary: Surge stocks are late.
    threat: The pandemic risk is unchanged.
    resilience: Staff remains the gap.
    approach: Buy stocks in 2026.
    verdict: adjust
    author: analysts
calendar:
  - {kind: horizon-scan, title: Horizon scan autumn 2025, due: 2025-11-30}
"""

EMPTY_PLAN = """\
format: natrisk-plan/1
plan: {id: bare, title: Bare plan, edition: nl-example-2026}
"""

ALL_DIMS = [f"--level={d}=4" for d in ("people", "material", "knowledge", "skills", "procedures")]
WEIGH_WATER = (
    "--integrated",
    "yes",
    "--integrated-why",
    "IenW leads one programme.",
    "--sufficient",
    "no",
    "--sufficient-why",
    "Stocks cover two days, not seven.",
    "--invest",
    "Stocks",
    "--phase",
    "preparation",
    "--instrument",
    "practical",
    "--by",
    "IenW",
)


class Base:
    """The folder of this module: the edition, the plan and one copy per changing command."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.edition = path / "nl-2026.yaml"
        shutil.copyfile(EXAMPLE, self.edition)
        self.plan = self.copy("plan.yaml")

    def copy(self, name: str, text: str = PLAN) -> Path:
        path = self.path / name
        path.write_text(text, encoding="utf-8")
        return path

    def ed(self) -> tuple[str, str]:
        return ("--edition", str(self.edition))


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    return Base(tmp_path_factory.mktemp("plan-cli"))


def chain(runner: Runner, name: str, *calls: Sequence[str | Path]) -> None:
    """Run several commands one after the other in the pool (they share a file)."""

    def go() -> list[Result]:
        return [run(*call) for call in calls]

    assert name not in runner.futures, name
    runner.futures[name] = runner.pool.submit(go)  # type: ignore[assignment]


def results(runs: Runner, name: str) -> list[Result]:
    return runs.result(name)  # type: ignore[return-value]


@pytest.fixture(scope="module")
def runs(runner: Runner, base: Base) -> Runner:
    ed, p = base.ed(), base.plan
    sub = runner.submit
    # the PDF is the slowest run: start it first
    sub("report-pdf", "follow", "report", p, *ed, "--out", base.path / "rep-pdf", "--today", TODAY)
    sub("validate", "plan", "validate", p, *ed)
    sub("gaps-json", "plan", "gaps", p, *ed, "--json")
    sub("gaps-top", "plan", "gaps", p, *ed, "--json", "--top", "2")
    sub("gaps-table", "plan", "gaps", p, *ed)
    sub("gap", "plan", "gap", p, "c-hospital", *ed, "--json")
    sub("gap-table", "plan", "gap", p, "c-hospital", *ed)
    sub("gap-unknown", "plan", "gap", p, "c-nothing", *ed)
    sub("duplications", "plan", "duplications", p, *ed, "--json")
    sub("duplications-table", "plan", "duplications", p, *ed)
    sub("coverage", "plan", "coverage", p, *ed, "--json")
    sub("coverage-table", "plan", "coverage", p, *ed)
    sub("issues", "plan", "issues", p, *ed, "--json")
    sub("issues-table", "plan", "issues", p, *ed)
    sub("measures", "follow", "measures", p, *ed, "--today", TODAY, "--json")
    sub("measures-early", "follow", "measures", p, *ed, "--today", "2024-02-01")
    sub("measures-table", "follow", "measures", p, *ed, "--today", TODAY)
    sub("targets", "follow", "targets", p, *ed, "--json")
    sub("calendar-open", "follow", "calendar", p, *ed, "--today", TODAY, "--open", "--json")
    sub("calendar", "follow", "calendar", p, *ed, "--today", TODAY, "--json")
    sub("calendar-bad-day", "follow", "calendar", p, *ed, "--today", "15-01-2026")
    sub("lines-json", "follow", "lines", p, *ed, "--today", TODAY, "--json")
    sub("lines-table", "follow", "lines", p, *ed, "--today", TODAY)
    # the report on one action line or one security issue
    day = ("--today", TODAY)
    for name, scope in {
        "line": ("--line", "al-1"),
        "old-line": ("--line", "old-1"),  # a line of the earlier strategy
        "issue": ("--issue", "si-water"),  # an issue without texts of its own
    }.items():
        out_dir = base.path / f"rep-{name}"
        sub(
            f"report-{name}", "follow", "report", p, *ed, "--out", out_dir, "--no-pdf", *day, *scope
        )
    for name, scope in {
        "unknown-line": ("--line", "al-9"),
        "unknown-issue": ("--issue", "si-cyber"),
        "both": ("--line", "al-1", "--issue", "si-water"),
    }.items():
        out_dir = base.path / f"rep-{name}"
        sub(
            f"report-{name}", "follow", "report", p, *ed, "--out", out_dir, "--no-pdf", *day, *scope
        )
    sub(
        "report-en",
        "follow",
        "report",
        p,
        *ed,
        "--out",
        base.path / "rep-en",
        "--no-pdf",
        "--today",
        TODAY,
        "--baseline",
        BASELINE,
    )
    sub(
        "report-nl",
        "follow",
        "report",
        p,
        *ed,
        "--out",
        base.path / "rep-nl",
        "--no-pdf",
        "--today",
        TODAY,
        "--lang",
        "nl",
    )

    # weigh: record one issue, replace another, then read the verdicts back
    w = base.copy("weigh.yaml")
    chain(
        runner,
        "weigh",
        ("plan", "weigh", w, "si-water", *ed, *WEIGH_WATER),
        (
            "plan",
            "weigh",
            w,
            "si-health",
            *ed,
            "--integrated",
            "ja",
            "--integrated-why",
            "a",
            "--sufficient",
            "nee",
            "--sufficient-why",
            "b",
        ),
        ("plan", "issues", w, *ed, "--json"),
    )
    bad_answer = list(WEIGH_WATER)
    bad_answer[1] = "maybe"
    sub(
        "weigh-bad-answer",
        "plan",
        "weigh",
        base.copy("weigh-bad.yaml"),
        "si-water",
        *ed,
        *bad_answer,
    )
    sub(
        "weigh-unknown-issue",
        "plan",
        "weigh",
        base.copy("weigh-unknown.yaml"),
        "si-cyber",
        *ed,
        *WEIGH_WATER,
    )
    no_reason = list(WEIGH_WATER)
    no_reason[3] = ""
    sub(
        "weigh-no-reason",
        "plan",
        "weigh",
        base.copy("weigh-empty.yaml"),
        "si-water",
        *ed,
        *no_reason,
    )

    # set-level
    lv = base.copy("level.yaml")
    chain(
        runner,
        "set-level",
        ("plan", "set-level", lv, "c-evac", *ed, *ALL_DIMS, "--rationale", "New equipment."),
        ("plan", "gaps", lv, *ed, "--json"),
    )
    for name, args in {
        "level-9": ("c-evac", "--level", "material=9"),
        "level-negative": ("c-evac", "--level", "material=-1"),
        "level-word": ("c-evac", "--level", "material=high"),
        "level-dimension": ("c-evac", "--level", "morale=3"),
        "level-capability": ("c-nothing", "--level", "material=3"),
    }.items():
        sub(name, "plan", "set-level", base.copy(f"{name}.yaml"), args[0], *ed, *args[1:])

    # follow add-measure
    add = base.copy("add.yaml")
    chain(
        runner,
        "add-measure",
        (
            "follow",
            "add-measure",
            add,
            *ed,
            "--id",
            "m-6",
            "--title",
            "Evacuation law",
            "--line",
            "al-2",
            "--owner",
            "jenv",
            "--phase",
            "prevention",
            "--budget",
            "JenV 2026",
            "--milestone",
            "Law adopted@2027-06-30",
            "--target",
            "coastal-flood:likelihood=A,2.1=B",
        ),
        ("plan", "validate", add, *ed),
    )
    measure = ("--title", "X", "--owner", "jenv", "--phase", "prevention")
    sub(
        "add-missing-line",
        "follow",
        "add-measure",
        base.copy("add-line.yaml"),
        *ed,
        "--id",
        "m-7",
        "--line",
        "al-9",
        *measure,
    )
    sub(
        "add-early-milestone",
        "follow",
        "add-measure",
        base.copy("add-early.yaml"),
        *ed,
        "--id",
        "m-7",
        "--line",
        "al-1",
        "--milestone",
        "Early@2020-01-01",
        *measure,
    )
    sub(
        "add-existing-id",
        "follow",
        "add-measure",
        base.copy("add-twice.yaml"),
        *ed,
        "--id",
        "m-1",
        "--line",
        "al-1",
        *measure,
    )
    sub(
        "add-unknown-scenario",
        "follow",
        "add-measure",
        base.copy("add-scenario.yaml"),
        *ed,
        "--id",
        "m-7",
        "--line",
        "al-1",
        "--target",
        "meteor-strike:likelihood=A",
        *measure,
    )

    # follow progress
    pr = base.copy("progress.yaml")
    chain(
        runner,
        "progress",
        (
            "follow",
            "progress",
            pr,
            "m-1",
            *ed,
            "--status",
            "running",
            "--note",
            "Stock ordered",
            "--date",
            "2026-01-10",
            "--author",
            "VWS",
            "--value",
            "i1=55",
            "--milestone-done",
            "Stock bought",
        ),
        ("follow", "measures", pr, *ed, "--today", TODAY),
    )
    for name, extra in {
        "progress-indicator": ("m-1", "--status", "running", "--value", "i9=55"),
        "progress-not-a-number": ("m-1", "--status", "running", "--value", "i1=lots"),
        "progress-milestone": ("m-1", "--status", "running", "--milestone-done", "Nope"),
        "progress-measure": ("m-99", "--status", "running"),
        "progress-status": ("m-1", "--status", "finished"),
    }.items():
        sub(name, "follow", "progress", base.copy(f"{name}.yaml"), extra[0], *ed, *extra[1:])

    # follow next-cycle
    nxt = base.path / "next.yaml"
    chain(
        runner,
        "next-cycle",
        (
            "follow",
            "next-cycle",
            p,
            "--id",
            "cli-plan-2029",
            "--edition-id",
            "nl-example-2026",
            "--out",
            nxt,
        ),
        ("plan", "validate", nxt, *ed),
    )
    sub(
        "next-cycle-exists",
        "follow",
        "next-cycle",
        p,
        "--id",
        "x",
        "--edition-id",
        "y",
        "--out",
        base.copy("exists.yaml"),
    )

    # the wrong edition, a scenario the edition lacks, a plan without tasks
    wrong = base.copy("wrong.yaml", PLAN.replace("edition: nl-example-2026", "edition: nl-2099"))
    sub("wrong-edition", "plan", "validate", wrong, *ed)
    missing = base.copy("missing.yaml", PLAN.replace("coastal-flood: 4", "tsunami: 4"))
    sub("missing-scenario", "plan", "validate", missing, *ed)
    sub("bare-gaps", "plan", "gaps", base.copy("bare.yaml", EMPTY_PLAN), *ed, "--json")

    if EXAMPLE_PLAN.exists():
        ex = ("--edition", str(EXAMPLE))
        sub("example-validate", "plan", "validate", EXAMPLE_PLAN, *ex)
        sub("example-gaps", "plan", "gaps", EXAMPLE_PLAN, *ex, "--json")
        sub("example-duplications", "plan", "duplications", EXAMPLE_PLAN, *ex, "--json")
        sub("example-lines", "follow", "lines", EXAMPLE_PLAN, *ex, "--today", TODAY, "--json")
        sub("example-lines-table", "follow", "lines", EXAMPLE_PLAN, *ex, "--today", TODAY)
        sub(
            "example-report-nvs",
            "follow",
            "report",
            EXAMPLE_PLAN,
            *ex,
            "--out",
            base.path / "rep-nvs",
            "--no-pdf",
            "--today",
            TODAY,
            "--line",
            "nvs-cyber",
        )
    return runner


def ok(result: Result) -> Result:
    assert result.code == 0, str(result)
    assert "Traceback" not in result.stderr, str(result)
    return result


def unchanged(base: Base, name: str) -> None:
    assert (base.path / name).read_text(encoding="utf-8") == PLAN, f"{name} was changed"
    assert not list(base.path.glob(f".{name}*.tmp"))


def data(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# -------------------------------------------------------------------------- plan ...


def test_validate(runs: Runner, base: Base) -> None:
    result = ok(runs.result("validate"))
    out = " ".join(result.stdout.split())  # the console may wrap
    assert "valid (2 security issues, 3 tasks, 4 capabilities, 1 weighings, 2 strategies, " in out
    assert "3 action lines, 5 measures)" in out
    assert (base.plan).read_text(encoding="utf-8") == PLAN  # reading changes nothing


def test_gaps_json(runs: Runner) -> None:
    gaps = ok(runs.result("gaps-json")).json()
    assert [g["rank"] for g in gaps] == list(range(1, len(gaps) + 1))
    assert [g["front"] for g in gaps] == sorted(g["front"] for g in gaps)
    assert len(gaps) == 6
    first = gaps[0]
    assert (first["capability"], first["dimension"]) == ("c-hospital", "people")
    assert (first["required"], first["current"], first["shortfall"]) == (4, 2, 2)
    assert first["exposed"] == ["pandemic-respiratory-virus"]
    assert first["front"] == 1
    evac = [g for g in gaps if g["capability"] == "c-evac"]
    assert {g["dimension"] for g in evac} == {
        "people",
        "material",
        "knowledge",
        "skills",
        "procedures",
    }
    assert all(g["exposed"] == ["coastal-flood"] and g["shortfall"] == 2 for g in evac)
    # the water task is met; the not-dominant avian flu asks 4 of c-hospital but does not count
    assert not {g["capability"] for g in gaps} & {"c-water-a", "c-water-b"}
    assert not [g for g in gaps if g["capability"] == "c-hospital" and g["dimension"] != "people"]
    assert all(g["shortfall"] == g["required"] - g["current"] > 0 for g in gaps)


def test_gaps_top(runs: Runner) -> None:
    assert [g["rank"] for g in ok(runs.result("gaps-top")).json()] == [1, 2]


def test_gaps_table(runs: Runner) -> None:
    out = ok(runs.result("gaps-table")).stdout
    assert "6 gap(s)" in out
    assert "c-hospital" in out and "c-evac" in out


def test_gap_names_the_scenarios_that_need_it(runs: Runner) -> None:
    gap = ok(runs.result("gap")).json()
    assert gap["required"] == {
        "people": 4,
        "material": 3,
        "knowledge": 0,
        "skills": 0,
        "procedures": 0,
    }
    assert gap["current"]["people"] == 2
    by_scenario = {n["scenario"]: n for n in gap["needed_by"]}
    assert set(by_scenario) == {"pandemic-respiratory-virus", "avian-influenza-zoonosis"}
    pandemic = by_scenario["pandemic-respiratory-virus"]
    assert pandemic["prioritised"] is True and pandemic["task"] == "t-care"
    assert pandemic["short"] == ["people"] and pandemic["front"] == 1
    avian = by_scenario["avian-influenza-zoonosis"]
    assert avian["prioritised"] is False and avian["short"] == []
    assert gap["needed_by"][0]["scenario"] == "pandemic-respiratory-virus"  # prioritised first


def test_gap_table(runs: Runner) -> None:
    out = ok(runs.result("gap-table")).stdout
    assert "pandemic-respiratory-virus" in out and "avian-influenza-zoonosis" in out


def test_gap_of_an_unknown_capability(runs: Runner) -> None:
    assert_refused(runs.result("gap-unknown"), "c-nothing")


def test_duplications(runs: Runner) -> None:
    (dup,) = ok(runs.result("duplications")).json()
    assert dup["task"] == "t-water"
    assert dup["capabilities"] == ["c-water-a", "c-water-b"]
    assert dup["holders"] == ["DEF", "Vewin"]
    assert dup["required"] == dict.fromkeys(
        ("people", "material", "knowledge", "skills", "procedures"), 3
    )
    out = ok(runs.result("duplications-table")).stdout
    assert "1 duplication(s)" in out and "t-water" in out


def test_coverage(runs: Runner) -> None:
    rows = ok(runs.result("coverage")).json()
    fronts = [r["front"] for r in rows]
    assert fronts == sorted(fronts)
    by_id = {r["scenario"]: r for r in rows}
    assert "avian-influenza-zoonosis" not in by_id  # not prioritised
    pandemic = {c["task"]: c["capabilities"] for c in by_id["pandemic-respiratory-virus"]["tasks"]}
    assert pandemic == {"t-care": [{"capability": "c-hospital", "meets": False}]}
    flood = {c["task"]: c["capabilities"] for c in by_id["coastal-flood"]["tasks"]}
    assert flood == {
        "t-water": [
            {"capability": "c-water-a", "meets": True},
            {"capability": "c-water-b", "meets": True},
        ],
        "t-evac": [{"capability": "c-evac", "meets": False}],
    }
    heat = {c["task"]: c["capabilities"] for c in by_id["heatwave-drought"]["tasks"]}
    assert heat["t-water"] == [
        {"capability": "c-water-a", "meets": True},
        {"capability": "c-water-b", "meets": True},
    ]
    assert by_id["financial-crisis"]["tasks"] == []  # prioritised, but no task needs anything
    out = ok(runs.result("coverage-table")).stdout
    assert "c-evac ✗" in out


def test_issues(runs: Runner) -> None:
    rows = {r["issue"]: r for r in ok(runs.result("issues")).json()}
    assert rows["si-health"] == {
        "issue": "si-health",
        "lead": "VWS",
        "integrated": True,
        "sufficient": True,
        "verdict": "sustained",
    }
    assert rows["si-water"]["verdict"] is None
    out = ok(runs.result("issues-table")).stdout
    assert "onverminderde inzet" in out and "not weighed" in out


def test_weigh_writes_the_file(runs: Runner, base: Base) -> None:
    water, health, issues = results(runs, "weigh")
    assert "versterkte inzet" in ok(water).stderr
    assert "versterkte inzet" in ok(health).stderr  # yes and no: strengthened
    verdicts = {r["issue"]: r["verdict"] for r in ok(issues).json()}
    assert verdicts == {"si-water": "strengthened", "si-health": "strengthened"}
    plan = load_plan(base.path / "weigh.yaml")
    assert sorted(w.issue for w in plan.weighings) == [
        "si-health",
        "si-water",
    ]  # replaced, not added
    water_w = plan.weighing("si-water")
    assert water_w is not None
    assert water_w.integrated.answer is True and water_w.sufficient.answer is False
    assert water_w.sufficient.rationale == "Stocks cover two days, not seven."
    assert water_w.advice.phases == ["preparation"] and water_w.advice.instruments == ["practical"]
    assert water_w.advice.by == ["IenW"] and water_w.advice.invest == "Stocks"
    assert water_w.date == dt.date.today()


def test_weigh_sustained() -> None:
    # both answers yes: onverminderde inzet (checked on the model, the CLI prints its label)
    from natrisk.domain.plan import Weighing

    w = Weighing.model_validate(
        {
            "issue": "x",
            "integrated": {"answer": True, "rationale": "a"},
            "sufficient": {"answer": True, "rationale": "b"},
        }
    )
    assert w.verdict == "sustained"


def test_weigh_with_a_bad_answer_leaves_the_file(runs: Runner, base: Base) -> None:
    result = runs.result("weigh-bad-answer")
    assert result.code != 0, str(result)
    assert "maybe" in result.stderr
    unchanged(base, "weigh-bad.yaml")


def test_weigh_with_a_bad_answer_exits_2(runs: Runner) -> None:
    assert_refused(runs.result("weigh-bad-answer"), "'maybe': answer yes or no")


@pytest.mark.parametrize(
    ("name", "needle"),
    [("weigh-unknown-issue", "si-cyber"), ("weigh-no-reason", "integrated.rationale")],
)
def test_weigh_refused(runs: Runner, base: Base, name: str, needle: str) -> None:
    assert_refused(runs.result(name), needle)
    unchanged(base, {"weigh-unknown-issue": "weigh-unknown.yaml"}.get(name, "weigh-empty.yaml"))


def test_set_level_closes_the_gap(runs: Runner, base: Base) -> None:
    set_level, gaps = results(runs, "set-level")
    assert "c-evac" in ok(set_level).stderr
    after = ok(gaps).json()
    assert [g["capability"] for g in after] == ["c-hospital"]
    assert [g["rank"] for g in after] == [1]
    (evac,) = [c for c in load_plan(base.path / "level.yaml").capabilities if c.id == "c-evac"]
    assert set(evac.current.values()) == {4}
    assert evac.rationale == "New equipment."


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("level-9", "material=9 is outside the scale 0..4"),
        ("level-negative", "material=-1 is outside the scale 0..4"),
        ("level-word", "not a whole number"),
        ("level-dimension", "unknown dimension morale"),
        ("level-capability", "c-nothing"),
    ],
)
def test_set_level_refused(runs: Runner, base: Base, name: str, needle: str) -> None:
    assert_refused(runs.result(name), needle)
    unchanged(base, f"{name}.yaml")


# ------------------------------------------------------------------------ follow ...


def test_add_measure(runs: Runner, base: Base) -> None:
    add, validate = results(runs, "add-measure")
    assert "m-6" in ok(add).stderr
    assert "6 measures" in " ".join(ok(validate).stdout.split())
    plan = load_plan(base.path / "add.yaml")
    m = plan.measures[-1]
    assert (m.id, m.line, m.owner, m.phase, m.budget) == (
        "m-6",
        "al-2",
        "jenv",
        "prevention",
        "JenV 2026",
    )
    assert [(ms.title, ms.due.isoformat()) for ms in m.milestones] == [
        ("Law adopted", "2027-06-30")
    ]
    (t,) = m.targets
    assert (t.scenario, t.likelihood, t.criteria) == ("coastal-flood", "A", {"2.1": "B"})
    assert [x.id for x in plan.measures[:5]] == ["m-1", "m-2", "m-3", "m-4", "m-5"]


@pytest.mark.parametrize(
    ("name", "file", "needles"),
    [
        ("add-missing-line", "add-line.yaml", ("no action line 'al-9'",)),
        ("add-early-milestone", "add-early.yaml", ("2020-01-01", "before strategy 's-new' began")),
        ("add-existing-id", "add-twice.yaml", ("'m-1' already exists",)),
        ("add-unknown-scenario", "add-scenario.yaml", ("no scenario 'meteor-strike'",)),
    ],
)
def test_add_measure_refused(
    runs: Runner, base: Base, name: str, file: str, needles: tuple[str, ...]
) -> None:
    assert_refused(runs.result(name), *needles)
    unchanged(base, file)


def test_progress(runs: Runner, base: Base) -> None:
    progress, measures = results(runs, "progress")
    assert "running" in ok(progress).stderr
    rows = table_rows(ok(measures).stdout)
    assert rows["m-1"][3:6] == ["running", "", ""]  # no milestone overdue now, not stalled
    m = next(x for x in load_plan(base.path / "progress.yaml").measures if x.id == "m-1")
    assert m.status == "running"
    assert [(r.date.isoformat(), r.value) for r in m.indicators[0].values] == [
        ("2024-12-31", 40.0),
        ("2026-01-10", 55.0),
    ]
    assert {ms.title: ms.done for ms in m.milestones} == {
        "Plan ready": dt.date(2024, 5, 1),
        "Stock bought": dt.date(2026, 1, 10),
    }
    last = m.progress[-1]
    assert (last.date, last.status, last.note, last.author) == (
        dt.date(2026, 1, 10),
        "running",
        "Stock ordered",
        "VWS",
    )


@pytest.mark.parametrize(
    ("name", "needles"),
    [
        ("progress-indicator", ("no indicator 'i9'", "i1")),
        ("progress-not-a-number", ("'lots' is not a number",)),
        ("progress-milestone", ("no milestone 'Nope'",)),
        ("progress-measure", ("no measure 'm-99'",)),
        ("progress-status", ("status",)),
    ],
)
def test_progress_refused(runs: Runner, base: Base, name: str, needles: tuple[str, ...]) -> None:
    assert_refused(runs.result(name), *needles)
    unchanged(base, f"{name}.yaml")


def table_rows(out: str) -> dict[str, list[str]]:
    """The rows of a rich table by their first cell (wrapped continuation lines left out)."""
    rows = {}
    for line in out.splitlines():
        if line.startswith("│"):
            cells = [c.strip() for c in line.strip("│").split("│")]
            if cells[0]:
                rows[cells[0]] = cells
    return rows


def test_measures_table(runs: Runner) -> None:
    rows = table_rows(ok(runs.result("measures-table")).stdout)
    # measure, line, owner, status, overdue, stalled, title
    assert rows["m-1"][1:6] == ["al-1", "vws", "running", "1", ""]  # overdue, recently active
    assert rows["m-2"][3:6] == ["running", "", "STALLED"]  # silent since 2024-01-10
    for quiet in ("m-3", "m-4", "m-5"):  # done, cancelled, planned: never stalled
        assert rows[quiet][4:6] == ["", ""]
    assert [rows[m][3] for m in ("m-3", "m-4", "m-5")] == ["done", "cancelled", "planned"]


def test_measures_flags_depend_on_today(runs: Runner) -> None:
    rows = table_rows(ok(runs.result("measures-early")).stdout)
    assert rows["m-2"][5] == ""  # 22 days after its last report: not stalled
    assert rows["m-1"][4] == ""  # nothing was due yet


def test_measures_json(runs: Runner) -> None:
    rows = {r["id"]: r for r in ok(runs.result("measures")).json()}
    assert rows["m-1"]["overdue"] == ["Stock bought"]
    assert rows["m-1"]["stalled"] is False
    assert rows["m-2"]["overdue"] == []
    assert rows["m-2"]["stalled"] is True
    assert rows["m-2"]["last_activity"] == "2024-01-10"
    assert rows["m-5"]["last_activity"] is None
    assert [r["status"] for r in rows.values()] == [
        "running",
        "running",
        "done",
        "cancelled",
        "planned",
    ]


def test_targets(runs: Runner) -> None:
    rows = {r["id"]: r for r in ok(runs.result("targets")).json()}
    assert set(rows) == {"pandemic-respiratory-virus", "coastal-flood"}
    for r in rows.values():
        now, target = r["current"], r["target"]
        assert target["impact"] <= now["impact"] + 1e-9
        assert target["x"] <= now["x"] + 1e-9
    pandemic = rows["pandemic-respiratory-virus"]
    assert pandemic["current"]["likelihood"] == "C"
    assert pandemic["target"]["likelihood"] == "B"
    assert pandemic["target"]["impact"] < pandemic["current"]["impact"]  # 2.1 lowered to B
    assert pandemic["achieved"] == pandemic["current"]  # m-1 is not done
    flood = rows["coastal-flood"]
    assert flood["achieved"]["likelihood"] == "A" == flood["target"]["likelihood"]  # m-3 done
    assert flood["achieved"]["x"] < flood["current"]["x"]


def measure(mid: str, **criteria: str) -> Measure:
    return Measure.model_validate(
        {
            "id": mid,
            "title": mid,
            "line": "al-1",
            "owner": "vws",
            "phase": "preparation",
            "targets": [{"scenario": "s", "criteria": criteria}],
        }
    )


def test_combined_targets_take_the_lowest_class() -> None:
    combined = combined_targets([measure("a", **{"2.1": "C"}), measure("b", **{"2.1": "B"})])
    assert combined["s"].criteria == {"2.1": "B"}


def test_combined_targets_know_that_x_is_lowest() -> None:
    combined = combined_targets([measure("a", **{"2.1": "X"}), measure("b", **{"2.1": "B"})])
    assert combined["s"].criteria == {"2.1": "X"}


def test_calendar_open(runs: Runner) -> None:
    rows = ok(runs.result("calendar-open")).json()
    assert {r["status"] for r in rows} <= {"late", "due"}
    late = {r["title"]: r for r in rows if r["status"] == "late"}
    assert late["m-1: Stock bought"] == {
        "kind": "milestone",
        "title": "m-1: Stock bought",
        "due": "2025-03-31",
        "done": None,
        "status": "late",
        "derived": False,
    }
    assert late["Horizon scan autumn 2025"]["kind"] == "horizon-scan"
    assert [r["due"] for r in rows] == sorted(r["due"] for r in rows)


def test_calendar_in_full(runs: Runner) -> None:
    rows = ok(runs.result("calendar")).json()
    by_title = {r["title"]: r for r in rows}
    assert by_title["m-1: Plan ready"]["status"] == "done"
    assert by_title["m-5: Draft plan"]["status"] == "upcoming"
    assert by_title["Next strategy adopted"]["due"] == "2029-12-31"
    assert by_title["Midterm review"]["kind"] == "midterm-review"
    assert by_title["National risk assessment 2026"]["due"] == "2026-04-01"
    # a cadence event nobody recorded, in the past, is 'unrecorded', not late
    assert by_title["Horizon scan (spring) 2024"]["status"] == "unrecorded"
    assert {r["status"] for r in rows} <= {"done", "late", "due", "upcoming", "unrecorded"}


def test_calendar_marks_the_cadence_events_nobody_recorded(runs: Runner) -> None:
    rows = ok(runs.result("calendar")).json()
    by_title = {r["title"]: r for r in rows}
    # the cadence's own events that nobody recorded are derived (pages show their kind)
    for title in ("Horizon scan (spring) 2024", "Midterm review", "Next strategy adopted"):
        assert by_title[title]["derived"] is True, title
    # a recorded event takes the cadence's place under its own title; milestones are recorded
    assert by_title["Horizon scan autumn 2025"]["derived"] is False
    assert "Horizon scan (autumn) 2025" not in by_title
    assert all(not r["derived"] for r in rows if r["kind"] == "milestone")
    assert all(r["status"] != "unrecorded" or r["derived"] for r in rows)


def test_calendar_bad_today(runs: Runner) -> None:
    assert_refused(runs.result("calendar-bad-day"), "--today", "2025-06-30")


def test_next_cycle(runs: Runner, base: Base) -> None:
    made, validate = results(runs, "next-cycle")
    assert "3 open measures" in ok(made).stderr
    ok(validate)
    new = data(base.path / "next.yaml")
    assert new["plan"]["id"] == "cli-plan-2029"
    assert new["plan"]["edition"] == "nl-example-2026"
    assert [m["id"] for m in new["measures"]] == ["m-1", "m-2", "m-5"]  # done, cancelled dropped
    assert not new.get("weighings") and not new.get("reports") and not new.get("calendar")
    assert [s["id"] for s in new["strategies"]] == ["s-old", "s-new"]
    assert [c["id"] for c in new["capabilities"]] == [
        "c-hospital",
        "c-water-a",
        "c-water-b",
        "c-evac",
    ]
    assert "next cycle" in new["plan"]["title"]["en"]
    assert base.plan.read_text(encoding="utf-8") == PLAN  # the old plan stays as it was


def test_next_cycle_will_not_overwrite(runs: Runner, base: Base) -> None:
    assert_refused(runs.result("next-cycle-exists"), "exists")
    unchanged(base, "exists.yaml")


HEADINGS = (
    "Summary",
    "Development of the threat and the risks",
    "Development of resilience",
    "Development of the approach",
)


def review(base: Base, folder: str) -> str:
    return (base.path / folder / "review.html").read_text(encoding="utf-8")


def test_report_html(runs: Runner, base: Base) -> None:
    ok(runs.result("report-en"))
    assert sorted(p.name for p in (base.path / "rep-en").iterdir()) == ["review.html"]
    html = review(base, "rep-en")
    assert '<html lang="en"' in html
    for heading in HEADINGS:
        assert html.count(f"<h3>{heading}</h3>") == 2, heading  # one per action line
    assert "1. Health line" in html and "2. Water line" in html
    verdicts = re.findall(r'<div class="verdict (\w+)">', html)
    assert verdicts == ["adjust", "none"]
    assert "the approach needs adjusting" in html and "no verdict recorded" in html
    assert "Surge stocks are late." in html and "Buy stocks in 2026." in html
    assert "nl-example-2023" in html  # the baseline it compares with
    assert "<svg" in html  # the target-risk diagram
    assert "Stock bought" in html or "1 milestone(s) overdue" in html


def test_report_dutch(runs: Runner, base: Base) -> None:
    ok(runs.result("report-nl"))
    html = review(base, "rep-nl")
    assert '<html lang="nl"' in html
    assert "Gezondheidslijn" in html and "CLI-testplan" in html
    assert len(re.findall(r'<div class="verdict ', html)) == 2


def test_report_dutch_headings(runs: Runner, base: Base) -> None:
    ok(runs.result("report-nl"))
    html = review(base, "rep-nl")
    for english in HEADINGS:
        assert f"<h3>{english}</h3>" not in html
    for dutch in (
        "Samenvatting",
        "Ontwikkeling van de dreiging en de risico",
        "Ontwikkeling van de weerbaarheid",
        "Ontwikkeling van de aanpak",
    ):
        assert html.count(f"<h3>{dutch}") == 2, dutch


def test_report_pdf(runs: Runner, base: Base) -> None:
    ok(runs.result("report-pdf"))
    folder = base.path / "rep-pdf"
    assert sorted(p.name for p in folder.iterdir()) == ["review.html", "review.pdf"]
    pdf = (folder / "review.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert b"%%EOF" in pdf[-1024:]


def sections(html: str) -> list[str]:
    """The headings of the report's sections (one per line or issue; the appendices left out)."""
    found = re.findall(
        r'<h2 class="pb">([^<]*)</h2>\s*<p class="small">[^\n]*\s*<h3>Summary</h3>', html
    )
    assert html.count("<h3>Summary</h3>") == len(found), found
    return [heading.strip() for heading in found]


def test_report_on_one_line(runs: Runner, base: Base) -> None:
    ok(runs.result("report-line"))
    html = review(base, "rep-line")
    assert sections(html) == ["1. Health line"]
    assert re.findall(r'<div class="verdict (\w+)">', html) == ["adjust"]
    assert "Surge stocks are late." in html  # the line's own texts
    assert "m-1: Hospital surge stocks" in html and "m-4: Cancelled study" in html
    assert "m-2: Water company exercise" not in html  # a measure of another line


def test_report_on_a_line_of_the_earlier_strategy(runs: Runner, base: Base) -> None:
    ok(runs.result("report-old-line"))
    html = review(base, "rep-old-line")
    assert sections(html) == ["Old line"]
    assert re.findall(r'<div class="verdict (\w+)">', html) == ["none"]
    assert "No measures under this section." in html


def test_report_on_one_issue(runs: Runner, base: Base) -> None:
    ok(runs.result("report-issue"))
    html = review(base, "rep-issue")
    assert sections(html) == ["Water"]  # a section even without texts of its own
    assert re.findall(r'<div class="verdict (\w+)">', html) == ["none"]
    # the measures of the current strategy's lines that address the issue (al-2)
    for m in ("m-2: Water company exercise", "m-3: Dike reinforcement", "m-5: Evacuation plan"):
        assert m in html, m
    assert "m-1: Hospital surge stocks" not in html


@pytest.mark.parametrize(
    ("name", "needles"),
    [
        ("unknown-line", ("no action line 'al-9'",)),
        ("unknown-issue", ("no security issue 'si-cyber'",)),
        ("both", ("give --line or --issue, not both",)),
    ],
)
def test_report_scope_refused(
    runs: Runner, base: Base, name: str, needles: tuple[str, ...]
) -> None:
    assert_refused(runs.result(f"report-{name}"), *needles)
    assert not (base.path / f"rep-{name}").exists()  # nothing written


def test_the_full_report_has_the_coherence_appendix(runs: Runner, base: Base) -> None:
    ok(runs.result("report-en"))
    ok(runs.result("report-nl"))
    html = review(base, "rep-en")
    assert sections(html) == ["1. Health line", "2. Water line"]
    assert '<h2 class="pb">Coherence between action lines: New strategy</h2>' in html
    assert "helps solve a risk" in html and "raises a risk" not in html
    assert "<h3>Crosswalk from the earlier strategy</h3>" in html
    assert "<td>s-old · Old line</td><td>s-new · 1. Health line</td>" in html
    dutch = review(base, "rep-nl")
    assert "Samenhang tussen de actielijnen: Nieuwe strategie" in dutch
    assert "helpt een risico oplossen" in dutch


# ---------------------------------------------------------------------------- follow lines


def rich_tables(out: str) -> list[dict[str, Any]]:
    """Every rich table printed, in order: its header cells, its rows and the line above it."""
    tables: list[dict[str, Any]] = []
    before = ""
    for line in out.splitlines():
        if line.startswith("┏"):
            tables.append({"title": before, "header": [], "rows": []})
        elif line.startswith("┃"):
            tables[-1]["header"] = [c.strip() for c in line.strip("┃").split("┃")]
        elif line.startswith("│"):
            tables[-1]["rows"].append([c.strip() for c in line.strip("│").split("│")])
        elif not line.startswith(("┡", "└")):
            before = line.strip()
    return tables


def test_lines_json(runs: Runner) -> None:
    old, new = ok(runs.result("lines-json")).json()
    assert (old["id"], old["current"], old["replaces"]) == ("s-old", False, None)
    assert [ln["id"] for ln in old["lines"]] == ["old-1"]
    assert old["lines"][0]["measures"] == 0
    assert old["links"] == [] and old["crosswalk"] == []
    assert (new["id"], new["current"], new["replaces"]) == ("s-new", True, "s-old")
    assert (new["start"], new["end"]) == ("2023-04-01", "2029-12-31")
    assert new["objectives"] == [{"id": "o1", "title": "Resilience"}]
    lines = {ln["id"]: ln for ln in new["lines"]}
    assert lines["al-1"] == {
        "id": "al-1",
        "number": 1,
        "title": "Health line",
        "objective": "o1",
        "lead": "VWS",
        "issues": ["Health"],
        "measures": 2,  # m-1 and the cancelled m-4
        "done": 0,
        "overdue": 1,  # m-1: 'Stock bought' was due 2025-03-31
        "stalled": 0,
    }
    water = lines["al-2"]
    assert (water["measures"], water["done"], water["overdue"], water["stalled"]) == (3, 1, 0, 1)
    assert new["links"] == [
        {
            "from": "al-1",
            "from_title": "s-new · 1. Health line",
            "to": "al-2",
            "to_title": "s-new · 2. Water line",
            "sign": "+",
            "note": "",
        }
    ]
    assert new["crosswalk"] == [
        {
            "from": "old-1",
            "from_title": "s-old · Old line",
            "to": "al-1",
            "to_title": "s-new · 1. Health line",
        }
    ]


def test_lines_table(runs: Runner) -> None:
    out = ok(runs.result("lines-table")).stdout
    old_lines, new_lines, links, crosswalk = rich_tables(out)
    assert old_lines["title"] == "Old strategy 2019-01-01 – 2022-12-31"
    assert new_lines["title"] == "New strategy 2023-04-01 – 2029-12-31 (current)"
    assert new_lines["header"] == [
        "line",
        "title",
        "lead",
        "measures",
        "done",
        "overdue",
        "stalled",
    ]
    assert old_lines["rows"] == [["old-1", "Old line", "", "0", "0", "", ""]]
    assert new_lines["rows"] == [
        ["al-1", "Health line", "VWS", "2", "0", "1", ""],
        ["al-2", "Water line", "IenW", "3", "1", "", "1"],
    ]
    assert links["rows"] == [["al-1", "helps solve a risk", "al-2", ""]]
    assert crosswalk["header"] == ["s-old line", "continued in s-new"]
    assert crosswalk["rows"] == [["s-old · Old line", "s-new · 1. Health line"]]


# ---------------------------------------------------------------------------- refusals


def test_wrong_edition(runs: Runner) -> None:
    assert_refused(runs.result("wrong-edition"), "wrong edition", "nl-2099", "nl-example-2026")


def test_scenario_missing_from_the_edition(runs: Runner) -> None:
    assert_refused(runs.result("missing-scenario"), "task t-evac", "no scenario 'tsunami'")


def test_gaps_of_a_plan_without_tasks(runs: Runner) -> None:
    assert ok(runs.result("bare-gaps")).json() == []


# ---------------------------------------------------------------------- the example plan

needs_example = pytest.mark.skipif(
    not EXAMPLE_PLAN.exists(), reason="examples/nl-plan-2026.yaml is not there yet"
)


@needs_example
def test_the_example_plan_validates(runs: Runner) -> None:
    assert "valid (" in ok(runs.result("example-validate")).stdout


@needs_example
def test_the_example_plan_is_big_enough() -> None:
    plan = load_plan(EXAMPLE_PLAN)
    assert len(plan.capabilities) >= 20
    assert len(plan.tasks) >= 15
    (vs,) = [s for s in plan.strategies if s.id == "vs-2023"]
    assert len(vs.lines) == 12
    assert len(plan.measures) >= 30


@needs_example
def test_the_example_plan_has_a_gap_and_a_duplication(runs: Runner) -> None:
    gaps = ok(runs.result("example-gaps")).json()
    assert len(gaps) >= 1
    assert [g["rank"] for g in gaps] == list(range(1, len(gaps) + 1))
    assert [g["front"] for g in gaps] == sorted(g["front"] for g in gaps)
    dups = ok(runs.result("example-duplications")).json()
    assert len(dups) >= 1
    assert all(len(d["holders"]) >= 2 for d in dups)


@needs_example
def test_report_on_a_line_of_the_2019_strategy(runs: Runner, base: Base) -> None:
    ok(runs.result("example-report-nvs"))
    html = review(base, "rep-nvs")
    assert sections(html) == ["7. Tackling digital threats"]
    assert len(re.findall(r'<div class="verdict ', html)) == 1


@needs_example
def test_lines_of_the_example_plan(runs: Runner) -> None:
    source = load_plan(EXAMPLE_PLAN)
    data = ok(runs.result("example-lines")).json()
    assert [s["id"] for s in data] == ["nvs-2019", "vs-2023"]
    nvs, vs = data
    assert (nvs["current"], vs["current"], vs["replaces"]) == (False, True, "nvs-2019")
    assert len(nvs["lines"]) == 12 and len(vs["lines"]) == 12
    assert [ln["id"] for ln in vs["lines"]] == [f"al-{n:02d}" for n in range(1, 13)]
    assert [ln["number"] for ln in vs["lines"]] == list(range(1, 13))
    assert {ln["objective"] for ln in vs["lines"]} == {o["id"] for o in vs["objectives"]}
    # the counts add up to the measures of each line, and to every measure of the plan
    for s in data:
        for ln in s["lines"]:
            mine = [m for m in source.measures if m.line == ln["id"]]
            assert ln["measures"] == len(mine), ln["id"]
            assert ln["done"] == sum(m.status == "done" for m in mine), ln["id"]
            assert 0 <= ln["overdue"] <= ln["measures"] and 0 <= ln["stalled"] <= ln["measures"]
    assert sum(ln["measures"] for s in data for ln in s["lines"]) == len(source.measures)
    assert all(ln["measures"] == 0 for ln in nvs["lines"])
    # links with their sign, both ways; the crosswalk from every 2019 line
    (strategy,) = [s for s in source.strategies if s.id == "vs-2023"]
    assert [(lk["from"], lk["to"], lk["sign"]) for lk in vs["links"]] == [
        (lk.source, lk.target, lk.sign) for lk in strategy.links
    ]
    assert {lk["sign"] for lk in vs["links"]} == {"+", "-"}
    assert all(lk["note"] for lk in vs["links"])
    assert all(lk["from_title"].startswith("vs-2023 · ") for lk in vs["links"])
    pairs = [(cw["from"], cw["to"]) for cw in vs["crosswalk"]]
    assert pairs == [(cw.source, cw.target) for cw in strategy.crosswalk]
    assert {f for f, _ in pairs} == {ln["id"] for ln in nvs["lines"]}
    assert {t for _, t in pairs} <= {ln["id"] for ln in vs["lines"]}
    assert all(cw["from_title"].startswith("nvs-2019 · ") for cw in vs["crosswalk"])
    assert nvs["links"] == [] and nvs["crosswalk"] == []


@needs_example
def test_lines_table_of_the_example_plan(runs: Runner) -> None:
    data = ok(runs.result("example-lines")).json()
    out = ok(runs.result("example-lines-table")).stdout
    nvs, vs, links, crosswalk = rich_tables(out)
    assert vs["title"].endswith("2023-04-01 – 2029-12-31 (current)")
    assert "(current)" not in nvs["title"]
    assert [r[0] for r in vs["rows"]] == [ln["id"] for ln in data[1]["lines"]]
    assert [int(r[3]) for r in vs["rows"]] == [ln["measures"] for ln in data[1]["lines"]]
    effects = [r[1] for r in links["rows"]]
    assert effects == [
        "helps solve a risk" if lk["sign"] == "+" else "raises a risk" for lk in data[1]["links"]
    ]
    assert crosswalk["header"] == ["nvs-2019 line", "continued in vs-2023"]
    assert len(crosswalk["rows"]) == len(data[1]["crosswalk"]) == 16


def test_json_output_is_plain_json(runs: Runner) -> None:
    # --json output is one document, nothing else on stdout
    for name in ("gaps-json", "coverage", "issues", "targets", "calendar", "lines-json"):
        json.loads(ok(runs.result(name)).stdout)
