"""The public edition: only Openbaar material, saying where material was withheld."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from natrisk.io.files import staged_output
from natrisk.io.workbook import dump_workbook
from natrisk.services.access import Actor, Conflict, edition_for
from natrisk.services.assessment import assess, resolve_settings
from natrisk.services.scoring import resolve
from natrisk.services.sensitivity import run_sensitivity
from natrisk.services.workspace import (
    framework_of,
    scenario_records,
    transition,
    workbook_view,
)
from natrisk.store.models import Edition

PUBLIC = 0


def publish(
    session: Session, actor: Actor, edition_id: int, out_dir: Path, samples: int = 5000
) -> list[Path]:
    """Write the public edition to ``out_dir``; an adopted edition becomes published."""
    edition, files = public_files(session, actor, edition_id, samples)
    with staged_output(out_dir) as stage:
        for name, data in files.items():
            (stage / name).write_bytes(data)
    if edition.status == "adopted":
        transition(session, actor, edition_id, "published", "public edition written")
    return [Path(out_dir) / n for n in files]


def public_files(
    session: Session, actor: Actor, edition_id: int, samples: int = 5000
) -> tuple[Edition, dict[str, bytes]]:
    """The public edition's files: workbook, results, diagram, report in both languages, WITHHELD.md."""
    from natrisk.report.diagram import diagram_spec, render
    from natrisk.report.document import render_html, render_pdf

    edition, _ = edition_for(session, actor, edition_id, "transition")
    if edition.status not in ("adopted", "published"):
        raise Conflict(f"edition {edition_id} is {edition.status}; adopt it before publishing")
    if edition.classification > PUBLIC:
        raise Conflict(f"edition {edition_id} as a whole is classified; it has no public edition")
    book, notes = workbook_view(session, edition, PUBLIC)
    # the public notice, made for the publisher, is the one place that says scenarios were
    # left out; a reader's view never does (workbook_view)
    hidden = any(r.classification > PUBLIC for r in scenario_records(session, edition))
    notes = {"scenarios_withheld": hidden, **notes}
    notice = _notice(notes)
    files: dict[str, bytes] = {
        "edition.yaml": yaml.safe_dump(
            dump_workbook(book), sort_keys=False, allow_unicode=True
        ).encode(),
        "WITHHELD.md": notice.encode(),
    }
    if book.scenarios:
        table = resolve(book, framework_of(session, edition), f"edition {edition_id}")
        a = assess(table, book, resolve_settings(table.framework))
        s = run_sensitivity(table, a.settings, samples=samples, seed=0)
        files["results.json"] = (
            json.dumps(a.to_json() | {"withheld": notes}, indent=2, ensure_ascii=False) + "\n"
        ).encode()
        files["risk-diagram.svg"] = render(diagram_spec(a, s, "en"), "svg")
        for lang in ("en", "nl"):
            html = render_html(a, s, lang)
            files[f"risk-picture-{edition.slug}-{lang}.html"] = html.encode()
            files[f"risk-picture-{edition.slug}-{lang}.pdf"] = render_pdf(html)
    return edition, files


def _notice(notes: dict[str, Any]) -> str:
    lines = ["# Withheld material / Achtergehouden materiaal", ""]
    if not notes["scenarios_withheld"] and not notes["rationales_withheld"]:
        lines.append("Nothing was withheld. / Er is niets achtergehouden.")
    if notes["scenarios_withheld"]:
        lines.append(
            "Scenarios classified above Openbaar are not part of this public edition; the ranks and the "
            "diagram are computed on the public scenarios only. / Scenario's met een rubricering boven "
            "Openbaar ontbreken in deze openbare editie; rangen en diagram gaan alleen over de openbare scenario's."
        )
    for item in notes["rationales_withheld"]:
        lines.append(
            f"- {item}: rationale and sources withheld / onderbouwing en bronnen achtergehouden"
        )
    return "\n".join(lines) + "\n"
