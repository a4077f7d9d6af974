"""Plan files: phases 2 and 3 in YAML, JSON or XLSX (format natrisk-plan/1).

Like workbooks, reading gathers every problem (shape and references) before raising one
WorkbookError whose problems name file, line (or sheet and row) and the plan part they concern.
The Excel form is read and written by :mod:`natrisk.io.plan_xlsx`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from natrisk.domain.plan import EditionFacts, Loc, Plan, plan_problems
from natrisk.errors import Problem, WorkbookError, problem_count
from natrisk.io.files import decode_text, read_bytes
from natrisk.io.workbook import Locator, _is_internal, _locate, _too_deep, read_raw

_EXCEL = (".xlsx", ".xlsm", ".xls")
_PARTS = {
    "security_issues": "security issue",
    "tasks": "task",
    "capabilities": "capability",
    "weighings": "weighing",
    "strategies": "strategy",
    "measures": "measure",
    "reports": "report",
    "calendar": "event",
}


def load_plan(path: Path, edition: EditionFacts | None = None) -> Plan:
    """Read a plan file and check its references (and, given an edition, its scenarios)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json", *_EXCEL):
        msg = "a plan is a .yaml, .yml or .json file, or an .xlsx workbook"
        raise WorkbookError(f"{path}: {msg}", [Problem(str(path), "", "", msg)])
    if suffix in _EXCEL:  # .xlsm and .xls are refused by the reader, with what to do instead
        from natrisk.io.plan_xlsx import read_plan_xlsx

        raw, where = read_plan_xlsx(read_bytes(path), str(path))
    else:
        raw, where = read_raw(path)
    return parse_plan(raw, where, str(path), edition)


def load_plan_upload(data: bytes, name: str) -> Plan:
    """Read an uploaded plan (.yaml, .yml, .json or .xlsx) with the same guards and line
    numbers as a file: YAML alias bombs, binary data and bad encodings are refused."""
    from natrisk.io.workbook import _read_json, _read_yaml

    suffix = Path(name).suffix.lower()
    if suffix in _EXCEL:
        from natrisk.io.plan_xlsx import read_plan_xlsx

        raw, where = read_plan_xlsx(data, name)
    elif suffix in (".yaml", ".yml", ".json"):
        text = decode_text(data, name)
        raw, where = _read_json(text, name) if suffix == ".json" else _read_yaml(text, name)
    else:
        msg = "upload a plan as .yaml, .yml, .json or .xlsx"
        raise WorkbookError(f"{name}: {msg}", [Problem(name, "", "", msg)])
    return parse_plan(raw, where, name)


def parse_plan(raw: Any, where: Locator, name: str, edition: EditionFacts | None = None) -> Plan:
    """Validate plain data as a plan; raise one WorkbookError listing every problem."""
    if not isinstance(raw, dict):
        msg = "a plan is a mapping with keys format, plan, security_issues, tasks, ..."
        raise WorkbookError(f"{name}: not a plan", [Problem(name, "", "", msg)])
    try:
        plan = Plan.model_validate(raw)
    except RecursionError as exc:
        raise _too_deep(name, exc) from exc
    except ValidationError as exc:
        problems = [_problem(tuple(e["loc"]), _message(e), raw, where, name) for e in exc.errors()]
        raise WorkbookError(f"{name}: {problem_count(len(problems))}", problems) from exc
    found = plan_problems(plan, edition)
    if found:
        problems = [_problem(loc, msg, raw, where, name) for loc, msg in found]
        raise WorkbookError(f"{name}: {problem_count(len(problems))}", problems)
    return plan


def _message(err: Any) -> str:
    if err["type"] == "missing":
        return "required field is missing"
    if err["type"] == "extra_forbidden":
        return "unknown field; check its spelling"
    return str(err["msg"]).removeprefix("Value error, ")


def _problem(loc: Loc, message: str, raw: dict[str, Any], where: Locator, name: str) -> Problem:
    subject, rest = "", loc
    if len(loc) >= 2 and loc[0] in _PARTS and isinstance(loc[1], int):
        items = raw.get(str(loc[0])) or []
        item = items[loc[1]] if loc[1] < len(items) else None
        ident = None
        if isinstance(item, dict):
            ident = item.get("id") or item.get("issue") or item.get("title")
        subject = (
            f"{_PARTS[str(loc[0])]} {ident}" if ident else f"{_PARTS[str(loc[0])]} #{loc[1] + 1}"
        )
        rest = loc[2:]
    field = ".".join(str(p) for p in rest if not _is_internal(p))
    place = ", ".join(p for p in (_locate(loc, where), subject) if p)
    return Problem(name, place, field, message)


def dump_plan(plan: Plan) -> dict[str, Any]:
    """The plan as plain data in canonical form (defaults left out)."""
    data = plan.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data = {"format": plan.format, **data}
    return _short_texts(data)


_TEXTS = {"title", "name"}  # the fields that hold {en, nl} texts


def _short_texts(value: Any, key: str = "") -> Any:
    # a text that reads the same in both languages is written once
    if isinstance(value, dict):
        if key in _TEXTS and set(value) == {"en", "nl"} and value["en"] == value["nl"]:
            return value["en"]
        return {k: _short_texts(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_short_texts(v, key) for v in value]
    return value


class _Dumper(yaml.SafeDumper):
    """Quotes text that the YAML 1.2 reader would take for a number (such as ``1e5``)."""


_Dumper.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(\d[\d_]*\.?[\d_]*|\.\d+)[eE][-+]?\d+$"),
    list("-+0123456789."),
)


def plan_text(plan: Plan, suffix: str = ".yaml") -> str:
    """The plan as YAML or JSON text."""
    data = dump_plan(plan)
    if suffix.lower() == ".json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def write_plan(plan: Plan, path: Path) -> None:
    """Write a plan as YAML, JSON or XLSX, by the file's extension, replacing it atomically."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from natrisk.io.plan_xlsx import write_plan_xlsx

        write_plan_xlsx(plan, path)
        return
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(plan_text(plan, path.suffix), encoding="utf-8")
    tmp.replace(path)
