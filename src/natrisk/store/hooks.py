"""What the layers above ask to run when a database is opened. No SQLAlchemy is imported here.

The search index follows every flush through a listener (``services/search.py``). Loading it
means loading SQLAlchemy and the models, which commands that never open a database
(``validate``, ``assess``) should not pay for. So ``natrisk.services`` names the module here,
and ``Database`` imports it when it opens one: before any session can flush, whichever of the
two happens first.
"""

from __future__ import annotations

import importlib

_MODULES: list[str] = []
_opened = False


def when_opened(module: str) -> None:
    """Import ``module`` once a database is opened (at once if one has been)."""
    if module not in _MODULES:
        _MODULES.append(module)
    if _opened:
        importlib.import_module(module)


def opening() -> None:
    """A database is being opened: import every module named so far."""
    global _opened
    _opened = True
    for module in list(_MODULES):
        importlib.import_module(module)
