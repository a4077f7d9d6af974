"""Trend files (format natrisk-trends/1): YAML and JSON (canonical), XLSX and CSV (tables).

The table form has one table per part, one row per item; an XLSX workbook holds each table on
its sheet, a CSV file holds all of them, its first column naming the table::

    Set          key | value    format, id, title_en, title_nl, year, edition, plan, strategy,
                                baseline, classification, description
    Groups       id, title_en, title_nl, cited_title, cited_year, cited_section
    Trends       id, group, title_en, title_nl, direction, classification, description,
                 cited_title, cited_year, cited_section
    Bearings     trend, theme, scenario, sign, strength, note
    Sources      trend, title, organisation, kind, year, reference
    Transitions  id, title_en, title_nl, trends, lines, intensify, description,
                 cited_title, cited_year, cited_section

An empty cell means the field is absent; lists (trends, lines) are separated by ';'.
Reading gathers every problem (shape and references), each named by file and line (YAML,
JSON, CSV) or sheet and row (XLSX), and raises one WorkbookError; nothing is half-read.
Writing is lossless: reading a written set gives the same set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from natrisk.domain.trends import ForesightFacts, TrendSet, trend_problems
from natrisk.errors import OutputError, Problem, WorkbookError
from natrisk.io import tables
from natrisk.io.files import decode_text, read_bytes, write_text_atomic
from natrisk.io.plan import _message
from natrisk.io.tables import Rows, as_text
from natrisk.io.workbook import Locator, _is_internal, _locate, _read_json, _read_yaml, _too_deep

SUFFIXES = (".yaml", ".yml", ".json", ".xlsx", ".csv")
CITED = ("cited_title", "cited_year", "cited_section")
TABLES: dict[str, tuple[str, ...]] = {
    "Set": ("key", "value"),
    "Groups": ("id", "title_en", "title_nl", *CITED),
    "Trends": (
        "id",
        "group",
        "title_en",
        "title_nl",
        "direction",
        "classification",
        "description",
        *CITED,
    ),
    "Bearings": ("trend", "theme", "scenario", "sign", "strength", "note"),
    "Sources": ("trend", "title", "organisation", "kind", "year", "reference"),
    "Transitions": (
        "id",
        "title_en",
        "title_nl",
        "trends",
        "lines",
        "intensify",
        "description",
        *CITED,
    ),
}
SET_KEYS = (
    "format",
    "id",
    "title_en",
    "title_nl",
    "year",
    "edition",
    "plan",
    "strategy",
    "baseline",
    "classification",
    "description",
)
_TEXT = {"title_en", "title_nl", "description", "note", "title", "reference", "cited_title"}
_TEXT |= {"cited_section", "organisation", "value"}
_LISTS = {"trends", "lines"}
_PARTS = {"groups": "group", "trends": "trend", "transitions": "transition"}


# ----------------------------------------------------------------------------- reading


def load_trends(path: Path, facts: ForesightFacts | None = None) -> TrendSet:
    """Read a trend file of any supported format and check its references."""
    path = Path(path)
    return parse_upload(read_bytes(path), str(path), facts)


def parse_upload(data: bytes, name: str, facts: ForesightFacts | None = None) -> TrendSet:
    """A trend set from a file's bytes (YAML, JSON, XLSX or CSV, by the name's suffix)."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        msg = "a trend file is .yaml, .yml, .json, .xlsx or .csv"
        raise WorkbookError(f"{name}: {msg}", [Problem(name, "", "", msg)])
    if suffix == ".xlsx":
        raw, where = _from_rows(tables.xlsx_rows(data, name, TABLES, ("Set", "Trends")), name)
    elif suffix == ".csv":
        raw, where = _from_rows(tables.csv_rows(decode_text(data, name), name, TABLES), name)
    else:
        text = decode_text(data, name)
        raw, where = _read_json(text, name) if suffix == ".json" else _read_yaml(text, name)
    return parse_trends(raw, where, name, facts)


def parse_trends(
    raw: Any, where: Locator, name: str, facts: ForesightFacts | None = None
) -> TrendSet:
    """Validate plain data as a trend set; raise one WorkbookError listing every problem."""
    if not isinstance(raw, dict):
        msg = "a trend file is a mapping with keys format, set, groups, trends, transitions"
        raise WorkbookError(f"{name}: not a trend file", [Problem(name, "", "", msg)])
    try:
        ts = TrendSet.model_validate(raw)
    except RecursionError as exc:
        raise _too_deep(name, exc) from exc
    except ValidationError as exc:
        problems = [_problem(tuple(e["loc"]), _message(e), raw, where, name) for e in exc.errors()]
        raise WorkbookError(f"{name}: {len(problems)} problem(s)", problems) from exc
    found = trend_problems(ts, facts)
    if found:
        problems = [_problem(loc, msg, raw, where, name) for loc, msg in found]
        raise WorkbookError(f"{name}: {len(problems)} problem(s)", problems)
    return ts


def _problem(loc: tuple[Any, ...], message: str, raw: Any, where: Locator, name: str) -> Problem:
    subject, rest = "", loc
    if len(loc) >= 2 and loc[0] in _PARTS and isinstance(loc[1], int):
        items = raw.get(str(loc[0])) or []
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        ident = item.get("id") if isinstance(item, dict) else None
        part = _PARTS[str(loc[0])]
        subject = f"{part} {ident}" if ident else f"{part} #{loc[1] + 1}"
        rest = loc[2:]
    elif loc and loc[0] == "set":
        subject, rest = "set", loc[1:]
    field = ".".join(str(p) for p in rest if not _is_internal(p))
    place = ", ".join(p for p in (_locate(loc, where), subject) if p)
    return Problem(name, place, field, message)


def _cell(column: str, value: Any) -> Any:
    if column in _TEXT:
        return as_text(value)
    text = as_text(value).strip()
    if column in _LISTS:
        return [p.strip() for p in text.replace("\n", ";").split(";") if p.strip()]
    if column in ("year", "cited_year"):
        return int(text) if text.lstrip("-").isdigit() else text
    if column == "intensify":
        low = text.lower()
        return (
            True
            if low in ("yes", "true", "ja", "1")
            else False
            if low in ("no", "false", "nee", "0")
            else text
        )
    return text


def _fields(rec: dict[str, Any], columns: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in columns:
        if c in rec:
            out[c] = _cell(c, rec[c])
    _join(out, "title")
    cited = {k.removeprefix("cited_"): out.pop(k) for k in CITED if k in out}
    if cited:
        out["cited"] = cited
    return out


def _join(out: dict[str, Any], prefix: str) -> None:
    en, nl = out.pop(f"{prefix}_en", None), out.pop(f"{prefix}_nl", None)
    if en is not None or nl is not None:
        out[prefix] = {"en": en, "nl": nl} if en is not None and nl is not None else en or nl


def _from_rows(rows: Rows, name: str) -> tuple[dict[str, Any], Locator]:
    """The plain data a YAML trend file gives, and where each part came from."""
    raw: dict[str, Any] = {}
    where: Locator = {}
    problems: list[Problem] = []
    head: dict[str, Any] = {}
    for place, rec in rows.get("Set", []):
        key = as_text(rec.get("key", "")).strip()
        if key not in SET_KEYS:
            problems.append(
                Problem(name, place, "key", f"unknown key {key!r}; keys are {', '.join(SET_KEYS)}")
            )
        elif "value" in rec:
            value = rec["value"]
            if key == "year":
                head[key] = _cell("year", value)
            elif key in ("title_en", "title_nl", "description"):
                head[key] = as_text(value)
            else:
                head[key] = as_text(value).strip()
            where[("set", key.removesuffix("_en").removesuffix("_nl"))] = place
    if "format" in head:
        raw["format"] = head.pop("format")
    _join(head, "title")
    raw["set"] = head
    for table, part in (("Groups", "groups"), ("Trends", "trends"), ("Transitions", "transitions")):
        items = raw.setdefault(part, [])
        for place, rec in rows.get(table, []):
            where[(part, len(items))] = place
            items.append(_fields(rec, TABLES[table]))
    index = {t.get("id"): t for t in raw["trends"] if isinstance(t.get("id"), str)}
    positions = {id(t): k for k, t in enumerate(raw["trends"])}
    for table, part in (("Bearings", "bears_on"), ("Sources", "sources")):
        for place, rec in rows.get(table, []):
            fields = _fields(rec, TABLES[table])
            tid = fields.pop("trend", None)
            trend = index.get(tid)
            if trend is None:
                msg = f"no trend {tid!r} on the Trends table" if tid else "name the trend"
                problems.append(Problem(name, place, "trend", msg))
                continue
            items = trend.setdefault(part, [])
            where[("trends", positions[id(trend)], part, len(items))] = place
            items.append(fields)
    if problems:
        raise WorkbookError(f"{name}: {len(problems)} problem(s)", problems)
    return raw, where


# ----------------------------------------------------------------------------- writing


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """libyaml's emitter (about twenty times faster) where PyYAML has it; text that YAML 1.2
    would read as a number (such as ``1e5``) is quoted."""


_Dumper.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(\d[\d_]*\.?[\d_]*|\.\d+)[eE][-+]?\d+$"),
    list("-+0123456789."),
)


def yaml_text(data: Any) -> str:
    """Plain data as block YAML, keys in their order, Unicode as itself."""
    return str(yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100))


def dump_trends(ts: TrendSet) -> dict[str, Any]:
    """The set as plain data in canonical form (defaults left out)."""
    data = ts.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return {"format": ts.format, **data}


def trends_text(ts: TrendSet, suffix: str = ".yaml") -> str:
    """The set as YAML or JSON text."""
    data = dump_trends(ts)
    if suffix.lower() == ".json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml_text(data)


def table_rows(ts: TrendSet) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """Each table's rows, in the order of its columns (empty cells are None)."""
    i = ts.info
    head = {
        "format": ts.format,
        "id": i.id,
        "title_en": i.title.en,
        "title_nl": i.title.nl,
        "year": i.year,
        "edition": i.edition,
        "plan": i.plan,
        "strategy": i.strategy,
        "baseline": i.baseline,
        "classification": i.classification,
        "description": i.description or None,
    }
    yield "Set", [(k, v) for k, v in head.items() if v is not None]
    yield "Groups", [(g.id, g.title.en, g.title.nl, *_cited(g.cited)) for g in ts.groups]
    yield (
        "Trends",
        [
            (t.id, t.group, t.title.en, t.title.nl, t.direction, t.classification)
            + (t.description or None, *_cited(t.cited))
            for t in ts.trends
        ],
    )
    yield (
        "Bearings",
        [
            (t.id, b.theme, b.scenario, b.sign, b.strength, b.note or None)
            for t in ts.trends
            for b in t.bears_on
        ],
    )
    yield (
        "Sources",
        [
            (t.id, s.title, s.organisation, s.kind, s.year, s.reference or None)
            for t in ts.trends
            for s in t.sources
        ],
    )
    yield (
        "Transitions",
        [
            (tr.id, tr.title.en, tr.title.nl, "; ".join(tr.trends) or None)
            + ("; ".join(tr.lines) or None, "yes" if tr.intensify else "no")
            + (tr.description or None, *_cited(tr.cited))
            for tr in ts.transitions
        ],
    )


def _cited(c: Any) -> tuple[Any, Any, Any]:
    return (c.title, c.year, c.section or None) if c is not None else (None, None, None)


def csv_text(ts: TrendSet) -> str:
    """The set as one CSV table, its first column naming the table of each row."""
    return tables.csv_text(TABLES, table_rows(ts))


def xlsx_bytes(ts: TrendSet) -> bytes:
    """The set as an .xlsx workbook, one sheet per table."""
    return tables.xlsx_bytes(TABLES, table_rows(ts))


def trends_bytes(ts: TrendSet, suffix: str) -> bytes:
    """The set in the format of ``suffix`` (.yaml, .json, .xlsx or .csv)."""
    suffix = suffix.lower()
    if suffix == ".xlsx":
        return xlsx_bytes(ts)
    if suffix == ".csv":
        return csv_text(ts).encode("utf-8")
    if suffix in (".yaml", ".yml", ".json"):
        return trends_text(ts, suffix).encode("utf-8")
    raise OutputError(f"cannot write {suffix!r}; write .yaml, .json, .xlsx or .csv")


def write_trends(ts: TrendSet, path: Path) -> None:
    """Write the set by the file's extension, whole or not at all."""
    path = Path(path)
    data = trends_bytes(ts, path.suffix)
    if path.suffix.lower() in (".xlsx",):
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            tmp.write_bytes(data)
            tmp.replace(path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise OutputError(f"{path}: cannot write ({exc.strerror})") from exc
        return
    write_text_atomic(path, data.decode("utf-8"))
