"""Inputs with one whole number of 5,000 digits: workbooks and plans in YAML, JSON and XLSX.

Shared by tests/io/test_huge_numbers.py (the readers, the command line) and
tests/api/test_api_huge_numbers.py (the same over real HTTP).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

from natrisk.io.plan import load_plan
from natrisk.io.plan_xlsx import plan_xlsx_bytes
from natrisk.io.workbook import load_workbook
from natrisk.io.xlsx import write_xlsx

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "nl-2026.yaml"
EXAMPLE_PLAN = ROOT / "examples" / "nl-plan-2026.yaml"
HUGE = "9" * 5000
ADVICE = "write a large value in scientific notation"


QUANTITY = '"2.1": {quantity: {min: 400, max: 3000}'
# the line of the example that gets the long number (the first 2.1 quantity of 400-3000)
HUGE_LINE = 1 + next(
    i
    for i, line in enumerate(EXAMPLE.read_text(encoding="utf-8").splitlines())
    if line.lstrip().startswith(QUANTITY)
)


def huge_workbook_yaml() -> str:
    """The example with one quantity of 5,000 digits, on line HUGE_LINE."""
    text = EXAMPLE.read_text(encoding="utf-8")
    assert text.splitlines()[HUGE_LINE - 1].lstrip().startswith(QUANTITY)
    return text.replace("{min: 400, max: 3000}", "{min: 400, max: " + HUGE + "}", 1)


def huge_plan_yaml() -> str:
    """The example plan with one capability level of 5,000 digits."""
    text = EXAMPLE_PLAN.read_text(encoding="utf-8")
    return text.replace("    current: 3\n", f"    current: {HUGE}\n", 1)


def huge_json(data: object) -> str:
    """JSON of ``data`` with a 5,000-digit whole number in place of the first 3000 or 3."""
    text = json.dumps(data, indent=1, default=str)  # plan dates as ISO text
    found = re.search(r": (3000|3)([,\n])", text)
    assert found, "no number to replace"
    return text[: found.start(1)] + HUGE + text[found.end(1) :]


def huge_xlsx(data: bytes) -> bytes:
    """The .xlsx with the first whole-number cell of any sheet given 5,000 digits."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    done = False
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info.filename)
            if not done and info.filename.startswith("xl/worksheets/"):
                part, n = re.subn(
                    rb'(t="n"><v>)\d+(</v>)', rb"\g<1>" + HUGE.encode() + rb"\2", part, count=1
                )
                done = n == 1
            target.writestr(info, part)
    assert done, "no number cell found"
    return out.getvalue()


def workbook_xlsx(tmp: Path) -> bytes:
    path = tmp / "example.xlsx"
    write_xlsx(load_workbook(EXAMPLE), path)
    return huge_xlsx(path.read_bytes())


def plan_xlsx() -> bytes:
    return huge_xlsx(plan_xlsx_bytes(load_plan(EXAMPLE_PLAN)))
