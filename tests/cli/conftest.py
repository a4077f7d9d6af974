"""Fixtures of the command-line tests; the helpers live in cli_support."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cli_support import MINIMAL, Runner


@pytest.fixture(scope="module")
def runner() -> Iterator[Runner]:
    """A pool as wide as the machine, shared by one test module."""
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        yield Runner(pool)


@pytest.fixture
def minimal(tmp_path: Path) -> Path:
    """The minimal workbook of the issue, written to a file."""
    path = tmp_path / "minimal.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    return path
