"""Names of downloaded files: the edition (or plan) id, the language and the day, so that a
folder of reports can be filed and told apart (never ``report.pdf`` or ``export``)."""

from __future__ import annotations

import datetime as dt


def download_name(stem: str, ext: str, lang: str | None = None) -> str:
    """``{stem}[-{lang}]-{YYYY-MM-DD}.{ext}``; the stem is an id (letters, digits, . _ -)."""
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "-" for ch in stem)[:120] or "natrisk"
    parts = [safe, *([lang] if lang else []), dt.date.today().isoformat()]
    return f"{'-'.join(parts)}.{ext}"


def attachment(stem: str, ext: str, lang: str | None = None) -> dict[str, str]:
    """The Content-Disposition header that saves the response under ``download_name``."""
    return {"Content-Disposition": f'attachment; filename="{download_name(stem, ext, lang)}"'}
