"""The questionnaire's 法人番号 prefill against the fake gBizINFO: filled values with their source, errors, sole proprietors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.companies.tests import fake_gbizinfo as f
from app.companies.tests.fake_gbizinfo import FakeGbiz
from app.config import Settings
from app.factory import create_app, parts_of
from app.store.drafts import load_draft

SOURCE = "gBizINFO（2026年7月1日更新）より"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGbiz]:
    server = FakeGbiz(slow_seconds=1.0).start()
    try:
        yield server
    finally:
        server.stop()


def make_client(tmp_path: Path, fake: FakeGbiz, **over: object) -> TestClient:
    values = {"gbizinfo_base_url": fake.url, "gbizinfo_token": f.TOKEN, "gbizinfo_timeout_seconds": 0.3, **over}
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/q.db", search_db=tmp_path / "search.db", **values))
    parts_of(app).companies.lookup().client.backoff = 0.01
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def client(tmp_path: Path, fake: FakeGbiz) -> TestClient:
    return make_client(tmp_path, fake)


def start(client: TestClient, lang: str = "ja") -> str:
    r = client.post("/q", data={"consent": "yes", "lang": lang}, follow_redirects=False)
    return r.headers["location"].rsplit("/", 1)[1]


def value_of(html: str, name: str) -> str | None:
    m = re.search(rf'<input type="text" id="[^"]+" name="{re.escape(name)}" value="([^"]*)"', html)
    return None if m is None else m[1]


def test_first_page_offers_the_optional_number_and_says_sole_proprietors_have_none(client):
    token = start(client)
    html = client.get(f"/q/{token}").text
    assert 'name="corporate_number"' in html and "法人番号から入力する" in html
    assert "個人事業主には法人番号がない" in html
    assert html.index('name="corporate_number"') < html.index('name="applicant_type"')  # first on the page


def test_prefill_fills_the_answers_with_their_source_and_they_stay_editable(client, fake):
    token = start(client)
    r = client.post(f"/q/{token}", data={"action": "prefill", "corporate_number": "９０１０－４０１１－２３４５６"})
    assert r.status_code == 200
    html = r.text
    assert re.search(r'<option value="東京都" selected>', html) and SOURCE in html
    # The answers of the next step (founding, size, capital) are filled too, each with its source.
    r = client.post(f"/q/{token}/basics", data={"applicant_type": "corporation", "prefecture": "東京都", "action": "next"},
                    follow_redirects=False)
    assert r.headers["location"] == f"/q/{token}/business"
    html = client.get(r.headers["location"]).text
    assert value_of(html, "capital_yen") == "30000000" and value_of(html, "established_on") == "2019-04-01"
    assert html.count(SOURCE) >= 3  # one next to each filled answer
    assert "常時使用する従業員" in html and value_of(html, "employees") == "18"  # a suggestion, said so
    draft = load_draft(client.app.state.store.engine, token)
    assert draft is not None
    stored = draft.progress["prefill"]
    assert stored["corporate_number"] == f.SAMPLE
    assert stored["fields"]["capital_yen"]["provenance"]["ja"] == SOURCE
    assert stored["fields"]["employees"]["confirm"] is True
    assert draft.answers["municipality"] == "千代田区"  # the 市区町村 question (municipal programs) is answered too
    assert {a["program_id"] for a in draft.profile["prior_awards"]} >= {"inpit_foreign_filing_subsidy"}
    # Editable: the person changes the capital, the source goes from that field, and the page goes on.
    page = client.get(f"/q/{token}").text
    assert page.count(SOURCE) >= 3
    data = {"established_on": "2019-04-01", "employees": "15", "capital_yen": "2000万円", "industry": "software",
            "action": "next"}
    r = client.post(f"/q/{token}/business", data=data, follow_redirects=False)
    assert r.status_code == 303
    draft = load_draft(client.app.state.store.engine, token)
    assert draft is not None and draft.profile["capital_yen"] == 20_000_000 and draft.profile["employees"] == 15
    assert draft.progress["prefill"]["corporate_number"] == f.SAMPLE  # the provenance stays with the draft


def test_prefill_never_overwrites_what_was_typed(client):
    token = start(client)
    client.post(f"/q/{token}/basics", data={"applicant_type": "corporation", "prefecture": "東京都", "action": "next"})
    client.post(f"/q/{token}/business", data={"capital_yen": "500万円", "action": "back"})
    client.post(f"/q/{token}/basics", data={"action": "prefill", "corporate_number": f.SAMPLE})
    html = client.get(f"/q/{token}/business").text
    assert value_of(html, "capital_yen") == "500万円"
    assert value_of(html, "established_on") == "2019-04-01"


def test_wrong_check_digit_is_a_message_next_to_the_field(client, fake):
    token = start(client)
    before = len(fake.hits)
    r = client.post(f"/q/{token}", data={"action": "prefill", "corporate_number": "9010401123457"})
    assert r.status_code == 422
    assert re.search(r'id="q-corporate_number-error"[^>]*>.*法人番号が正しくありません', r.text)
    assert 'aria-invalid="true"' in r.text and len(fake.hits) == before


@pytest.mark.parametrize("number,words", [
    (f.MISSING, "見つかりませんでした"), (f.BROKEN, "接続できない"), (f.SLOW, "応答が遅い"),
])
def test_unknown_or_unavailable_is_a_notice_and_the_questionnaire_goes_on(client, number, words):
    token = start(client)
    r = client.post(f"/q/{token}", data={"action": "prefill", "corporate_number": number})
    assert r.status_code == 200 and words in r.text and SOURCE not in r.text
    data = {"applicant_type": "sole_proprietor", "prefecture": "長野県", "action": "next"}
    assert client.post(f"/q/{token}", data=data, follow_redirects=False).status_code == 303


def test_no_token_is_a_notice_without_asking(tmp_path, fake):
    client = make_client(tmp_path, fake, gbizinfo_token=None)
    token = start(client)
    before = len(fake.hits)
    r = client.post(f"/q/{token}", data={"action": "prefill", "corporate_number": f.SAMPLE})
    assert r.status_code == 200 and "直接入力" in r.text and len(fake.hits) == before
    assert f.TOKEN not in r.text


def test_sole_proprietor_goes_on_without_a_number(client):
    token = start(client)
    r = client.post(f"/q/{token}", data={"action": "prefill", "corporate_number": ""})
    assert r.status_code == 422 and "個人事業主には法人番号がない" in r.text
    data = {"applicant_type": "sole_proprietor", "established_on": "令和5年1月1日", "prefecture": "長野県",
            "action": "next"}
    assert client.post(f"/q/{token}", data=data, follow_redirects=False).status_code == 303


def test_english_source(client):
    client.get("/?lang=en")  # the language switch (its cookie): the one rule of every page, issue 14
    token = start(client, "en")
    html = client.post(f"/q/{token}", data={"action": "prefill", "corporate_number": f.SAMPLE}).text
    assert "From gBizINFO (updated 1 July 2026)" in html
    client.post(f"/q/{token}/basics", data={"applicant_type": "corporation", "prefecture": "東京都", "action": "next"})
    html = client.get(f"/q/{token}/business").text
    assert "From gBizINFO (updated 1 July 2026)" in html and "regular employees" in html
