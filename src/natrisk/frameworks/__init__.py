"""The bundled yardsticks, as YAML data files next to this module."""

from __future__ import annotations

from pathlib import Path

BUNDLED_DIR = Path(__file__).parent


def bundled_ids() -> list[str]:
    """Ids of the frameworks shipped with natrisk."""
    return sorted(p.stem for p in BUNDLED_DIR.glob("*.yaml"))


def bundled_path(framework_id: str) -> Path | None:
    """Path of a bundled framework file, or None."""
    path = BUNDLED_DIR / f"{framework_id}.yaml"
    return path if framework_id in bundled_ids() else None
