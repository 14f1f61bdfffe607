"""Security headers (app/web/security.py), production settings (no /docs), and the 500 page without a trace."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import Settings
from app.factory import create_app
from app.web import security
from tests.support.paths import ROOT

PROFILE = {"as_of": "2025-09-01", "applicant_type": "corporation", "employees": 20, "prefecture": "東京都"}


def make_app(tmp: Path, **settings: Any) -> FastAPI:
    return create_app(Settings(database_url=f"sqlite:///{tmp / 'sec.db'}", search_db=tmp / "search.db",
                               seed_demo=False, **settings))


@pytest.fixture(scope="module")
def dev_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    app = make_app(tmp_path_factory.mktemp("sec-dev"))

    @app.get("/test-only/boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("secret-detail-7f3a in /srv/app/secret_module.py")

    @app.get("/api/v1/test-only/boom", include_in_schema=False)
    async def api_boom() -> None:
        raise RuntimeError("secret-detail-7f3a")

    return app


@pytest.fixture(scope="module")
def client(dev_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(dev_app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def https(dev_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(dev_app, raise_server_exceptions=False, base_url="https://testserver") as c:
        yield c


@pytest.fixture(scope="module")
def sid(client: TestClient) -> str:
    r = client.post("/api/v1/screen", json=PROFILE)
    assert r.status_code == 200, r.text
    return str(r.json()["screening_id"])


@pytest.fixture(scope="module")
def draft_path(client: TestClient) -> str:
    r = client.post("/q", data={"consent": "yes", "lang": "ja"}, follow_redirects=False)
    assert r.status_code == 303
    return str(r.headers["location"])


def get(client: TestClient, what: str, sid: str, draft_path: str) -> Any:
    if what == "screen":
        return client.post("/api/v1/screen", json=PROFILE)
    path = {"landing": "/", "draft": draft_path, "results": f"/results/{sid}", "print": f"/results/{sid}/print",
            "screening": f"/api/v1/screenings/{sid}", "programs": "/api/v1/programs", "healthz": "/healthz",
            "console": "/console/login", "missing-draft": "/q/no-such-draft-0000000000"}[what]
    return client.get(path)


def csp(r: Any) -> dict[str, str]:
    values = r.headers.get_list("content-security-policy")
    assert len(values) == 1, values  # never two policies (the console's stricter one is kept, not doubled)
    directives = (d.strip().partition(" ") for d in values[0].split(";"))
    return {name: value for name, _, value in directives if name}


# ------------------------------------------------------------------ headers on every kind of response

ALL = ["landing", "draft", "missing-draft", "results", "print", "screen", "screening", "programs", "healthz", "console"]
PRIVATE = {"draft", "missing-draft", "results", "print", "screen", "screening", "console"}


@pytest.mark.parametrize("what", ALL)
def test_security_headers_on_every_response(client: TestClient, sid: str, draft_path: str, what: str) -> None:
    r = get(client, what, sid, draft_path)
    assert r.status_code in (200, 404), (what, r.status_code)
    policy = csp(r)
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["img-src"] == "'self' data:"
    assert policy["form-action"] == "'self'"
    assert policy["base-uri"] in ("'self'", "'none'")
    assert policy["script-src"] in ("'self'", "'none'")  # never 'unsafe-inline'
    assert "unsafe-inline" not in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "camera=()" in r.headers["permissions-policy"]
    assert "strict-transport-security" not in r.headers  # plain http
    if what == "console":  # the console's own, stricter values win (app/console/web.py)
        assert policy["script-src"] == "'none'" and policy["base-uri"] == "'none'"
        assert r.headers["referrer-policy"] == "same-origin"
    else:  # a private link must never leave in a Referer
        assert r.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("what", ALL)
def test_no_store_exactly_on_private_paths(client: TestClient, sid: str, draft_path: str, what: str) -> None:
    r = get(client, what, sid, draft_path)
    cache = r.headers.get("cache-control", "")
    if what in PRIVATE:
        assert "no-store" in cache, (what, cache)
        assert "noindex" in r.headers.get("x-robots-tag", "")
    else:
        assert "no-store" not in cache, (what, cache)


def test_no_store_on_the_batch_errors_and_referrals(client: TestClient, sid: str) -> None:
    r = client.post("/api/v1/screen/batch", json={"profiles": [PROFILE]})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    r = client.post("/api/v1/screen", content=b"{", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.headers["cache-control"] == "no-store"  # errors too
    r = client.post(f"/results/{sid}/refer", data={})
    assert "no-store" in r.headers["cache-control"]


def test_the_draft_redirect_carrying_the_token_is_not_stored(client: TestClient) -> None:
    r = client.post("/q", data={"consent": "yes", "lang": "ja"}, follow_redirects=False)
    assert r.headers["location"].startswith("/q/")
    assert r.headers["cache-control"] == "no-store" and r.headers["referrer-policy"] == "no-referrer"


def test_static_files_are_plain_and_typed(client: TestClient) -> None:
    for name, kind in (("site.css", "text/css"), ("print.css", "text/css"), ("print.js", "javascript")):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200 and kind in r.headers["content-type"], (name, r.headers["content-type"])
        assert r.headers["x-content-type-options"] == "nosniff"


# ------------------------------------------------------------------ HSTS


def test_hsts_only_over_https(client: TestClient, https: TestClient, sid: str) -> None:
    for path in ("/", f"/results/{sid}", "/api/v1/programs", "/console/login"):
        r = https.get(path)
        assert r.headers["strict-transport-security"] == security.HSTS, path
        assert "strict-transport-security" not in client.get(path).headers, path


def test_forwarded_proto_is_honoured_only_when_trusted(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    untrusting = TestClient(make_app(tmp_path / "a"))
    r = untrusting.get("/healthz", headers={"x-forwarded-proto": "https"})
    assert "strict-transport-security" not in r.headers
    trusting = TestClient(make_app(tmp_path / "b", trust_proxy_headers=True))
    r = trusting.get("/healthz", headers={"x-forwarded-proto": "https"})
    assert r.headers["strict-transport-security"] == security.HSTS
    assert "strict-transport-security" not in trusting.get("/healthz", headers={"x-forwarded-proto": "http"}).headers
    assert "strict-transport-security" not in trusting.get("/healthz").headers


# ------------------------------------------------------------------ /docs


def test_docs_in_development_have_their_own_relaxed_policy(client: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        r = client.get(path)
        assert r.status_code == 200
        assert "https://cdn.jsdelivr.net" in csp(r)["script-src"]
        assert csp(r)["frame-ancestors"] == "'none'"
    # relaxed only there
    assert "cdn.jsdelivr.net" not in client.get("/").headers["content-security-policy"]


def test_production_serves_no_docs_but_the_openapi_document(tmp_path: Path) -> None:
    app = make_app(tmp_path, environment="production")
    assert app.debug is False
    c = TestClient(app, raise_server_exceptions=False)
    assert c.get("/docs").status_code == 404
    assert c.get("/redoc").status_code == 404
    assert c.get("/docs/oauth2-redirect").status_code == 404
    r = c.get("/openapi.json")
    assert r.status_code == 200 and "/api/v1/screen" in r.json()["paths"]
    assert r.headers["x-frame-options"] == "DENY"


def test_debug_is_off_in_development_too(dev_app: FastAPI) -> None:
    assert dev_app.debug is False


# ------------------------------------------------------------------ 500 without a trace


def test_html_500_is_a_japanese_page_without_traceback(client: TestClient, https: TestClient) -> None:
    r = client.get("/test-only/boom", headers={"accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"})
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("text/html")
    assert '<html lang="ja"' in r.text and "サーバーで問題が起きました" in r.text
    for leak in ("Traceback", "RuntimeError", "secret-detail", "secret_module", "File \""):
        assert leak not in r.text, leak
    # the 500 is sent outside the middleware stack: it still carries the headers
    assert csp(r)["script-src"] == "'self'" and r.headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" in https.get("/test-only/boom", headers={"accept": "text/html"}).headers
    r = client.get("/test-only/boom?lang=en", headers={"accept": "text/html"})
    assert r.status_code == 500 and "Something went wrong" in r.text and "secret-detail" not in r.text


def test_json_500_for_the_api_and_for_non_browsers(client: TestClient) -> None:
    for path, accept in (("/api/v1/test-only/boom", "text/html"), ("/test-only/boom", "application/json")):
        r = client.get(path, headers={"accept": accept})
        assert r.status_code == 500
        assert r.json() == {"message": "サーバーで問題が起きました。時間をおいてもう一度お試しください", "errors": []}
        assert "secret-detail" not in r.text
        assert r.headers["x-content-type-options"] == "nosniff"
    r = client.get("/api/v1/test-only/boom", headers={"accept-language": "en"})
    assert r.json()["message"] == "Something went wrong on our side; please try again later"


def test_unknown_addresses_are_a_page_for_browsers_and_json_for_the_api(client: TestClient) -> None:
    html = {"accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}
    r = client.get("/no-such-page", headers=html)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert '<html lang="ja"' in r.text and "ページが見つかりません" in r.text
    assert r.headers["x-frame-options"] == "DENY"
    en = client.get("/no-such-page?lang=en", headers=html)
    assert en.status_code == 404 and "Page not found" in en.text
    assert "Page not found" in client.get("/no-such-page", headers=html).text  # ?lang= set the cookie: one rule
    client.cookies.clear()
    wrong = client.put("/", headers=html)
    assert wrong.status_code == 405 and "この操作はできません" in wrong.text and wrong.headers["allow"]
    api = client.get("/api/v1/no-such-thing", headers=html)
    assert api.status_code == 404 and api.json()["message"] == "見つかりません"
    assert client.get("/no-such-page").json()["message"] == "見つかりません"  # not a browser: JSON


# ------------------------------------------------------------------ pages carry nothing inline

INLINE = re.compile(r"<style|\sstyle\s*=|\son[a-z]+\s*=|<script(?![^>]*\ssrc=)[^>]*>|javascript:", re.I)


def test_templates_have_no_inline_script_or_style() -> None:
    """What the policy forbids (script-src/style-src 'self'): the print page's CSS is /static/print.css (inlined
    only into the PDF, `print_css`), its print button /static/print.js."""
    offenders = []
    for f in sorted((ROOT / "templates").rglob("*.html")):
        text = f.read_text(encoding="utf-8").replace("<style>{{ print_css | safe }}</style>", "")
        offenders += [f"{f.relative_to(ROOT)}: {m.group(0)}" for m in INLINE.finditer(text)]
    assert not offenders, offenders


@pytest.mark.parametrize("what", ["landing", "draft", "results", "print", "console"])
def test_rendered_pages_have_no_inline_script_or_style(client: TestClient, sid: str, draft_path: str,
                                                       what: str) -> None:
    r = get(client, what, sid, draft_path)
    assert r.status_code == 200
    assert not INLINE.findall(r.text), INLINE.findall(r.text)[:5]


# ------------------------------------------------------------------ the helper itself


def test_private_paths() -> None:
    assert all(security.is_private(p) for p in ("/q", "/q/x", "/results/x", "/results/x/summary.pdf", "/console",
                                                "/console/cases/1", "/api/v1/screen", "/api/v1/screen/batch",
                                                "/api/v1/screenings/x"))
    assert not any(security.is_private(p) for p in ("/", "/quiz", "/resultsx", "/consoles", "/api/v1/programs",
                                                    "/api/v1/programs/x", "/static/site.css", "/healthz", "/docs"))
