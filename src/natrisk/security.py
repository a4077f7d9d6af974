"""Classification levels, clearances and roles: who may see and do what.

Levels are ordered, lowest first; a user with clearance c may see material classified at
level <= c. The list is configurable with NATRISK_CLASSIFICATIONS (comma-separated).
Roles are per edition. PERMISSIONS says, for each permission, which roles hold it; the
role table of docs/shared-system.md (section Roles) is the same table, and a test keeps the
two, and the API's behaviour, equal. ROLES runs from the least to the most trusted role: no
one gives a role above their own (``may_grant``).
"""

from __future__ import annotations

import os

from natrisk.errors import InputError

DEFAULT_LEVELS = (
    "Openbaar",
    "Departementaal Vertrouwelijk",
    "Staatsgeheim Confidentieel",
    "Staatsgeheim Geheim",
)


def levels() -> tuple[str, ...]:
    """The ordered classification levels in force."""
    raw = os.environ.get("NATRISK_CLASSIFICATIONS")
    if not raw:
        return DEFAULT_LEVELS
    return tuple(p.strip() for p in raw.split(",") if p.strip()) or DEFAULT_LEVELS


def level_index(name: str | int | None) -> int:
    """Index of a level given by name (case-insensitive) or index; None is the lowest."""
    names = levels()
    if name is None or name == "":
        return 0
    if isinstance(name, int):
        if 0 <= name < len(names):
            return name
        raise InputError(f"classification level {name} does not exist (0..{len(names) - 1})")
    for i, n in enumerate(names):
        if n.lower() == str(name).strip().lower():
            return i
    raise InputError(f"unknown classification {name!r}; levels are: {', '.join(names)}")


def level_name(index: int) -> str:
    """Name of a level index."""
    names = levels()
    return names[min(max(index, 0), len(names) - 1)]


ROLES = ("reader", "reviewer", "expert", "contributor", "analyst", "coordinator", "administrator")

# permission -> roles that hold it
PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset(ROLES),
    "comment": frozenset({"reviewer", "analyst", "coordinator", "administrator"}),
    "judge": frozenset({"expert"}),
    "edit": frozenset({"analyst", "coordinator", "administrator"}),
    "invite": frozenset({"coordinator", "administrator"}),
    "transition": frozenset({"coordinator", "administrator"}),
    "manage": frozenset({"coordinator", "administrator"}),
    # measures of a plan: contributors and analysts only those their own organisation owns
    "measure": frozenset({"contributor", "analyst", "coordinator", "administrator"}),
    "measure-any": frozenset({"coordinator", "administrator"}),
    # a sensitivity run costs the server minutes: for those who work on the assessment
    "run": frozenset({"analyst", "coordinator", "administrator"}),
    # horizon scanning: anyone who works on the edition (ministries, regions, partners)
    # submits signals; judging them, scans and clusters stay with analysts ("edit")
    "signal": frozenset(ROLES) - {"reader"},
    # a workbook file becomes a new edition: for those who write pictures (the role held on
    # any edition of theirs; site administrators always)
    "import": frozenset({"analyst", "coordinator", "administrator"}),
}


def allows(role: str | None, permission: str) -> bool:
    """Whether a role on an edition grants a permission."""
    return role is not None and role in PERMISSIONS[permission]


def may_grant(own: str | None, role: str) -> bool:
    """Whether the holder of role ``own`` may give someone ``role``, or take it from them.

    Giving roles needs "manage", and never reaches above one's own role: so only an
    administrator makes, or unmakes, an administrator.
    """
    return (
        allows(own, "manage")
        and own in ROLES
        and role in ROLES
        and ROLES.index(role) <= ROLES.index(own)
    )


# edition workflow: status -> statuses it may move to
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("review",),
    "review": ("draft", "adopted"),
    "adopted": ("published",),
    "published": (),
}
EDITABLE = frozenset({"draft", "review"})
