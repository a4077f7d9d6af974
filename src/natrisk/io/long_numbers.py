"""Whole numbers too long to read: found and refused, with their place, before Python fails.

Python will not turn a text of more than 4,300 digits into an int (a guard against
quadratic time), so the JSON and YAML readers and openpyxl would fail on such a number with
a bare ValueError: a crash instead of a problem the user can fix. No value of a workbook or
plan needs more than MAX_DIGITS digits (floating point ends at about 1.8e308, 309 digits),
so every reader refuses longer whole numbers first, saying where they are and what to do.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from typing import Any

import yaml

MAX_DIGITS = 400  # below Python's lowest possible limit (640), so ours always comes first
_INT_TAG = "tag:yaml.org,2002:int"
HOW = "write a large value in scientific notation, e.g. 2.5e9, or in a larger unit"


class LongNumber(ValueError):
    """A whole number of more than MAX_DIGITS digits; ``text`` is the number as written."""

    def __init__(self, text: str) -> None:
        super().__init__(advice(text))
        self.text = text


_RUN = re.compile(rf"[\d_]{{{MAX_DIGITS + 1},}}")


def may_hold_one(text: str) -> bool:
    """Whether a document has a run of digits long enough to be a too-long number (a quick
    scan that lets readers skip the full walk over every value)."""
    return _RUN.search(text) is not None


def too_long(text: str) -> bool:
    """Whether a whole number, as written, has more digits than we read."""
    return sum(ch.isdigit() for ch in text) > MAX_DIGITS


def advice(text: str) -> str:
    """What is wrong with a too long number, and what to do."""
    digits = sum(ch.isdigit() for ch in text)
    return f"a number of {digits:,} digits is too long (at most {MAX_DIGITS}); {HOW}"


def refused_by_python(exc: BaseException | None) -> bool:
    """Whether an error is Python's own refusal to read a long whole number (CPython's words),
    as from a JSON request body that a framework parsed before we could."""
    return isinstance(exc, ValueError) and "integer string conversion" in str(exc)


def _whole(text: str) -> int:
    if too_long(text):
        raise LongNumber(text)
    return int(text)


def loads_json(text: str) -> Any:
    """``json.loads`` that raises LongNumber for a whole number too long to read."""
    return json.loads(text, parse_int=_whole)


def json_place(text: str, number: str) -> str:
    """Line and column of a too long number in JSON text (its first occurrence)."""
    at = max(text.find(number), 0)
    line = text.count("\n", 0, at) + 1
    return f"line {line}, column {at - (text.rfind(chr(10), 0, at) + 1) + 1}"


def in_yaml(node: yaml.Node) -> list[tuple[str, str, str]]:
    """Every whole number too long to read in a composed YAML document: (line, field, text).

    The document is composed, not yet constructed: constructing it is what would fail.
    """
    found: list[tuple[str, str, str]] = []
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [(node, ())]
    while stack:
        cur, path = stack.pop()
        if id(cur) in seen:  # an aliased node is looked at once
            continue
        seen.add(id(cur))
        if isinstance(cur, yaml.ScalarNode):
            if cur.tag == _INT_TAG and too_long(cur.value):
                found.append((f"line {cur.start_mark.line + 1}", ".".join(path), cur.value))
        elif isinstance(cur, yaml.MappingNode):
            for key, value in cur.value:
                label = str(key.value)[:40] if isinstance(key, yaml.ScalarNode) else "?"
                stack += [(key, path), (value, (*path, label))]
        elif isinstance(cur, yaml.SequenceNode):
            stack += [(item, (*path, str(i))) for i, item in enumerate(cur.value)]
    return sorted(found, key=lambda f: int(f[0].split()[1]))


_LONG_VALUE = re.compile(rb"<v>\s*[-+]?\d{%d,}" % (MAX_DIGITS + 1))
_TAG_ATTRS = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')


def in_xlsx(data: bytes) -> tuple[str, str, str] | None:
    """The sheet title, cell and text of the first number cell too long to read, if any.

    openpyxl reads every cell while opening a workbook and fails on such a number without
    saying where; this looks for it in the sheets' XML, once opening has failed.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for part, title in _sheet_parts(archive).items():
                xml = archive.read(part)
                for m in _LONG_VALUE.finditer(xml):
                    start = max(xml.rfind(b"<c ", 0, m.start()), xml.rfind(b"<c>", 0, m.start()))
                    attrs = _attrs(xml[start : xml.find(b">", start)]) if start >= 0 else {}
                    if attrs.get("t", "n") == "n":  # text cells keep their digits as text
                        return title, attrs.get("r", "?"), m.group().decode()
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return None
    return None


def _attrs(tag: bytes) -> dict[str, str]:
    return {
        k.decode().split(":")[-1]: html.unescape(v.decode(errors="replace"))
        for k, v in _TAG_ATTRS.findall(tag)
    }


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part names and their titles, in the workbook's order."""
    rels = {}
    for tag in re.findall(rb"<Relationship\b[^>]*>", archive.read("xl/_rels/workbook.xml.rels")):
        a = _attrs(tag)
        target = a.get("Target", "")
        rels[a.get("Id", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    out = {}
    for tag in re.findall(rb"<(?:\w+:)?sheet\b[^>]*>", archive.read("xl/workbook.xml")):
        a = _attrs(tag)
        part = rels.get(a.get("id", ""))
        if part in archive.namelist():
            out[part] = a.get("name", part)
    return out
