"""Pick the language of a response: Japanese first, English when the client asks for it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

SUPPORTED = ("ja", "en")
LANG_COOKIE = "lang"
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
    best, best_q = default, -1.0
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


def chosen_lang(request: Request) -> str | None:
    v = request.query_params.get("lang")
    return v if v in SUPPORTED else None


def page_lang(request: Request, draft_lang: str | None = None) -> str:
    """Japanese first: ?lang= if given, else the draft's language, else the `lang` cookie, else Japanese."""
    cookie = request.cookies.get(LANG_COOKIE)
    for v in (chosen_lang(request), draft_lang, cookie if cookie in SUPPORTED else None):
        if v:
            return v
    return "ja"


def remember_lang(response: Response, request: Request, lang: str) -> None:
    if request.cookies.get(LANG_COOKIE) != lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_MAX_AGE, samesite="lax", path="/")
