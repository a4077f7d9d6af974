"""The command line: thin wrappers that parse options, call one service and print.

One module per phase: ``assess`` (phase 1 on files), ``plan`` (phase 2), ``follow``
(phase 3) and ``shared`` (the database, accounts, audit, serve); ``common`` holds what they
share and ``app`` the command tree.
"""

from natrisk.cli import (  # noqa: F401  (they register commands)
    assess,
    follow,
    foresight,
    plan,
    shared,
    signals,  # noqa: F401
    stacking,  # noqa: F401
    worker,  # noqa: F401
)
from natrisk.cli.app import app

__all__ = ["app"]
