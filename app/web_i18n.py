"""Page translations: templates are written in Japanese; Babel's English catalog translates them."""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

ROOT = Path(__file__).resolve().parents[1]
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
TEMPLATES = ROOT / "templates"


@lru_cache
def translations(lang: str) -> gettext.NullTranslations:
    """Japanese is the source language; other languages come from app/locale/<lang>/LC_MESSAGES/messages.po.

    The .po file is compiled in memory, so there is no build step and no binary file in git.
    """
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == "ja" or not po.is_file():
        return gettext.NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


@lru_cache
def environment(lang: str) -> Environment:
    """One Jinja2 environment per language, with `_()` and {% trans %} bound to it."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = lang
    return env


def gettext_for(lang: str) -> gettext.NullTranslations:
    return translations(lang)
