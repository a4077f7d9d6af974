"""Finding and loading frameworks: bundled by id, or a user's own file by path."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from natrisk.domain.framework import Framework
from natrisk.errors import FrameworkError, Problem, WorkbookError
from natrisk.frameworks import bundled_ids, bundled_path
from natrisk.io.files import decode_text, read_bytes
from natrisk.io.workbook import YamlLoader


def load_framework(ref: str, base_dir: Path | None = None) -> Framework:
    """A bundled framework by id (``nl-2019``) or a framework file by path."""
    path = bundled_path(ref)
    if path is None:
        candidate = Path(ref)
        if not candidate.is_absolute() and base_dir is not None:
            candidate = base_dir / candidate
        if candidate.suffix.lower() not in (".yaml", ".yml", ".json") or not candidate.is_file():
            raise FrameworkError(
                f"unknown framework {ref!r}: neither a bundled framework "
                f"({', '.join(bundled_ids())}) nor a framework file (.yaml/.json)"
            )
        path = candidate
    return _load(str(path.resolve()))


@lru_cache(maxsize=32)
def _load(path: str) -> Framework:
    try:
        text = decode_text(read_bytes(Path(path)), path)
        data = yaml.load(text, Loader=YamlLoader)  # noqa: S506 - a SafeLoader subclass
        return Framework.model_validate(data)
    except WorkbookError as exc:
        raise FrameworkError(f"framework {path}: {exc.problems[0].message}") from exc
    except yaml.YAMLError as exc:
        raise FrameworkError(f"framework {path}: invalid YAML: {exc}") from exc
    except ValidationError as exc:
        lines = [
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        ]
        raise FrameworkError(f"framework {path} is invalid:\n  - " + "\n  - ".join(lines)) from exc


def list_frameworks() -> list[Framework]:
    """Every bundled framework."""
    return [load_framework(fid) for fid in bundled_ids()]


def framework_problem(file: str, exc: FrameworkError) -> Problem:
    """A framework failure as a workbook problem (for ``validate``)."""
    return Problem(file, "edition", "framework", exc.message)
