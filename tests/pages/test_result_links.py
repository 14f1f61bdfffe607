"""Issue 14 items 4–5 on the results pages: a shareable link that only shows, a separate private edit link, and
a stored screening opened in the other language from its stored facts (no screening again), also after the
catalog changed."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.api.screen import PROFILE_EXAMPLE
from app.config import Settings
from app.factory import create_app
from app.store.drafts import create_draft, load_draft
from app.store.screenings import ScreeningRecord
from app.web.edit_link import EDIT_COOKIE
from tests.support.paths import ROOT

PROFILE: dict[str, Any] = {**PROFILE_EXAMPLE, "company_name": "株式会社リンク精工"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.db", search_db=tmp_path / "search.db"))
    with TestClient(app, follow_redirects=False) as c:
        yield c


def finish_questionnaire(c: TestClient) -> tuple[str, str, Any]:
    """Consent, answer the first page, see the results: (token, screening id, the finishing response)."""
    token = c.post("/q", data={"consent": "yes"}).headers["location"].rsplit("/", 1)[1]
    r = c.post(f"/q/{token}", data={"action": "finish", "applicant_type": "corporation", "prefecture": "大阪府"})
    assert r.status_code == 303, r.text
    sid = r.headers["location"].split("/results/", 1)[1]
    return token, sid, r


def test_the_results_address_carries_no_edit_token_and_the_edit_link_is_separate(client: TestClient) -> None:
    token, sid, r = finish_questionnaire(client)
    assert r.headers["location"] == f"/results/{sid}" and token not in r.headers["location"]
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{EDIT_COOKIE}={token};") and f"Path=/results/{sid}" in cookie
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    page = client.get(r.headers["location"]).text
    links = page[page.index('class="result-links"'):page.index("</section>", page.index('class="result-links"'))]
    share = re.search(r'<input type="text" id="share-link" value="([^"]+)"', links)
    edit = re.search(r'<input type="text" id="edit-link" value="([^"]+)"', links)
    assert share and share.group(1) == f"http://testserver/results/{sid}"
    assert edit and edit.group(1) == f"http://testserver/q/{token}"
    assert "共有用リンク（結果を見るだけ）" in links and "回答を変えることはできません" in links
    assert "回答を修正するための非公開リンク（ご本人用）" in links and "ほかの人には送らないでください" in links
    assert token not in client.get(f"/results/{sid}/print").text  # paper shows the shareable address only


def test_the_shared_link_shows_the_results_and_cannot_edit(client: TestClient) -> None:
    token, sid, r = finish_questionnaire(client)
    with TestClient(client.app, follow_redirects=False) as friend:  # another browser with the shared link
        page = friend.get(f"/results/{sid}")
        assert page.status_code == 200 and "診断結果" in page.text
        assert token not in page.text and "/q/" not in page.text and 'id="edit-link"' not in page.text
        assert f'value="http://testserver/results/{sid}"' in page.text
        assert token not in friend.get(f"/results/{sid}/print").text
        # the results' address is no key to the answers: no questionnaire opens with it
        assert friend.get(f"/q/{sid}").status_code == 404
        assert friend.post(f"/q/{sid}", data={"action": "next"}).status_code == 404
        # a made-up or another draft's token in ?q= gives no edit link either (and leaves the address)
        other = create_draft(client.app.state.store.engine, "ja", {}, "basics")  # type: ignore[attr-defined]
        for q in (other, "x" * 32, "<bad>"):
            r = friend.get(f"/results/{sid}", params={"q": q})
            assert r.status_code == 303 and r.headers["location"] == f"/results/{sid}"
            assert "set-cookie" not in r.headers
        assert 'id="edit-link"' not in friend.get(f"/results/{sid}").text


def test_an_old_address_with_the_token_becomes_the_cookie(client: TestClient) -> None:
    token, sid, _ = finish_questionnaire(client)
    with TestClient(client.app, follow_redirects=False) as owner:  # the owner's bookmark from before issue 14
        r = owner.get(f"/results/{sid}?q={token}&lang=en")
        assert r.status_code == 303 and r.headers["location"] == f"/results/{sid}?lang=en"
        assert r.headers["set-cookie"].startswith(f"{EDIT_COOKIE}={token};")
        page = owner.get(r.headers["location"]).text
        assert f'id="edit-link" value="http://testserver/q/{token}"' in page
        assert "Private link to change your answers" in page and "Link to share" in page


def test_a_deleted_draft_shows_no_edit_link(client: TestClient) -> None:
    token, sid, _ = finish_questionnaire(client)
    draft = load_draft(client.app.state.store.engine, token)  # type: ignore[attr-defined]
    assert draft is not None
    draft.token = "gone" + token[4:]  # the cookie now names no draft
    client.cookies.set(EDIT_COOKIE, draft.token, path=f"/results/{sid}")
    assert 'id="edit-link"' not in client.get(f"/results/{sid}").text


# ------------------------------------------------------------------ the other language, from the stored facts


def _changed_catalog(tmp: Path) -> Path:
    """programs/catalog with INPIT's foreign filing subsidy at 1/3 instead of 1/2: another catalog version."""
    folder = tmp / "catalog"
    shutil.copytree(ROOT / "programs" / "catalog", folder)
    f = folder / "inpit_foreign_filing_subsidy.yaml"
    text = f.read_text(encoding="utf-8")
    assert '2025-04-01: {value: "1/2"' in text
    f.write_text(text.replace('2025-04-01: {value: "1/2"', '2025-04-01: {value: "1/3"'), encoding="utf-8")
    return folder


def _statuses(result: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    return {r["program_id"]: (r["status"], (r.get("estimate") or {}).get("amount_yen")) for r in result["results"]}


def test_the_other_language_renders_the_stored_facts_even_after_the_catalog_changed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    before = create_app(Settings(database_url=url, search_db=tmp_path / "s1.db"))
    with TestClient(before) as c:
        stored = c.post("/api/v1/screen", json=PROFILE).json()  # Japanese, with the catalog of today
        old_version = stored["catalog_version"]
    sid = stored["screening_id"]
    assert _statuses(stored)["inpit_foreign_filing_subsidy"] == ("eligible", 1_900_000)

    after = create_app(Settings(database_url=url, search_db=tmp_path / "s2.db",
                                catalog_dir=_changed_catalog(tmp_path)))
    with TestClient(after) as c:
        svc = after.state.services
        assert svc.catalog.version != old_version
        fresh = svc.screen({**PROFILE}).as_dict("en")  # the changed catalog: a third, not a half
        assert _statuses(fresh)["inpit_foreign_filing_subsidy"] != ("eligible", 1_900_000)

        def no_screening(*_: Any, **__: Any) -> Any:
            raise AssertionError("a stored screening was screened again with the current catalog")

        svc.screen = no_screening  # type: ignore[method-assign]
        engine = after.state.store.engine
        with engine.connect() as conn:
            rows = conn.scalar(select(func.count()).select_from(ScreeningRecord))
        api = c.get(f"/api/v1/screenings/{sid}", headers={"Accept-Language": "en"}).json()
        assert api["notice"] is None and api["catalog_version"] == old_version
        assert _statuses(api["result"]) == _statuses(stored)  # the same statuses and amounts, in English
        page = c.get(f"/results/{sid}", headers={"Accept-Language": "en"}).text
        # (the catalog version is not shown to applicants; the API above names it)
        assert '<html lang="en"' in page and "¥1,900,000" in page
        assert "screened again" not in page and "Support desks (Osaka)" in page and "Desks in Osaka" in page
        printed = c.get(f"/results/{sid}/print", headers={"Accept-Language": "en"}).text
        assert '<html lang="en"' in printed and "¥1,900,000" in printed
        pdf = c.get(f"/results/{sid}/summary.pdf?lang=en")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        with engine.connect() as conn:  # nothing was stored again
            assert conn.scalar(select(func.count()).select_from(ScreeningRecord)) == rows
