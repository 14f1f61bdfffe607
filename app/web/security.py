"""Security headers on every response: one pure-ASGI middleware (`SecurityHeaders`), added in `app.main`.

Every response gets:

* Content-Security-Policy: `CSP` — scripts, styles, fonts and images from this origin only (no inline script
  or style anywhere: pages link /static/*.css and /static/print.js), no framing, no <base>, forms post
  here only. In development `/docs` and `/redoc` get `DOCS_CSP` (Swagger UI / ReDoc come from a CDN and
  start with an inline script); in production those pages do not exist (see `app.main`).
* X-Frame-Options DENY, X-Content-Type-Options nosniff, Referrer-Policy no-referrer (a private link —
  /results/{id}, /q/{token} — never leaves in a Referer), a minimal Permissions-Policy.
* Cache-Control no-store (and X-Robots-Tag noindex) on private paths: /q, /q/…, /results/…, /console…,
  /api/v1/screen, /api/v1/screen/batch, /api/v1/screenings/….
* Strict-Transport-Security, only when the request came over HTTPS: the ASGI scheme (uvicorn
  `--proxy-headers` sets it from a trusted proxy), or X-Forwarded-Proto when
  `Settings.trust_proxy_headers` is true.

The most specific header wins: a value that a route or an inner middleware already set (the console's stricter
policy, `app.console.web.ConsoleHeaders`; `Referrer-Policy` of the console) is kept, except that private paths
always end up `no-store`. So no response carries two Content-Security-Policy headers.

Responses of the app-wide 500 handler are sent by Starlette's ServerErrorMiddleware, outside every user
middleware: that handler adds the same headers with `headers_for()`.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings


def _policy(directives: Mapping[str, str]) -> str:
    return "; ".join(f"{k} {v}" for k, v in directives.items())


CSP_DIRECTIVES: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
CSP = _policy(CSP_DIRECTIVES)

# Development only: FastAPI's /docs (Swagger UI) and /redoc load their bundles from jsDelivr (and ReDoc its
# fonts from Google) and start them with an inline <script>.
_CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = _policy({
    **CSP_DIRECTIVES,
    "script-src": f"'self' 'unsafe-inline' {_CDN}",
    "style-src": f"'self' 'unsafe-inline' {_CDN} https://fonts.googleapis.com",
    "img-src": f"'self' data: {_CDN} https://fastapi.tiangolo.com",
    "font-src": "'self' https://fonts.gstatic.com",
    "worker-src": "'self' blob:",
})
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})

BASE_HEADERS: dict[str, str] = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
HSTS = "max-age=31536000"

# Paths whose responses hold an applicant's answers or results, or a console page: never stored by a cache.
PRIVATE_EXACT = frozenset({"/q", "/console"})
PRIVATE_PREFIXES = ("/q/", "/results/", "/console/", "/api/v1/screen")


def is_private(path: str) -> bool:
    """Responses on `path` must not be stored (and pages not indexed).

    >>> [is_private(p) for p in ("/q/abc", "/results/x/print", "/api/v1/screen/batch", "/api/v1/screenings/1")]
    [True, True, True, True]
    >>> [is_private(p) for p in ("/", "/api/v1/programs", "/static/site.css", "/quiz", "/healthz")]
    [False, False, False, False, False]
    """
    return path in PRIVATE_EXACT or path.startswith(PRIVATE_PREFIXES)


def is_https(scope: Scope, trust_proxy_headers: bool) -> bool:
    """The request came over HTTPS: the ASGI scheme, or (only if trusted) the proxy's X-Forwarded-Proto."""
    if scope.get("scheme") == "https":
        return True
    if trust_proxy_headers:
        proto = Headers(scope=scope).get("x-forwarded-proto", "")
        return proto.split(",")[0].strip().lower() == "https"
    return False


def _kind(scope: Scope, settings: Settings) -> tuple[bool, bool, bool]:
    """What the headers of a response to `scope` depend on: (a docs page, a private path, over HTTPS)."""
    path: str = scope.get("path", "")
    return (path in DOCS_PATHS and settings.environment != "production", is_private(path),
            is_https(scope, settings.trust_proxy_headers))


def _headers(docs: bool, private: bool, https: bool) -> dict[str, str]:
    out = {"Content-Security-Policy": DOCS_CSP if docs else CSP, **BASE_HEADERS}
    if private:
        out["Cache-Control"] = "no-store"
        out["X-Robots-Tag"] = "noindex, nofollow"
    if https:
        out["Strict-Transport-Security"] = HSTS
    return out


def headers_for(scope: Scope, settings: Settings) -> dict[str, str]:
    """The security headers of a response to the request `scope` (before any route-specific value)."""
    return _headers(*_kind(scope, settings))


# The same headers as raw ASGI pairs (lower-case names, latin-1 values), for each of the eight kinds.
_RAW: dict[tuple[bool, bool, bool], tuple[tuple[bytes, bytes], ...]] = {}


def _raw_headers(kind: tuple[bool, bool, bool]) -> tuple[tuple[bytes, bytes], ...]:
    raw = _RAW.get(kind)
    if raw is None:
        raw = _RAW[kind] = tuple((k.lower().encode("latin-1"), v.encode("latin-1"))
                                 for k, v in _headers(*kind).items())
    return raw


def apply(headers: MutableHeaders, scope: Scope, settings: Settings) -> None:
    """Add the security headers to `headers`, keeping values already set (more specific); private paths are
    made `no-store` whatever the route said."""
    for name, value in headers_for(scope, settings).items():
        if name == "Cache-Control" and "no-store" not in headers.get(name, ""):
            headers[name] = value
        else:
            headers.setdefault(name, value)


class SecurityHeaders:
    """Pure ASGI (streaming and background tasks untouched): headers added to `http.response.start`."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_raw(message, _raw_headers(_kind(scope, self.settings)))
            await send(message)

        await self.app(scope, receive, send_with_headers)


_CACHE_CONTROL = b"cache-control"


def add_raw(message: Message, pairs: tuple[tuple[bytes, bytes], ...]) -> None:
    """`apply` on a `http.response.start` message's raw headers, without `MutableHeaders`: each pair that the
    response does not have is appended (in order); Cache-Control is replaced (duplicates dropped) unless the
    response's first one already says no-store."""
    headers = message["headers"] = list(message["headers"])
    present = {key for key, _ in headers}
    for key, value in pairs:
        if key == _CACHE_CONTROL and key in present:
            first = next(v for k, v in headers if k == key)
            if b"no-store" not in first:
                MutableHeaders(raw=headers)[key.decode("latin-1")] = value.decode("latin-1")
        elif key not in present:
            headers.append((key, value))
            present.add(key)
