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


def format_number(value: float, lang: str, digits: int = 6, grouped: bool = True) -> str:
    """A number as the language writes it (5.000.000.000 in Dutch, 5,000,000,000 in English);
    ``grouped=False`` leaves out the thousands separators (1000,5), which cannot be misread."""
    from babel.numbers import format_decimal

    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    rounded = float(f"{value:.{digits}g}")  # at most ``digits`` significant digits
    pattern = "#,##0.######" if grouped else "0.######"
    return format_decimal(rounded, format=pattern, locale=lang)


def parse_number(text: str, lang: str) -> float:
    """A typed number read by the language's rules ("1.000" is a thousand, "1,5" one and a half
    in Dutch); a :class:`ValueError` says what is wrong and what was perhaps meant."""
    from babel.numbers import NumberFormatError, parse_decimal

    _ = translator(lang)
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if not cleaned:
        raise ValueError(_("a number is needed"))
    try:
        number = float(parse_decimal(cleaned, locale=lang, strict=True))
    except NumberFormatError as exc:
        meant = [s for s in getattr(exc, "suggestions", None) or [] if s]
        hint = _(" (perhaps %(meant)s?)") % {"meant": _(" or ").join(meant)} if meant else ""
        raise ValueError(
            _("“%(text)s” is not a number%(hint)s") % {"text": text, "hint": hint}
        ) from exc
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(_("“%(text)s” is not a number%(hint)s") % {"text": text, "hint": ""})
    return number


def method_label(method: str, lang: str) -> str:
    """A method's name as readers know it ("Weighted sum", not ``weighted-sum``)."""
    _ = translator(lang)
    names = {"weighted-sum": _("Weighted sum"), "medal": _("Medal"), "evamix": _("Evamix")}
    return names.get(method, method)


def profile_label(framework: object, profile: str, lang: str) -> str:
    """A weight profile's name from its framework ("Interests weighted equally"), or the id."""
    profiles = getattr(getattr(framework, "weights", None), "profiles", {}) or {}
    found = profiles.get(profile)
    return found.label.get(lang) if found is not None else profile
