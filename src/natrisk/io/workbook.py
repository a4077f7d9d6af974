"""Workbook files: one edition in YAML or JSON (canonical) or XLSX, one schema.

Reading never raises on the first problem: it gathers every problem it can find, each
located by file and line (YAML/JSON) or sheet and row (XLSX), and raises one WorkbookError.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from natrisk.domain.edition import FORMAT, EditionInfo, Range, Scenario, Score, Workbook
from natrisk.errors import Problem, WorkbookError, problem_count
from natrisk.io import long_numbers
from natrisk.io.files import decode_text, read_bytes
from natrisk.io.yaml_tree import read_tree

Locator = dict[tuple[Any, ...], str]


class YamlLoader(yaml.SafeLoader):
    """Safe YAML with YAML 1.2 numbers: ``5.0e9`` is a float, as analysts mean it."""


# libyaml's parser when PyYAML was built with it (about ten times faster), else the same
# safe loader in Python; either way the constructor is the safe one
_CParser = getattr(yaml, "CSafeLoader", None)


class FastYamlLoader(_CParser or yaml.SafeLoader):  # type: ignore[misc]
    """``YamlLoader`` on libyaml: the file is parsed once, into nodes that keep their lines.

    libyaml asks Python for the tag of every plain scalar; workbooks repeat the same short
    ones (keys, classes, criterion ids) thousands of times, so the answers are remembered.
    """

    _tags: dict[tuple[str, bool, bool], str] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is not yaml.ScalarNode or len(value) > 40:
            return super().resolve(kind, value, implicit)
        key = (value, implicit[0], implicit[1])
        tag = self._tags.get(key)
        if tag is None:
            if len(self._tags) > 100_000:
                self._tags.clear()
            tag = self._tags[key] = super().resolve(kind, value, implicit)
        return tag

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        if self.yaml_path_resolvers:  # none in the safe loader: nothing to track
            super().descend_resolver(current_node, current_index)

    def ascend_resolver(self) -> None:
        if self.yaml_path_resolvers:
            super().ascend_resolver()


_FLOATS = re.compile(r"^[-+]?(\d[\d_]*\.?[\d_]*|\.\d+)[eE][-+]?\d+$")
for _loader in (YamlLoader, FastYamlLoader):
    _loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOATS, list("-+0123456789."))


def load_workbook(path: Path) -> Workbook:
    """Read and validate a workbook file of any supported format."""
    return load_located(path)[0]


Locate = Callable[[list[Problem]], list[Problem]]


def load_located(path: Path) -> tuple[Workbook, Locate]:
    """Read and validate a workbook, and a function that adds the line (or sheet row) to the
    problems later checks find by scenario and field (the framework's checks, for one)."""
    path = Path(path)
    try:
        raw, where = read_raw(path)
    except WorkbookError as exc:
        if exc.readable is not None:  # a bad cell: check the rest too, so all come at once
            data, found_at = exc.readable
            _check_the_rest(exc, data, found_at, str(path))
        raise
    locate = locator_of(raw, where)
    try:
        return parse_workbook(raw, where, str(path)), locate
    except WorkbookError as exc:
        exc.locate = locate
        raise


SHEETS = ("edition", "scenarios", "impacts")


def in_reading_order(problems: list[Problem]) -> list[Problem]:
    """Problems as the file is read: by line, or by sheet and row; unplaced ones first."""

    def place(p: Problem) -> tuple[int, int, int]:
        line = re.search(r"\bline (\d+)", p.where)
        if line:
            return (1, 0, int(line[1]))
        row = re.search(r"sheet (\w+), row (\d+)", p.where)
        if row:
            sheet = SHEETS.index(row[1]) if row[1] in SHEETS else len(SHEETS)
            return (1, sheet, int(row[2]))
        return (0, 0, 0)

    return sorted(problems, key=place)


def _check_the_rest(exc: WorkbookError, raw: Any, where: Locator, name: str) -> None:
    """Add the schema's findings on what could be read to ``exc``, and leave the valid part
    (``partial``) and the locator for the framework's checks."""
    exc.locate = locator_of(raw, where)
    try:
        exc.partial = parse_workbook(raw, where, name)
    except WorkbookError as later:
        exc.problems += _not_echoes(later.problems, exc.problems)
        exc.partial = later.partial
    exc.message = f"{name}: {problem_count(len(exc.problems))}"


def _not_echoes(later: list[Problem], first: list[Problem]) -> list[Problem]:
    """The later findings that are not echoes of the first: a field reads as missing when its
    cell, row or sheet was refused, so only findings at rows with no refused cell count."""
    rows = re.compile(r"sheet \w+, row \d+")
    refused = {m[0] for p in first if (m := rows.match(p.where))}
    return [p for p in later if (m := rows.match(p.where)) and m[0] not in refused]


def locator_of(raw: Any, where: Locator) -> Locate:
    """Place problems named 'scenario ID' and a field at the line or row they came from."""
    index: dict[str, int] = {}
    for i, item in enumerate(raw.get("scenarios") or [] if isinstance(raw, dict) else []):
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            index.setdefault(item["id"], i)

    def locate(problems: list[Problem]) -> list[Problem]:
        out = []
        for p in problems:
            sid = p.where.removeprefix("scenario ") if p.where.startswith("scenario ") else None
            if sid is None or sid not in index:
                out.append(p)
                continue
            loc: tuple[Any, ...] = ("scenarios", index[sid])
            if p.field.startswith("impacts."):
                loc += ("impacts", p.field.removeprefix("impacts.").removesuffix(".classification"))
            elif p.field:
                loc += (p.field.split(".")[0],)
            place = _locate(loc, where)
            out.append(replace(p, where=f"{place}, {p.where}") if place else p)
        return out

    return locate


def read_raw(path: Path) -> tuple[Any, Locator]:
    """The file's data as plain Python, and where each part of it came from."""
    data = read_bytes(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        from natrisk.io.xlsx import read_xlsx

        return read_xlsx(data, str(path))
    text = decode_text(data, str(path))
    if suffix == ".json":
        return _read_json(text, str(path))
    return _read_yaml(text, str(path))


def read_document(data: bytes, name: str, as_json: bool = False) -> tuple[Any, Locator]:
    """An uploaded YAML (or JSON) document as plain data and where each part came from, read
    with the guards of a workbook file: binary data, encodings, YAML aliases, long numbers."""
    text = decode_text(data, name)
    return _read_json(text, name) if as_json else _read_yaml(text, name)


MAX_NODES = 2_000_000  # values in a workbook once YAML aliases are expanded


def _too_deep(name: str, exc: Exception) -> WorkbookError:
    msg = "the file is nested too deeply to be a workbook"
    return WorkbookError(f"{name}: {msg}", [Problem(name, "", "", msg)])


def _read_json(text: str, name: str) -> tuple[Any, Locator]:
    try:
        return long_numbers.loads_json(text), {}
    except RecursionError as exc:
        raise _too_deep(name, exc) from exc
    except long_numbers.LongNumber as exc:
        where = long_numbers.json_place(text, exc.text)
        raise WorkbookError(
            f"{name}: number too long", [Problem(name, where, "", str(exc))]
        ) from exc
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise WorkbookError(
            f"{name}: not valid JSON", [Problem(name, where, "", f"invalid JSON: {exc.msg}")]
        ) from exc


def _read_yaml(text: str, name: str) -> tuple[Any, Locator]:
    """A YAML document as plain data and its places: rapidyaml's tree where it can (after
    libyaml's verdict, io/yaml_tree.py), else PyYAML's nodes; the same data either way."""
    if not long_numbers.may_hold_one(text):  # long numbers are refused on the node path
        scalars = FastYamlLoader("")
        try:
            fast = read_tree(text, scalars, lambda: _read_yaml_nodes(text, name)[1])
        finally:
            scalars.dispose()
        if fast is not None:
            return fast
    return _read_yaml_nodes(text, name)


def _read_yaml_nodes(text: str, name: str) -> tuple[Any, Locator]:
    """The PyYAML way: libyaml's nodes, with every guard and message (``_read_yaml``)."""
    loader = FastYamlLoader(text)
    try:
        # parsed once: the nodes give the checks and the line numbers, then become the data
        node = loader.get_single_node()
        # without an anchor ('&') there is no alias to expand; without a run of digits as
        # long as the limit there is no long number: skip those walks over every node
        if node is not None and "&" in text and _expanded_size(node, {}) > MAX_NODES:
            msg = (
                f"the file expands to more than {MAX_NODES:,} values (YAML aliases); write them out"
            )
            raise WorkbookError(f"{name}: too large when expanded", [Problem(name, "", "", msg)])
        if node is not None and long_numbers.may_hold_one(text):
            _refuse_long_numbers(node, name)
        locator: Locator = {}
        data = _construct(loader, node, (), locator, {}) if node is not None else None
    except RecursionError as exc:
        raise _too_deep(name, exc) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise WorkbookError(
            f"{name}: not valid YAML", [Problem(name, where, "", f"invalid YAML: {problem}")]
        ) from exc
    finally:
        loader.dispose()
    return data, locator


def _refuse_long_numbers(node: yaml.Node, name: str) -> None:
    """Raise, located, every whole number too long for Python to read (long_numbers)."""
    found = long_numbers.in_yaml(node)
    if found:
        problems = [Problem(name, line, f, long_numbers.advice(n)) for line, f, n in found]
        raise WorkbookError(f"{name}: {len(problems)} number(s) too long", problems)


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """How many values the node stands for once aliases are expanded (memoised per node)."""
    known = memo.get(id(node))
    if known is not None:
        return known
    memo[id(node)] = 1  # a recursive alias counts once
    size = 1
    if isinstance(node, yaml.MappingNode):
        size += sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(item, memo) for item in node.value)
    memo[id(node)] = size
    return size


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


def _construct(
    loader: Any, node: yaml.Node, path: tuple[Any, ...], out: Locator, memo: dict[int, Any]
) -> Any:
    """The node's data, noting the line of every value on the way (one walk for both).

    Plain maps, lists and strings are built here; every other tag (numbers, dates, merge
    keys) by the safe constructor itself. An aliased node is built and located once, where
    it is defined, and shared, as the constructor does.
    """
    known = memo.get(id(node), memo)
    if known is not memo:
        return known
    out[path] = f"line {node.start_mark.line + 1}"
    tag = node.tag
    if tag == _STR:
        return node.value
    plain_keys = tag == _MAP and all(
        isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge" for k, _ in node.value
    )
    if plain_keys:
        mapping: dict[Any, Any] = {}
        memo[id(node)] = mapping
        for key, value in node.value:
            k = key.value if key.tag == _STR else loader.construct_object(key, deep=True)
            mapping[k] = _construct(loader, value, (*path, key.value), out, memo)
        return mapping
    if tag == _SEQ:
        items: list[Any] = []
        memo[id(node)] = items
        items.extend(_construct(loader, v, (*path, i), out, memo) for i, v in enumerate(node.value))
        return items
    if isinstance(node, yaml.ScalarNode):
        return (
            loader.yaml_constructors[tag](loader, node)
            if tag in loader.yaml_constructors
            else (loader.construct_object(node, deep=True))
        )
    built = loader.construct_object(node, deep=True)  # merge keys, sets, complex keys
    memo[id(node)] = built
    _index_nodes(node, path, out, set())
    return built


def _index_nodes(node: yaml.Node, path: tuple[Any, ...], out: Locator, seen: set[int]) -> None:
    """Line numbers of the values under a node the constructor built (aliases once)."""
    if id(node) in seen:
        return
    seen.add(id(node))
    out[path] = f"line {node.start_mark.line + 1}"
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _index_nodes(value, (*path, key.value), out, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_nodes(item, (*path, i), out, seen)


def parse_workbook(raw: Any, where: Locator, name: str) -> Workbook:
    """Validate plain data as a workbook, translating every schema error into a Problem."""
    if raw is None:
        raise WorkbookError(f"{name}: empty", [Problem(name, "", "", "the workbook is empty")])
    if not isinstance(raw, dict):
        msg = "a workbook is a mapping with keys format, edition and scenarios"
        raise WorkbookError(f"{name}: not a workbook", [Problem(name, "", "", msg)])
    try:
        book = Workbook.model_validate(raw)
    except RecursionError as exc:
        raise _too_deep(name, exc) from exc
    except ValidationError as exc:
        problems = [_problem(err, raw, where, name) for err in exc.errors()]
        error = WorkbookError(f"{name}: {problem_count(len(problems))}", problems)
        error.partial = _partial(raw)
        raise error from exc
    _check_stacking(book, where, name)
    return book


def _check_stacking(book: Workbook, where: Locator, name: str) -> None:
    """Raise every problem of the links, variants, compounds and region, each located."""
    from natrisk.domain.stacking import read_stacking

    found = read_stacking(book)[1]
    if found:
        problems = [
            Problem(
                name,
                ", ".join(p for p in (_locate(f.loc, where), f.subject) if p),
                f.field,
                f.message,
            )
            for f in found
        ]
        raise WorkbookError(f"{name}: {problem_count(len(problems))}", problems)


def _valid_part(item: Any) -> Scenario | None:
    """A scenario without its invalid impacts, or None when more than impacts is wrong."""
    try:
        return Scenario.model_validate(item)
    except RecursionError:
        return None
    except ValidationError as exc:
        errors = exc.errors()
        if not isinstance(item, dict) or any(
            len(e["loc"]) < 2 or e["loc"][0] != "impacts" for e in errors
        ):
            return None
        bad = {str(e["loc"][1]) for e in errors}
        impacts = {k: v for k, v in (item.get("impacts") or {}).items() if str(k) not in bad}
        try:
            return Scenario.model_validate({**item, "impacts": impacts})
        except (ValidationError, RecursionError):
            return None


def _partial(raw: dict[str, Any]) -> Workbook | None:
    """The part of an invalid workbook that is valid, so later checks can report on it too."""
    try:
        info = EditionInfo.model_validate(raw.get("edition"))
    except (ValidationError, RecursionError):
        return None
    good = []
    for item in raw.get("scenarios") or []:
        scenario = _valid_part(item)
        if scenario is not None:
            good.append(scenario)
    if not good:
        return None
    return Workbook.model_construct(format=FORMAT, edition=info, scenarios=good)


def _problem(err: Any, raw: dict[str, Any], where: Locator, name: str) -> Problem:
    loc = tuple(err["loc"])
    place = _locate(loc, where)
    subject = ""
    field_loc = loc
    if len(loc) >= 2 and loc[0] == "scenarios" and isinstance(loc[1], int):
        scenarios = raw.get("scenarios") or []
        item = scenarios[loc[1]] if loc[1] < len(scenarios) else None
        sid = item.get("id") if isinstance(item, dict) else None
        subject = f"scenario {sid}" if sid else f"scenario #{loc[1] + 1}"
        field_loc = loc[2:]
    field = ".".join(str(p) for p in field_loc if not _is_internal(p))
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "missing":
        message = "required field is missing"
    elif err["type"] == "extra_forbidden":
        message = "unknown field; check its spelling"
    parts = [p for p in (place, subject) if p]
    return Problem(name, ", ".join(parts), field, message)


def _is_internal(part: Any) -> bool:
    # pydantic names union branches and type tags in locations; users never wrote them
    return isinstance(part, str) and (
        part.startswith(("function-", "union[", "dict[", "float", "is-instance"))
        or part in ("Range", "str", "bool")
    )


def _locate(loc: tuple[Any, ...], where: Locator) -> str:
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in where:
            return where[loc[:cut]]
    return ""


def dump_workbook(book: Workbook) -> dict[str, Any]:
    """The canonical plain form: short forms wherever no rationale or sources are given."""
    out: dict[str, Any] = {"format": book.format}
    out["edition"] = book.edition.model_dump(exclude_defaults=True)
    out["edition"].setdefault("framework", book.edition.framework)
    extra = {k: v for k, v in (book.model_extra or {}).items()}
    out.update(extra)
    out["scenarios"] = [_dump_scenario(s) for s in book.scenarios]
    return out


def _dump_scenario(s: Any) -> dict[str, Any]:
    base = s.model_dump(exclude={"likelihood", "impacts"}, exclude_defaults=True)
    base.setdefault("malicious", s.malicious)
    base["likelihood"] = _dump_value(s.likelihood, "probability")
    base["impacts"] = {cid: _dump_value(score, "quantity") for cid, score in s.impacts.items()}
    order = ["id", "title", "theme", "malicious", "description", "assumptions"]
    return {k: base[k] for k in order if k in base} | {
        k: v for k, v in base.items() if k not in order
    }


def _dump_value(value: Any, qty_field: str) -> Any:
    qty = getattr(value, qty_field)
    axes = getattr(value, "axes", None)
    three = _three_point(value) if qty is None and axes is None else None
    if axes is not None:
        qty = {axis: _range_short(r) for axis, r in axes.items()}
        short: Any = qty
    elif three is not None:
        short = three
    elif qty is None:
        short = _placed(value.klass, getattr(value, "position", None))
    else:
        short = _range_short(qty)
    classification = getattr(value, "classification", None)
    if not value.rationale and not value.sources and axes is None and classification is None:
        return short
    if three is not None:
        full: dict[str, Any] = dict(three)
    elif qty is None:
        full = {"class": short}
    else:
        full = {qty_field: short}
    if value.rationale:
        full["rationale"] = value.rationale
    if value.sources:
        full["sources"] = list(value.sources)
    if classification is not None:
        full["classification"] = classification
    return full


def _placed(klass: str, position: str | None) -> str:
    """A class with its position inside the class, in the short form 'B-high'."""
    return f"{klass}-{position}" if position else klass


def _three_point(value: Any) -> dict[str, str] | None:
    """{expected, low, high} of a three-point estimate (positions written as 'B-high')."""
    if getattr(value, "expected", None) is None:
        return None
    low, _, high = value.klass.partition("-")
    high = high or low
    return {
        "expected": _placed(value.expected, getattr(value, "position", None)),
        "low": _placed(low, getattr(value, "low_position", None)),
        "high": _placed(high, getattr(value, "high_position", None)),
    }


def _range_short(r: Range) -> Any:
    return r.min if r.min == r.max else {"min": r.min, "max": r.max}


def write_workbook(book: Workbook, path: Path) -> None:
    """Write a workbook as YAML, JSON or XLSX, by the file's extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from natrisk.io.xlsx import write_xlsx

        write_xlsx(book, path)
        return
    data = dump_workbook(book)
    if suffix == ".json":
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
        path.write_text(text, encoding="utf-8")


__all__ = ["Score", "dump_workbook", "load_workbook", "parse_workbook", "write_workbook"]


def load_upload(data: bytes, filename: str) -> Workbook:
    """Read an uploaded workbook; problems name the uploaded file, not a server path."""
    return load_upload_located(data, filename)[0]


def load_upload_located(data: bytes, filename: str) -> tuple[Workbook, Locate]:
    """An uploaded workbook and the locator of ``load_located``; problems name the uploaded
    file, not a server path."""
    import tempfile

    suffix = Path(filename).suffix.lower()
    if suffix not in (".yaml", ".yml", ".json", ".xlsx"):
        msg = "upload a .yaml, .json or .xlsx workbook"
        raise WorkbookError(f"{filename}: {msg}", [Problem(filename, "", "", msg)])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            book, locate = load_located(path)
        except WorkbookError as exc:
            exc.problems = [replace(p, file=filename) for p in exc.problems]
            exc.message = exc.message.replace(str(path), filename)
            raise
    return book, locate
