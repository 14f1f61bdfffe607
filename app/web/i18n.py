"""Page translations: templates are written in Japanese; Babel's English catalog translates them."""

from __future__ import annotations

import gettext
import io
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
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
    env.globals["lang_href"] = lang_href
    return env


# The query string of the request being served (set by QueryContext), so that the language switch in every
# page's header keeps the rest of the address: the results page's ?q= token, the console's list filters.
_QUERY: ContextVar[bytes] = ContextVar("navi_query", default=b"")


def lang_href(target: str) -> str:
    """The current address's query with `lang` set to `target` (relative: the same path).

    >>> token = _QUERY.set(b"q=abc&lang=ja&status=new&status=screened")
    >>> lang_href("en")
    '?q=abc&status=new&status=screened&lang=en'
    >>> _QUERY.reset(token)
    >>> lang_href("ja")
    '?lang=ja'
    """
    pairs = [(k, v) for k, v in parse_qsl(_QUERY.get().decode("latin-1"), keep_blank_values=True) if k != "lang"]
    return "?" + urlencode([*pairs, ("lang", target)])


class QueryContext:
    """ASGI middleware: makes the request's query string available to `lang_href` while the page renders."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _QUERY.set(scope.get("query_string", b""))
        try:
            await self.app(scope, receive, send)
        finally:
            _QUERY.reset(token)


def gettext_for(lang: str) -> gettext.NullTranslations:
    return translations(lang)
