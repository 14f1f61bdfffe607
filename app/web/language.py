"""The one language rule of every page and answer: ?lang= > the switch's cookie > Accept-Language > Japanese."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.requests import Request

SUPPORTED = ("ja", "en")
LANG_COOKIE = "navi_lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


def pick_language(accept_language: str | None, override: str | None = None, default: str = "ja") -> str:
    """Language from ?lang= or the Accept-Language header (by q-value).

    >>> pick_language("en-US,en;q=0.9")
    'en'
    >>> pick_language("ja,en;q=0.5")
    'ja'
    >>> pick_language("fr, en;q=0.3")
    'en'
    >>> pick_language(None)
    'ja'
    >>> pick_language("en", override="ja")
    'ja'
    """
    if override in SUPPORTED:
        return override  # type: ignore[return-value]
    best, best_q = default, 0.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        if lang not in SUPPORTED:
            continue
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        if q > best_q:
            best, best_q = lang, q
    return best


def choose_language(asked: str | None, cookie: str | None, accept_language: str | None,
                    default: str = "ja") -> str:
    """THE rule (issue 14 item 4): `?lang=`, else the cookie the language switch set, else the browser's
    Accept-Language, else Japanese.

    >>> choose_language("ja", "en", "en"), choose_language(None, "en", "ja"), choose_language("xx", None, "en-GB")
    ('ja', 'en', 'en')
    >>> choose_language(None, "fr", "de, fr;q=0.5")
    'ja'
    """
    for v in (asked, cookie):
        if v in SUPPORTED:
            return v  # type: ignore[return-value]
    return pick_language(accept_language, default=default)


def _default(app: Any) -> str:
    """NAVI_DEFAULT_LANG (app/config.py) when the app has its settings, else Japanese."""
    services = getattr(getattr(app, "state", None), "services", None)
    value = getattr(getattr(services, "settings", None), "default_lang", "ja")
    return value if value in SUPPORTED else "ja"


def page_lang(request: Request) -> str:
    """The language of this request's page (or JSON answer), by `choose_language`."""
    return choose_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                           request.headers.get("accept-language"), _default(request.scope.get("app")))


def scope_lang(scope: Any) -> str:
    """`page_lang` for ASGI middleware that has only the scope (app/web/guards.py)."""
    return page_lang(Request(scope))


def chosen_lang(request: Request) -> str | None:
    v = request.query_params.get("lang")
    return v if v in SUPPORTED else None


class LanguageSwitch:
    """ASGI middleware: a GET of any page with a valid `?lang=` (the header's switch link) remembers it in the
    `navi_lang` cookie (SameSite=Lax, a year), so later pages without `?lang=` keep it. No JavaScript."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD") \
                or scope.get("path", "").startswith(("/api/", "/static/")):
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        asked = (query.get("lang") or [""])[-1]
        if asked not in SUPPORTED or Request(scope).cookies.get(LANG_COOKIE) == asked:
            await self.app(scope, receive, send)
            return
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        cookie = f"{LANG_COOKIE}={asked}; Max-Age={LANG_COOKIE_MAX_AGE}; Path=/; SameSite=Lax; HttpOnly{secure}"

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("set-cookie", cookie)
            await send(message)

        await self.app(scope, receive, sending)
