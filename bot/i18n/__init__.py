"""Message catalogs: English message ids, Simplified Chinese and English translations.

Catalogs are the ``.po`` files under ``locales/``; they are compiled in memory with
Babel when first used, so no binary ``.mo`` file has to be kept in step.
"""

from __future__ import annotations

import functools
import gettext
import io
from importlib import resources
from typing import Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

SUPPORTED_LANGUAGES: Final = ("zh", "en")
DEFAULT_LANGUAGE: Final = "zh"
DOMAIN: Final = "messages"


def N_(message: str) -> str:
    """Mark ``message`` for extraction into the catalogs without translating it now."""
    return message


class Translator:
    """Translate message ids into one language; unknown ids fall back to the English id."""

    def __init__(self, lang: str, translations: gettext.NullTranslations) -> None:
        self.lang = lang
        self._translations = translations

    def gettext(self, message: str, **params: object) -> str:
        """Translate ``message`` and fill ``{name}`` placeholders from ``params``."""
        text = self._translations.gettext(message)
        return text.format(**params) if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: object) -> str:
        """Translate the form of ``singular``/``plural`` that fits ``n``; ``{n}`` is filled."""
        text = self._translations.ngettext(singular, plural, n)
        return text.format(n=n, **params)

    def __repr__(self) -> str:
        return f"Translator(lang={self.lang!r})"


def normalize_language(value: str) -> str | None:
    """Map user input such as ``zh-CN``, ``中文`` or ``EN`` to a supported code, else None."""
    cleaned = value.strip().lower().replace("_", "-")
    aliases = {"zh": "zh", "zh-cn": "zh", "zh-hans": "zh", "cn": "zh", "中文": "zh",
               "en": "en", "en-us": "en", "en-gb": "en", "english": "en"}
    return aliases.get(cleaned)


@functools.cache
def get_translator(lang: str) -> Translator:
    """Return the translator for ``lang`` (one of ``SUPPORTED_LANGUAGES``)."""
    if lang not in SUPPORTED_LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; expected one of {SUPPORTED_LANGUAGES}")
    return Translator(lang, _load_catalog(lang))


def _load_catalog(lang: str) -> gettext.NullTranslations:
    po_file = resources.files("bot.i18n").joinpath("locales", lang, "LC_MESSAGES", f"{DOMAIN}.po")
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=lang if lang != "zh" else "zh_Hans_CN")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)
