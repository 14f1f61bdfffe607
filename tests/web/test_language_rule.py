"""Issue 14 item 4: one language rule on every page — ?lang= > the switch's navi_lang cookie > Accept-Language > ja."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api.screen import PROFILE_EXAMPLE
from app.web.language import LANG_COOKIE
from tests.support.console import TOKYO, logged_in, make_app

# (query, cookie, Accept-Language) → the page's language: each rule beats the ones after it.
CASES = [
    ("?lang=ja", "en", "en", "ja"),
    ("?lang=en", "ja", "ja", "en"),
    ("", "ja", "en-US,en;q=0.9", "ja"),
    ("", "en", "ja", "en"),
    ("", None, "en-US,en;q=0.9", "en"),
    ("", None, "ja,en;q=0.5", "ja"),
    ("", None, "fr", "ja"),
    ("", None, None, "ja"),
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    tmp = tmp_path_factory.mktemp("lang")
    application = make_app(f"sqlite:///{tmp}/x.db", tmp)
    with TestClient(application):
        yield application


@pytest.fixture(scope="module")
def urls(app: FastAPI) -> dict[str, str]:
    """One address of every kind of page: landing, a questionnaire step, results, print, console login."""
    with TestClient(app, follow_redirects=False) as c:
        sid = c.post("/api/v1/screen", json={**PROFILE_EXAMPLE, "company_name": "株式会社言語"}).json()["screening_id"]
        token = c.post("/q", data={"consent": "yes"}).headers["location"]
    return {"landing": "/", "questionnaire": token, "results": f"/results/{sid}", "print": f"/results/{sid}/print",
            "console_login": "/console/login", "pdf": f"/results/{sid}/summary.pdf"}


def ask(c: TestClient, url: str, query: str, cookie: str | None, accept: str | None) -> str:
    c.cookies.clear()
    if cookie:
        c.cookies.set(LANG_COOKIE, cookie)
    headers = {"Accept-Language": accept} if accept else {}
    r = c.get(url + query, headers=headers)
    assert r.status_code == 200, (url, r.status_code)
    m = re.search(r'<html lang="(ja|en)"', r.text)
    assert m, url
    return m.group(1)


@pytest.mark.parametrize("page", ["landing", "questionnaire", "results", "print", "console_login"])
@pytest.mark.parametrize(("query", "cookie", "accept", "expected"), CASES)
def test_every_page_follows_the_one_rule(app: FastAPI, urls: dict[str, str], page: str, query: str,
                                         cookie: str | None, accept: str | None, expected: str) -> None:
    with TestClient(app) as c:
        assert ask(c, urls[page], query, cookie, accept) == expected


def test_the_console_behind_login_follows_it_too(app: FastAPI) -> None:
    c = logged_in(app, TOKYO)
    for query, cookie, accept, expected in CASES:
        c.cookies.delete(LANG_COOKIE)
        if cookie:
            c.cookies.set(LANG_COOKIE, cookie)
        r = c.get("/console/cases" + query, headers={"Accept-Language": accept} if accept else {})
        assert r.status_code == 200 and f'<html lang="{expected}"' in r.text, (query, cookie, accept)


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    f = tmp_path / "s.pdf"
    f.write_bytes(pdf)
    return re.sub(r"\s+", "", subprocess.run([tool, str(f), "-"], capture_output=True, text=True, check=True).stdout)


@pytest.mark.parametrize(("query", "cookie", "accept", "expected"),
                         [CASES[0], CASES[3], CASES[4], CASES[7]])  # ?lang, cookie, Accept-Language, default
def test_the_pdf_follows_it(app: FastAPI, urls: dict[str, str], tmp_path: Path, query: str, cookie: str | None,
                            accept: str | None, expected: str) -> None:
    with TestClient(app) as c:
        if cookie:
            c.cookies.set(LANG_COOKIE, cookie)
        r = c.get(urls["pdf"] + query, headers={"Accept-Language": accept} if accept else {})
        assert r.status_code == 200 and r.content.startswith(b"%PDF")
        text = _pdf_text(r.content, tmp_path)
        assert ("Resultsfor株式会社言語" in text) == (expected == "en"), text[:200]
        assert ("株式会社言語の診断結果" in text) == (expected == "ja"), text[:200]


def test_the_switch_sets_the_cookie_and_later_pages_keep_it(app: FastAPI, urls: dict[str, str]) -> None:
    with TestClient(app, follow_redirects=False) as c:
        page = c.get(urls["results"]).text
        assert '<html lang="ja"' in page and 'href="?lang=en" hreflang="en"' in page  # the switch: a plain link
        r = c.get(urls["results"] + "?lang=en")
        cookie = r.headers["set-cookie"]
        assert cookie.startswith(f"{LANG_COOKIE}=en;") and "samesite=lax" in cookie.lower() and "path=/" in cookie.lower()
        assert "max-age=31536000" in cookie.lower()
        for name in ("landing", "questionnaire", "print", "console_login"):  # no ?lang, a Japanese browser
            # (the questionnaire's private link redirects to its step: followed)
            assert '<html lang="en"' in c.get(urls[name], headers={"Accept-Language": "ja"}, follow_redirects=True).text, name
        assert "set-cookie" not in c.get(urls["landing"] + "?lang=en").headers  # already remembered
        c.get(urls["landing"] + "?lang=ja")
        assert '<html lang="ja"' in c.get(urls["print"], headers={"Accept-Language": "en"}).text
        assert "set-cookie" not in c.get(urls["landing"] + "?lang=xx").headers  # not a language of ours
        assert "set-cookie" not in c.get("/api/v1/programs/ipas?lang=en").headers  # the API sets no cookie


def test_json_answers_and_the_guards_use_the_same_rule(app: FastAPI) -> None:
    with TestClient(app) as c:
        c.cookies.set(LANG_COOKIE, "en")
        assert c.get("/api/v1/programs/ipas", headers={"Accept-Language": "ja"}).json()["name"] == \
            c.get("/api/v1/programs/ipas?lang=en").json()["name"]
        # a refused form (NUL in a field) answers in the cookie's language, like the page would have
        r = c.post("/console/login", data={"email": "a\x00"}, headers={"Accept-Language": "ja"})
        assert r.status_code in (400, 422) and '<html lang="en"' in r.text


def test_english_pages_name_prefectures_sources_and_batch_headings(app: FastAPI, urls: dict[str, str]) -> None:
    from app.console.layout import Labels

    with TestClient(app) as c:
        page = c.get(urls["questionnaire"] + "?lang=en").text
        assert '<option value="大阪府"' in page and ">Osaka</option>" in page and ">大阪府</option>" not in page
        assert ">大阪府</option>" in c.get(urls["questionnaire"] + "?lang=ja").text
        results = c.get(urls["results"] + "?lang=en").text
        assert "Support desks (Osaka)" in results
        # an inline source with only a Japanese title says so on English pages
        assert "(in Japanese)" in results
        assert "(in Japanese)" not in c.get(urls["results"] + "?lang=ja").text
    labels = Labels("en", app.state.services)
    assert labels.heading("従業員数") == "従業員数 (Number of regular employees)"
    assert Labels("ja", app.state.services).heading("従業員数") == "従業員数"
    assert labels.heading("電話番号") == "電話番号"  # not a column of ours: as written
    assert labels.pref("東京都") == "Tokyo"
