"""SecurityHeaders adds its headers to the raw ASGI list (`add_raw`) exactly as `apply` does through
`MutableHeaders`: same names, values, order, Cache-Control rule, for every kind of request and response."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from starlette.datastructures import MutableHeaders

from app.config import Settings
from app.web.security import _kind, _raw_headers, add_raw, apply

RESPONSES: list[list[tuple[bytes, bytes]]] = [
    [],
    [(b"content-type", b"application/json"), (b"content-length", b"2")],
    [(b"cache-control", b"public, max-age=300"), (b"etag", b'"v.ja"')],
    [(b"cache-control", b"no-store, private")],
    [(b"cache-control", b"max-age=60"), (b"x-a", b"1"), (b"cache-control", b"public")],  # duplicates
    [(b"content-security-policy", b"default-src 'none'"), (b"referrer-policy", b"same-origin")],  # the console's
    [(b"Cache-Control", b"max-age=1")],  # a name not in lower case (as MutableHeaders compares it)
]
PATHS = ["/", "/api/v1/screen", "/api/v1/programs", "/results/abc", "/console", "/docs", "/static/site.css"]


def _scope(path: str, https: bool, forwarded: bool) -> dict[str, Any]:
    headers = [(b"x-forwarded-proto", b"https")] if forwarded else []
    return {"type": "http", "path": path, "scheme": "https" if https else "http", "headers": headers}


@pytest.mark.parametrize("environment,trust", [("development", False), ("production", True)])
def test_add_raw_equals_apply(environment: str, trust: bool) -> None:
    settings = Settings(environment=environment, trust_proxy_headers=trust)
    checked = 0
    for path, https, forwarded, response in itertools.product(PATHS, (False, True), (False, True), RESPONSES):
        scope = _scope(path, https, forwarded)
        expected = {"type": "http.response.start", "status": 200, "headers": list(response)}
        apply(MutableHeaders(scope=expected), scope, settings)
        got = {"type": "http.response.start", "status": 200, "headers": tuple(response)}
        add_raw(got, _raw_headers(_kind(scope, settings)))
        assert got["headers"] == expected["headers"], (path, https, forwarded, response)
        checked += 1
    assert checked == len(PATHS) * 4 * len(RESPONSES)


def test_the_raw_headers_are_the_documented_ones() -> None:
    settings = Settings(environment="development")
    raw = dict(_raw_headers(_kind(_scope("/api/v1/screen", True, False), settings)))
    assert raw[b"cache-control"] == b"no-store"
    assert raw[b"strict-transport-security"] == b"max-age=31536000"
    assert b"default-src 'self'" in raw[b"content-security-policy"]
    assert b"strict-transport-security" not in dict(_raw_headers(_kind(_scope("/", False, False), settings)))
