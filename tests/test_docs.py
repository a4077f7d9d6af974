"""Documentation that fails CI when it goes stale."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import typer.main
import yaml
from babel.messages.pofile import read_po

from natrisk.cli import app
from natrisk.io.schema import workbook_schema
from natrisk.io.workbook import YamlLoader

ROOT = Path(__file__).resolve().parent.parent
CLI_DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")


def _commands(group, prefix=()):
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*prefix, name))
        else:
            yield (*prefix, name), cmd


def test_every_command_and_option_is_documented():
    root = typer.main.get_command(app)
    missing = []
    for path, cmd in _commands(root):
        heading = "## natrisk " + " ".join(path)
        if heading not in CLI_DOC:
            missing.append(heading)
        for param in cmd.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt != "--help" and f"`{opt}`" not in CLI_DOC:
                    missing.append(f"{' '.join(path)} {opt}")
    assert missing == []


def test_every_setting_is_documented():
    used = set()
    for path in (ROOT / "src" / "natrisk").rglob("*.py"):
        used |= set(re.findall(r"NATRISK_[A-Z_]+", path.read_text(encoding="utf-8")))
    assert used, "the scan found no settings at all"
    assert sorted(s for s in used if f"`{s}`" not in CLI_DOC) == []


def test_published_schema_is_current():
    published = json.loads((ROOT / "docs" / "workbook.schema.json").read_text(encoding="utf-8"))
    assert published == workbook_schema(), "run: make schema"


def test_bundled_example_matches_schema():
    data = yaml.load(
        (ROOT / "examples" / "nl-2026.yaml").read_text(encoding="utf-8"), Loader=YamlLoader
    )
    jsonschema.Draft202012Validator(workbook_schema()).validate(data)


def test_schema_rejects_what_the_engine_rejects():
    validator = jsonschema.Draft202012Validator(workbook_schema())
    bad = {
        "format": "natrisk/1",
        "edition": {"id": "e", "title": "t", "framework": "nl-2019"},
        "scenarios": [{"id": "s", "title": "t", "theme": "x", "likelihood": True, "impacts": {}}],
    }
    assert list(validator.iter_errors(bad))


def test_schema_describes_the_stacking_sections():
    validator = jsonschema.Draft202012Validator(workbook_schema())
    data = yaml.load(
        (ROOT / "examples" / "nl-2026.yaml").read_text(encoding="utf-8"), Loader=YamlLoader
    )
    assert data["links"] and data["risks"] and data["compounds"]
    for bad in (1.5, -0.1, "20-60%", True):
        wrong = {**data, "links": [{**data["links"][0], "probability": bad}]}
        assert list(validator.iter_errors(wrong)), bad
    assert list(validator.iter_errors({**data, "links": [{"from": "a"}]}))
    assert list(validator.iter_errors({**data, "compounds": [{"id": "c", "title": "C"}]}))
    region = {"id": "r", "name": "R", "mapping": [{"scenario": "a", "national": "b", "x": 1}]}
    assert list(validator.iter_errors({**data, "region": region}))


def test_dutch_catalogue_is_complete():
    with (ROOT / "src/natrisk/locale/nl/LC_MESSAGES/natrisk.po").open("rb") as fh:
        catalog = read_po(fh, locale="nl")
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert untranslated == []
    assert len(catalog) > 50


def test_method_doc_covers_every_method_module():
    doc = (ROOT / "docs" / "method.md").read_text(encoding="utf-8")
    for module in (ROOT / "src" / "natrisk" / "method").glob("*.py"):
        if module.stem not in ("__init__", "weighted_sum", "medal", "evamix"):
            assert f"method/{module.name}" in doc, module.name
