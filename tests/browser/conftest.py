"""Fixtures of the browser tests: one uvicorn server and one Chromium for the session, a fresh context per test.

Without /usr/bin/chromium (or the Python playwright package, or axe-core for the accessibility tests) the
tests fail when the environment variable CI is set and are skipped otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .navi_browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, Http, Server, missing, start_server

DEFAULT_TIMEOUT_MS = 20_000


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the Python package playwright is missing (pip install -e '.[dev]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Iterator[Server]:
    # Depends on `chromium` so that a machine without it skips before starting a server.
    s = start_server(tmp_path_factory.mktemp("browser-server"))
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="session")
def base_url(server: Server) -> str:
    return server.url


@pytest.fixture(scope="session")
def http(base_url: str) -> Iterator[Http]:
    h = Http(base_url)
    try:
        yield h
    finally:
        h.close()


@pytest.fixture
def new_page(chromium: Any, base_url: str) -> Iterator[Callable[..., Any]]:
    """new_page(viewport=..., java_script_enabled=...) → a page in a new context (closed after the test)."""
    contexts: list[Any] = []

    def make(viewport: dict[str, int] | None = None, **options: Any) -> Any:
        context = chromium.new_context(base_url=base_url, viewport=viewport or DESKTOP, locale="ja-JP",
                                       timezone_id="Asia/Tokyo", accept_downloads=True, **options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for c in contexts:
        c.close()


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()
