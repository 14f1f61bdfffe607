"""GET /api/v1/companies/{n} through the app against the fake gBizINFO: 200/404/422/503, cache, no token leak."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from fastapi.testclient import TestClient

from app.companies.tests import fake_gbizinfo as f
from app.config import Settings
from app.factory import create_app, parts_of


def make_app(tmp_path, fake, **over):
    db = tmp_path / "t.db"
    values = {"gbizinfo_base_url": fake.url, "gbizinfo_token": f.TOKEN, "gbizinfo_timeout_seconds": 0.3, **over}
    settings = Settings(database_url=f"sqlite:///{db}", search_db=db.with_name("search.db"), **values)
    app = create_app(settings)
    parts_of(app).companies.lookup().client.backoff = 0.01  # keep the retries' back-off short in tests
    return app


@pytest.fixture(scope="module")
def client(tmp_path_factory, fake):
    return TestClient(make_app(tmp_path_factory.mktemp("api"), fake), raise_server_exceptions=False)


def test_200_with_full_width_digits_and_hyphens(client):
    r = client.get("/api/v1/companies/９０１０－４０１１－２３４５６")
    assert r.status_code == 200
    body = r.json()
    assert body["corporate_number"] == f.SAMPLE and body["name"] == "株式会社サンプル知財ラボ"
    assert body["facts"]["capital_yen"]["value"] == 30000000
    # The FY2026 catalog holds Tokyo's 外国特許出願費用助成 too (DOMAIN.md 7.4), so its award maps as well.
    assert [a["program_id"] for a in body["prior_awards"]] == ["foreign_filing_subsidy", "inpit_foreign_filing_subsidy",
                                                               "tokyo_foreign_patent_filing"]
    assert dt.datetime.fromisoformat(body["fetched_at"]).tzinfo is not None


def test_english(client):
    body = client.get(f"/api/v1/companies/{f.SAMPLE}", headers={"Accept-Language": "en"}).json()
    assert body["facts"]["prefecture"]["provenance"] == "From gBizINFO (updated 1 July 2026)"


@pytest.mark.parametrize("number", ["9010401123457", "2180001015846", "1010001012345"])
def test_wrong_check_digit_is_422_with_message(client, number):
    r = client.get(f"/api/v1/companies/{number}")
    assert r.status_code == 422
    err = r.json()["errors"][0]
    assert err["field"] == "corporate_number" and err["code"] == "corporate_number_check"
    assert "法人番号が正しくありません" in err["message"]
    en = client.get(f"/api/v1/companies/{number}", headers={"Accept-Language": "en"}).json()
    assert "check digit" in en["errors"][0]["message"]


@pytest.mark.parametrize("number,code", [("12345", "corporate_number_length"), ("abc", "corporate_number_format")])
def test_malformed_number_is_422(client, number, code):
    r = client.get(f"/api/v1/companies/{number}")
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == code


def test_unknown_company_is_404_and_cached(client, fake):
    r = client.get(f"/api/v1/companies/{f.MISSING}")
    assert r.status_code == 404
    assert "見つかりません" in r.json()["errors"][0]["message"]
    before = fake.count(f.MISSING)
    assert client.get(f"/api/v1/companies/{f.MISSING}").status_code == 404
    assert fake.count(f.MISSING) == before  # one company is not asked twice within the TTL


def test_second_call_is_served_from_the_cache(client, fake):
    assert client.get(f"/api/v1/companies/{f.STRINGY}").status_code == 200
    assert fake.count(f.STRINGY) == 3  # basic, subsidy, patent
    second = client.get(f"/api/v1/companies/{f.STRINGY}")
    assert second.status_code == 200 and second.json()["facts"]["employees"]["value"] == 1200
    assert fake.count(f.STRINGY) == 3


def test_cache_expires_after_the_ttl(client, fake):
    lookup = parts_of(client.app).companies.lookup()
    assert client.get(f"/api/v1/companies/{f.OSAKA}").status_code == 200
    asked = fake.count(f.OSAKA)
    real = lookup.clock
    lookup.clock = lambda: real() + dt.timedelta(hours=25)
    try:
        assert client.get(f"/api/v1/companies/{f.OSAKA}").status_code == 200
    finally:
        lookup.clock = real
    assert fake.count(f.OSAKA) == asked + 3


@pytest.mark.parametrize("number,code,retried", [
    (f.BROKEN, "gbizinfo_unavailable", True),
    (f.SLOW, "gbizinfo_timeout", True),
    (f.GARBAGE, "gbizinfo_invalid", False),
])
def test_gbizinfo_down_slow_or_garbage_is_503(client, fake, number, code, retried):
    before = fake.count(number)
    r = client.get(f"/api/v1/companies/{number}")
    assert r.status_code == 503 and r.headers["retry-after"]
    body = r.json()
    assert body["errors"][0]["code"] == code and "直接入力" in body["message"]
    assert fake.count(number) - before == (3 if retried else 1)  # retries on 5xx and time-outs only
    en = client.get(f"/api/v1/companies/{number}", headers={"Accept-Language": "en"}).json()
    assert "enter the answers directly" in en["message"]


def test_a_failure_is_not_cached(client, fake):
    client.get(f"/api/v1/companies/{f.GARBAGE}")
    before = fake.count(f.GARBAGE)
    client.get(f"/api/v1/companies/{f.GARBAGE}")
    assert fake.count(f.GARBAGE) == before + 1


def test_no_token_is_503_without_asking(tmp_path, fake):
    app = make_app(tmp_path, fake, gbizinfo_token=None)
    before = len(fake.hits)
    r = TestClient(app).get(f"/api/v1/companies/{f.SAMPLE}")
    assert r.status_code == 503 and r.json()["errors"][0]["code"] == "gbizinfo_no_token"
    assert len(fake.hits) == before


def test_wrong_token_is_503_and_not_retried(tmp_path, fake, caplog):
    app = make_app(tmp_path, fake, gbizinfo_token="wrong-token-123")
    before = len(fake.hits)
    with caplog.at_level(logging.DEBUG):
        r = TestClient(app).get(f"/api/v1/companies/{f.SAMPLE}")
    assert r.status_code == 503 and r.json()["errors"][0]["code"] == "gbizinfo_rejected"
    assert len(fake.hits) == before + 1 and fake.hits[-1][1] is False
    assert "wrong-token-123" not in caplog.text + r.text


def test_the_token_never_leaks(client, fake, caplog):
    with caplog.at_level(logging.DEBUG):
        answers = [client.get(f"/api/v1/companies/{n}", headers={"Accept-Language": lang})
                   for n in (f.SAMPLE, f.MISSING, f.BROKEN, f.SLOW, f.GARBAGE, f.NULLS, "123") for lang in ("ja", "en")]
    lookup = parts_of(client.app).companies.lookup()
    settings = parts_of(client.app).services.settings
    texts = [caplog.text, repr(lookup.client), repr(settings), str(settings), json.dumps(client.get("/openapi.json").json()),
             *(a.text for a in answers), *(str(v) for a in answers for v in a.headers.values())]
    assert all(f.TOKEN not in t for t in texts)
    assert any(ok for _, ok in fake.hits)  # the token did reach the fake in its header


def test_openapi_documents_every_status_with_an_example(client):
    doc = client.get("/openapi.json").json()
    op = doc["paths"]["/api/v1/companies/{corporate_number}"]["get"]
    assert set(op["responses"]) >= {"200", "404", "422", "503"}
    assert op["responses"]["200"]["content"]["application/json"]["example"]["facts"]["prefecture"]["value"] == "東京都"
    assert "gBizINFO" in op["description"]
