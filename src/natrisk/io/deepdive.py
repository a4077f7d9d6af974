"""Deep-dive files (format natrisk-deepdive/1) in YAML or JSON, problems named by line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from natrisk.domain.deepdive import DeepDive
from natrisk.domain.plan import Loc
from natrisk.errors import Problem, WorkbookError
from natrisk.io.files import decode_text, read_bytes
from natrisk.io.plan import _message
from natrisk.io.trends import yaml_text
from natrisk.io.workbook import Locator, _is_internal, _locate, _read_json, _read_yaml, _too_deep


def load_deepdive(path: Path) -> tuple[DeepDive, Locator]:
    """Read a deep-dive file; the locator places later reference problems at their line."""
    path = Path(path)
    return parse_upload(read_bytes(path), str(path))


def parse_upload(data: bytes, name: str) -> tuple[DeepDive, Locator]:
    """A deep-dive from a file's bytes (.yaml, .yml or .json)."""
    suffix = Path(name).suffix.lower()
    if suffix not in (".yaml", ".yml", ".json"):
        msg = "a deep-dive is a .yaml, .yml or .json file"
        raise WorkbookError(f"{name}: {msg}", [Problem(name, "", "", msg)])
    text = decode_text(data, name)
    raw, where = _read_json(text, name) if suffix == ".json" else _read_yaml(text, name)
    return parse_deepdive(raw, where, name), where


def parse_deepdive(raw: Any, where: Locator, name: str) -> DeepDive:
    """Validate plain data as a deep-dive; one WorkbookError lists every problem."""
    if not isinstance(raw, dict):
        msg = "a deep-dive is a mapping with keys format, id, title, edition, theme, ..."
        raise WorkbookError(f"{name}: not a deep-dive", [Problem(name, "", "", msg)])
    try:
        return DeepDive.model_validate(raw)
    except RecursionError as exc:
        raise _too_deep(name, exc) from exc
    except ValidationError as exc:
        problems = [problem(tuple(e["loc"]), _message(e), raw, where, name) for e in exc.errors()]
        raise WorkbookError(f"{name}: {len(problems)} problem(s)", problems) from exc


def problem(loc: Loc, message: str, raw: Any, where: Locator, name: str) -> Problem:
    """A problem at ``loc`` of the data, with its line and the proposal it concerns."""
    subject, rest = "", loc
    if len(loc) >= 2 and loc[0] == "scenarios" and isinstance(loc[1], int):
        items = raw.get("scenarios") if isinstance(raw, dict) else None
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        ident = item.get("id") if isinstance(item, dict) else None
        subject = f"scenario {ident}" if ident else f"scenario #{loc[1] + 1}"
        rest = loc[2:]
    field = ".".join(str(p) for p in rest if not _is_internal(p))
    place = ", ".join(p for p in (_locate(loc, where), subject) if p)
    return Problem(name, place, field, message)


def dump_deepdive(dd: DeepDive) -> dict[str, Any]:
    """The deep-dive as plain data in canonical form (defaults left out)."""
    data = dd.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return {"format": dd.format, **data}


def deepdive_text(dd: DeepDive, suffix: str = ".yaml") -> str:
    """The deep-dive as YAML or JSON text."""
    data = dump_deepdive(dd)
    if suffix.lower() == ".json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml_text(data)
