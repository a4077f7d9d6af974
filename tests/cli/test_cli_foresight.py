"""``natrisk trends`` and ``natrisk deepdive`` as a user runs them: files checked and
converted, the analysis against the baseline, the report in two languages, and the stored
sets and deep-dives of the shared database (a real SQLite file)."""

from __future__ import annotations

from pathlib import Path

import yaml
from cli_support import ROOT, Result, assert_refused, run

from natrisk.io.trends import load_trends

EX = ROOT / "examples"
TRENDS, BASE = EX / "trends-2026.yaml", EX / "trends-2023.yaml"
WB, PLAN = EX / "nl-2026.yaml", EX / "nl-plan-2026.yaml"
CONTEXT = ("--edition", WB, "--plan", PLAN)


def ok(result: Result) -> Result:
    assert result.code == 0, str(result)
    return result


def test_validate_list_and_analyse() -> None:
    assert "15 trends" in ok(run("trends", "validate", TRENDS, *CONTEXT)).stdout
    listed = ok(run("trends", "list", TRENDS, "--json")).json()
    assert len(listed) == 15 and listed[0]["id"] == "multi-order-world"
    data = ok(run("trends", "analyse", TRENDS, "--baseline", BASE, *CONTEXT, "--json")).json()
    assert data["baseline"] == "nl-trends-2023"
    assert {t["id"] for t in data["trends"] if t["status"] == "changed"} >= {"climate-change"}
    assert {ln["id"]: ln["advice"] for ln in data["lines"]}["al-09"] == "intensify"
    same = ok(run("trends", "analyse", TRENDS, "--baseline", TRENDS, "--json")).json()
    assert {t["status"] for t in same["trends"]} == {"unchanged"}
    assert all(p["delta"] == 0 for p in same["pressure"])


def test_report_in_dutch_and_english(tmp_path: Path) -> None:
    for lang, word in (("en", "Trend analysis"), ("nl", "Trendanalyse")):
        out = tmp_path / lang
        ok(
            run(
                "trends",
                "report",
                TRENDS,
                "--baseline",
                BASE,
                *CONTEXT,
                "--out",
                out,
                "--lang",
                lang,
            )
        )
        assert word in (out / "foresight.html").read_text(encoding="utf-8")
        assert (out / "foresight.pdf").read_bytes().startswith(b"%PDF")


def test_export_converts_losslessly(tmp_path: Path) -> None:
    for suffix in (".xlsx", ".csv", ".json"):
        target = tmp_path / f"t{suffix}"
        ok(run("trends", "export", TRENDS, "--out", target))
        assert load_trends(target) == load_trends(TRENDS)


def test_bad_input_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    raw = yaml.safe_load(TRENDS.read_text(encoding="utf-8"))
    raw["trends"][3]["bears_on"][0]["theme"] = "nowhere"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert_refused(run("trends", "validate", bad, *CONTEXT), "no theme 'nowhere'", "line ")
    out = tmp_path / "out"
    assert_refused(run("trends", "report", bad, *CONTEXT, "--out", out), "nowhere")
    assert not out.exists()
    assert_refused(run("trends", "export", TRENDS, "--out", tmp_path / "t.txt"), ".csv")
    assert_refused(run("trends", "list"), "--stored")


def test_stored_sets_and_a_deepdive_scenario(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'n.db'}"
    db = ("--database", url)
    ok(
        run(
            "users",
            "add",
            "admin",
            "--organisation",
            "example",
            "--admin",
            "--clearance",
            "Staatsgeheim Geheim",
            "--password",
            "a-long-password-1",
            *db,
        )
    )
    ok(run("db", "import", WB, "--user", "admin", *db))
    imported = ok(run("trends", "import", TRENDS, "--edition", "1", "--user", "admin", *db))
    assert "nl-trends-2026" in imported.stderr
    assert_refused(
        run("trends", "import", TRENDS, "--edition", "1", "--user", "admin", *db), "already has"
    )
    stored = ok(run("trends", "list", "--stored", "1", "--user", "admin", "--json", *db)).json()
    assert stored[0]["slug"] == "nl-trends-2026"
    target = tmp_path / "stored.csv"
    ok(run("trends", "export", "1", "--out", target, "--user", "admin", *db))
    assert load_trends(target) == load_trends(TRENDS)
    analysed = ok(run("trends", "analyse", "1", "--user", "admin", "--json", *db)).json()
    assert analysed["set"] == "nl-trends-2026" and analysed["baseline"] is None  # not stored here
    report = tmp_path / "stored-report"
    ok(run("trends", "report", "1", "--out", report, "--lang", "nl", "--user", "admin", *db))
    assert "OPENBAAR" in (report / "foresight.html").read_text(encoding="utf-8")
    assert (report / "foresight.pdf").read_bytes().startswith(b"%PDF")
    assert_refused(run("trends", "analyse", "1", *db), "--user")
    assert_refused(run("trends", "analyse", "9", "--user", "admin", *db), "no trend set 9")
    deepdive = ("deepdive", "import", EX / "deepdive-2026.yaml", "--edition", "1")
    assert_refused(run(*deepdive, "--user", "admin", *db), "no signal")
    signals = ("signals", "import", EX / "signals-2026.yaml", "--edition", "1")
    ok(run(*signals, "--user", "admin", *db))
    ok(run(*deepdive, "--user", "admin", *db))
    shown = ok(run("deepdive", "show", "1", "--user", "admin", "--json", *db)).json()
    assert shown["theme"] == "infectious-diseases"
    made = ok(run("deepdive", "scenario", "1", "vector-borne-outbreak", "--user", "admin", *db))
    assert "created scenario 'vector-borne-outbreak'" in made.stderr
    assert_refused(
        run("deepdive", "scenario", "1", "vector-borne-outbreak", "--user", "admin", *db),
        "already exists",
    )
    assert_refused(
        run("deepdive", "scenario", "1", "nothing-proposed", "--user", "admin", *db),
        "no proposed scenario",
    )
