"""The version a writer read: the If-Match header, or ``version`` in the request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from natrisk.errors import InputError

IfMatch = Annotated[
    str | None, Header(description="The version you read, e.g. \"3\" (or send 'version').")
]


def sent_version(if_match: str | None, version: int | None) -> int | None:
    """The version the request names (If-Match wins); None when it names none."""
    if if_match is None:
        return version
    text = if_match.strip().strip('"').removeprefix("W/").strip('"')
    if not text.isdigit():
        raise InputError('If-Match must be the version number you read, e.g. "3"')
    return int(text)
