"""Finding and loading frameworks: bundled by id, or a user's own file by path."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from natrisk.domain.framework import Framework
from natrisk.errors import FrameworkError, Problem, WorkbookError, problem_count
from natrisk.frameworks import bundled_ids, bundled_path
from natrisk.io.workbook import Locator, _locate, read_raw

SUFFIXES = (".yaml", ".yml", ".json")


def load_framework(ref: str, base_dir: Path | None = None) -> Framework:
    """A bundled framework by id (``nl-2019``) or a framework file by path."""
    path = bundled_path(ref) or framework_file(ref, base_dir)
    if path is None:
        raise FrameworkError(
            f"unknown framework {ref!r}: neither a bundled framework "
            f"({', '.join(bundled_ids())}) nor a framework file (.yaml/.json)"
        )
    return _load(str(path.resolve()))


def framework_file(ref: str, base_dir: Path | None = None) -> Path | None:
    """The framework file ``ref`` names (relative to ``base_dir``), if it is one."""
    candidate = Path(ref)
    if not candidate.is_absolute() and base_dir is not None:
        candidate = base_dir / candidate
    if candidate.suffix.lower() not in SUFFIXES or not candidate.is_file():
        return None
    return candidate


@lru_cache(maxsize=32)
def _load(path: str) -> Framework:
    try:
        raw, where = read_raw(Path(path))
        return parse_framework(raw, where, path)
    except WorkbookError as exc:
        found = "\n  - ".join(_described(p) for p in exc.problems) or exc.message
        raise FrameworkError(f"framework {path} is invalid:\n  - {found}") from exc


def parse_framework(raw: Any, where: Locator, name: str) -> Framework:
    """Validate plain data as a framework; every problem named by line and field."""
    try:
        return Framework.model_validate(raw)
    except RecursionError as exc:
        msg = "the document is nested too deeply to be a framework"
        raise WorkbookError(f"{name}: {msg}", [Problem(name, "", "", msg)]) from exc
    except ValidationError as exc:
        problems = [
            Problem(
                name,
                _locate(tuple(e["loc"]), where),
                ".".join(str(p) for p in e["loc"]),
                str(e["msg"]).removeprefix("Value error, "),
            )
            for e in exc.errors()
        ]
        raise WorkbookError(f"{name}: {problem_count(len(problems))}", problems) from exc


def _described(p: Problem) -> str:
    return ": ".join(part for part in (p.where, p.field, p.message) if part)


def list_frameworks() -> list[Framework]:
    """Every bundled framework."""
    return [load_framework(fid) for fid in bundled_ids()]


def framework_problem(file: str, exc: FrameworkError) -> Problem:
    """A framework failure as a workbook problem (for ``validate``)."""
    return Problem(file, "edition", "framework", exc.message)
