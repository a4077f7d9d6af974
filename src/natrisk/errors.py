"""The one exception tree of natrisk.

NatriskError                     base; carries a user-facing message
├── InputError (status 400)      something the user gave us is wrong
│   ├── WorkbookError            a workbook file cannot be read or is invalid;
│   │                            carries the list of Problems (file, where, field, what)
│   ├── FrameworkError           a framework file or id is unknown or invalid
│   ├── OptionError              a command-line / API option is malformed
│   └── Conflict (status 409)    the thing changed since it was read (a lost race),
│                                or its state forbids the change
├── Unavailable (status 503)     the database is busy or unreachable; try again shortly
└── OutputError (status 500)     a result could not be written (disk, renderer, database)

Third-party errors (YAML, openpyxl, WeasyPrint, SQL drivers) are translated once, at the boundary
that calls them, with ``raise ... from exc``. The CLI prints the message and exits 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def problem_count(n: int) -> str:
    """'1 problem' or 'n problems', as messages count what was found."""
    return f"{n:,} problem" + ("" if n == 1 else "s")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    file: str
    where: str
    field: str
    message: str

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.where, self.field) if p]
        return f"{': '.join(parts)}: {self.message}" if parts else self.message


class NatriskError(Exception):
    """Base of every error natrisk raises on purpose."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(NatriskError):
    """Something the user supplied is wrong; they can fix it."""

    status = 400


class WorkbookError(InputError):
    """A workbook is unreadable or invalid; ``problems`` lists every finding."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []
        self.partial: object | None = None  # the valid part of the input, for further checks
        self.locate: Any = None  # places later problems at their line or row (io.workbook)
        self.readable: Any = None  # (data, locator) still readable, for the later checks

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        lines = [self.message] + [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class FrameworkError(InputError):
    """A framework id is unknown or a framework file is invalid."""


class OptionError(InputError):
    """A command-line or API option is malformed."""


class Conflict(InputError):
    """The thing changed since the requester read it, or its state forbids the change."""

    status = 409


class Unavailable(NatriskError):
    """The database could not serve the request now; the same request may succeed later."""

    status = 503
    retry_after = 2  # seconds, sent as Retry-After


class OutputError(NatriskError):
    """A result could not be produced or written."""
