"""Translations: gettext catalogues (.po, edited with Babel's tools), English as the source.

The .po files are compiled in memory when first used, so the package ships only the
human-editable catalogue and no build step is needed.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from natrisk.errors import OptionError

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "nl")


@lru_cache(maxsize=4)
def translations(lang: str) -> gettext.NullTranslations:
    """The gettext translations for ``lang`` (English needs none)."""
    if lang not in LANGUAGES:
        raise OptionError(f"unknown language {lang!r}; choose {' or '.join(LANGUAGES)}")
    if lang == "en":
        return gettext.NullTranslations()
    po_path = LOCALE_DIR / lang / "LC_MESSAGES" / "natrisk.po"
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def translator(lang: str) -> Callable[[str], str]:
    """The gettext function for ``lang``."""
    return translations(lang).gettext
