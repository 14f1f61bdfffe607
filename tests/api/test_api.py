"""The HTTP API: shared cases over real loopback HTTP, and every kind of bad input gets a 4xx."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from app.config import Settings
from app.factory import create_app
from tests.support.paths import ROOT, SHARED, case_checker

CASES = sorted((SHARED / "cases").glob("*.yaml"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """uvicorn serving app.main:app on a free loopback port, with its own SQLite file."""
    port = _free_port()
    db = tmp_path_factory.mktemp("db") / "api.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "NAVI_SEARCH_DB": str(db.with_name("search.db"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read().decode() if proc.stdout else "server exited")
            time.sleep(0.25)
        else:
            raise RuntimeError("server did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)




@pytest.mark.skipif(not CASES, reason="../shared/cases not present")
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_shared_case_over_http(server, path):
    chk = case_checker()
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    r = httpx.post(server + "/api/v1/screen", json=chk.to_json_ready(case["profile"]), timeout=30)
    assert chk.check_case(case, r.status_code, r.text) == []


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    db = tmp_path_factory.mktemp("db2") / "t.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}", search_db=db.with_name("search.db")))
    return TestClient(app, raise_server_exceptions=False)


BAD_BODIES = [
    ("malformed json", b'{"employees": 3,', 400),
    ("not utf-8", b'{"description": "\xff\xfe"}', 400),
    ("array body", b"[1, 2, 3]", 422),
    ("string body", b'"hello"', 422),
    ("NaN", b'{"large_company_officer_ratio": NaN}', 422),
    ("Infinity", b'{"capital_yen": Infinity}', 422),
    ("deeply nested", b"[" * 50000 + b"]" * 50000, 400),
    ("deeply nested object", b'{"a":' * 5000 + b"1" + b"}" * 5000, 400),
    ("nested junk in a field", b'{"foreign_filings": [[[[{"x": [1]}]]]]}', 422),
    ("empty body", b"", 400),
]


@pytest.mark.parametrize("name,body,status", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_bodies_get_4xx_with_message(client, name, body, status):
    r = client.post("/api/v1/screen", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    data = r.json()
    assert data["message"] and data["errors"]
    assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in data["message"])


BAD_FIELDS = [
    ("employees", {"employees": 10**12}, "less_than_equal"),
    ("employees", {"employees": -1}, "greater_than_equal"),
    ("employees", {"employees": "twenty"}, "int_type"),
    ("employees", {"employees": 2.5}, "int_type"),
    ("capital_yen", {"capital_yen": -5}, "greater_than_equal"),
    ("industry", {"industry": "farming"}, "literal_error"),
    ("applicant_type", {"applicant_type": "alien"}, "literal_error"),
    ("established_on", {"as_of": "2025-10-01", "established_on": "2026-04-01"}, "established_after_as_of"),
    ("established_on", {"established_on": "2021-02-30"}, "date_format"),
    ("established_on", {"established_on": 20210401}, "date_format"),
    ("prefecture", {"prefecture": "東京"}, "prefecture"),
    ("large_company_shareholding", {"large_company_shareholding": {"largest": 0.7, "combined": 0.5}},
     "largest_over_combined"),
    ("large_company_officer_ratio", {"large_company_officer_ratio": 1.5}, "less_than_equal"),
    ("foreign_filings[0].right", {"foreign_filings": [{"right": "copyright"}]}, "literal_error"),
    ("foreign_filings[0].cost_yen", {"foreign_filings": [{"right": "patent", "cost_yen": -1}]}, "greater_than_equal"),
    ("prior_awards[0].program_id", {"prior_awards": [{"program_id": "nope", "fiscal_year": 2025, "amount_yen": 1}]},
     "unknown_program"),
    ("description", {"description": "あ" * 4001}, "string_too_long"),
    ("vc_backed", {"vc_backed": "maybe"}, "bool_type"),
    ("unknown_field", {"unknown_field": 1}, "extra_forbidden"),
    ("foreign_filings", {"foreign_filings": {"right": "patent"}}, "list_type"),
    ("as_of", {"as_of": "1900-01-01"}, "as_of_range"),
]


@pytest.mark.parametrize("field,profile,code", BAD_FIELDS, ids=[f"{b[0]}-{b[2]}" for b in BAD_FIELDS])
def test_bad_fields_get_422_per_field(client, field, profile, code):
    r = client.post("/api/v1/screen", json=profile)
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    hit = [e for e in errors if e["field"] == field and e["code"] == code]
    assert hit, errors
    assert any("\u3040" <= ch <= "\u9fff" for ch in hit[0]["message"])
    en = client.post("/api/v1/screen", json=profile, headers={"Accept-Language": "en-US,en;q=0.9"})
    en_hit = [e for e in en.json()["errors"] if e["field"] == field]
    assert en_hit and not any("\u3040" <= ch <= "\u30ff" for ch in en_hit[0]["message"])  # no kana


def test_body_over_one_mib_is_413(client):
    big = json.dumps({"description": "x" * (1024 * 1024 + 10)}).encode()
    r = client.post("/api/v1/screen", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert "1 MiB" in r.json()["message"]


def test_batch_limits_and_mixed_rows(client):
    r = client.post("/api/v1/screen/batch", json={"profiles": [{}] * 1001})
    assert r.status_code == 422
    r = client.post("/api/v1/screen/batch", json={"profiles": [
        {"applicant_type": "vc", "as_of": "2025-05-12"}, {"employees": -3}, {}]})
    assert r.status_code == 200
    res = r.json()["results"]
    assert [x["status"] for x in res] == [200, 422, 200]
    assert res[1]["errors"][0]["field"] == "employees"
    assert any(p["program_id"] == "vc_ipas" and p["status"] == "eligible" for p in res[0]["results"])
    r = client.post("/api/v1/screen/batch", json={"rows": []})
    assert r.status_code == 422


def test_programs_listing_search_and_detail(client):
    r = client.get("/api/v1/programs", params={"as_of": "2024-12-01"})
    ids = {p["program_id"] for p in r.json()["programs"]}
    assert "foreign_filing_subsidy" in ids and "inpit_foreign_filing_subsidy" not in ids
    r = client.get("/api/v1/programs", params={"q": "海外 模倣品"})
    assert "counterfeit_countermeasure" in {p["program_id"] for p in r.json()["programs"]}
    assert client.get("/api/v1/programs", params={"as_of": "yesterday"}).status_code == 422
    d = client.get("/api/v1/programs/fee_reduction").json()
    assert d["definition"]["eligibility"] and d["name"] == "特許料等の減免制度"
    assert client.get("/api/v1/programs/fee_reduction", headers={"Accept-Language": "en"}).json()["name"] == \
        "Patent fee reductions"
    assert client.get("/api/v1/programs/../../etc").status_code == 404


def test_english_locale_labels(client):
    r = client.post("/api/v1/screen?include=texts", json={"applicant_type": "vc", "as_of": "2025-05-12"},
                    headers={"Accept-Language": "en"})
    vc = next(p for p in r.json()["results"] if p["program_id"] == "vc_ipas")
    assert vc["name"].startswith("IP experts") and vc["reasons"][0]["label"].isascii()


def test_openapi_has_examples_and_japanese(client):
    doc = client.get("/openapi.json").json()
    op = doc["paths"]["/api/v1/screen"]["post"]
    assert "申請者" in op["summary"]
    assert op["requestBody"]["content"]["application/json"]["examples"]


def test_unknown_route_and_method_are_json_4xx(client):
    assert client.get("/api/v1/nothing").status_code == 404
    r = client.get("/api/v1/screen")
    assert r.status_code == 405 and r.json()["message"]


def test_results_cover_every_program_in_force(client, catalog):
    r = client.post("/api/v1/screen", json={"as_of": "2025-09-01"}).json()
    import datetime as dt

    want = {p.id for p in catalog.in_force(dt.date(2025, 9, 1))}
    assert {x["program_id"] for x in r["results"]} == want
    ranks = [x["rank"] for x in r["results"] if x["status"] != "ineligible"]
    assert ranks == list(range(1, len(ranks) + 1))
    assert all(0 <= x["score"] <= 1 for x in r["results"])




def test_422_names_every_fault_with_a_future_founding_date(client):
    """Issue 14, item 7: several wrong fields and a future established_on, all in one 422, in both languages."""
    body = {"as_of": "2026-04-01", "established_on": "2027-05-01", "employees": -5, "industry": "mining",
            "prefecture": "Tokyo", "vc_backed": "maybe"}
    for lang, word in (("ja", "設立日"), ("en", "founding date")):
        r = client.post("/api/v1/screen", json=body, headers={"Accept-Language": lang})
        assert r.status_code == 422, r.text
        errors = r.json()["errors"]
        assert {(e["field"], e["code"]) for e in errors} >= {
            ("employees", "greater_than_equal"), ("industry", "literal_error"), ("prefecture", "prefecture"),
            ("vc_backed", "bool_type"), ("established_on", "established_after_as_of")}, errors
        late = next(e for e in errors if e["code"] == "established_after_as_of")
        assert word in late["message"] and "2027-05-01" in late["message"]
    r = client.post("/api/v1/screen/batch", json={"profiles": [body]})
    assert {e["code"] for e in r.json()["results"][0]["errors"]} >= {"established_after_as_of", "bool_type"}
