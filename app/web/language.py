"""Pick the language of a response: Japanese first, English when the client asks for it."""

from __future__ import annotations

SUPPORTED = ("ja", "en")


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
